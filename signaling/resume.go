package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// Reconnect without a trace. When a participant's connection drops
// without a goodbye (no close frame: the network went away, or the
// client's ping went unanswered), their session is held for the resume
// grace: they stay present in the room, their peer connections and
// forwarding stay as they are, and the others see nothing. The client
// reconnects and sends join with the resume token of its last welcome;
// the new connection's session hands its link to the held one
// (handover), which carries on with it and sends a welcome marked
// resumed, with the room as it is now. After the grace the participant
// leaves as on any lost connection (their identity still brings them
// back for room.ResumeGrace). A client that closes its socket with a
// close frame (a tab closed) leaves at once, except with the status
// StatusReconnecting, which a client sends when it gives up a socket it
// believes dead to reconnect.
//
// The held session stays the one owner of its participant's state on
// this instance: the meeting keeps its seat, the store its presence.
// Resume tokens live only in this instance's memory; a resume that
// reaches another instance (this one died, or a load balancer chose
// another) finds nothing and goes on as a join with the identity.

// StatusReconnecting is the close status of a client that gives up its
// socket to reconnect at once: its session is held as after a dropped
// connection.
const StatusReconnecting websocket.StatusCode = 4000

// handover is a new connection's offer to take a held session back.
type handover struct {
	link     *link
	re       json.RawMessage
	accepted chan bool // answered once by the held session
}

// holdSession registers s under a new resume token and returns it.
func (srv *Server) holdSession(s *session) string {
	token := room.NewSecret()
	srv.resMu.Lock()
	defer srv.resMu.Unlock()
	srv.held[token] = s
	return token
}

// forget removes a resume token.
func (srv *Server) forget(token string) {
	if token == "" {
		return
	}
	srv.resMu.Lock()
	defer srv.resMu.Unlock()
	delete(srv.held, token)
}

// heldSession returns the session a resume token takes back, if any.
func (srv *Server) heldSession(token string) *session {
	srv.resMu.Lock()
	defer srv.resMu.Unlock()
	return srv.held[token]
}

// Resumes returns how many sessions were taken back by a new connection,
// and how many are held without one now.
func (srv *Server) Resumes() (total uint64, away int64) {
	return srv.resumed.Load(), srv.away.Load()
}

// tryResume hands this new connection to the session m.Resume names, if
// this instance holds it for m.Room. It reports whether it did; the
// session then ends without leaving (see run).
func (s *session) tryResume(m *protocol.Join, re json.RawMessage) bool {
	if m.Resume == "" || s.srv.grace <= 0 {
		return false
	}
	held := s.srv.heldSession(m.Resume)
	if held == nil || held == s || held.roomID.String() != m.Room {
		return false
	}
	h := handover{link: s.link, re: re, accepted: make(chan bool, 1)}
	select {
	case held.resumes <- h:
	case <-held.done:
		return false
	}
	if !<-h.accepted {
		return false
	}
	s.handedOff = true
	return true
}

// takeBack carries on the session with the link of a new connection
// that brought its resume token; it reports whether the session ends.
func (s *session) takeBack(h handover) (end bool) {
	h.accepted <- true
	if s.link != nil {
		// The client saw its connection die before the server did.
		s.dropLink()
	}
	s.back()
	s.link = h.link
	s.srv.resumed.Add(1)
	s.srv.forget(s.resume)
	s.resume = s.srv.holdSession(s)
	s.log.Info("session resumed on a new connection")
	return s.welcomeBack(h.re)
}

// welcomeBack answers a resume: a welcome marked resumed with the room as
// it is now, then what the connection lost: a subscribe offer that was
// sent or answered while it was down is offered again. It reports
// whether the session ends (the room's state says it is over).
func (s *session) welcomeBack(re json.RawMessage) bool {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	st, err := s.srv.rooms.Snapshot(ctx, s.roomID)
	if err != nil {
		// The client tries again; the session is held meanwhile.
		s.log.Warn("read room state for a resume", zap.Error(err))
		code, msg := wireError(err)
		s.sendError(code, msg, re)
		s.closeAfterSend(websocket.StatusTryAgainLater, "try again")
		return false
	}
	if s.sendRoom(st, func(w *protocol.Welcome) {
		w.Type, w.V, w.Identity, w.Resume, w.Resumed = protocol.TypeWelcome, protocol.Version, s.identity, s.resume, true
	}) {
		return true
	}
	if s.self.Status == room.StatusAdmitted && s.awaitingAnswer {
		s.awaitingAnswer, s.renegotiate = false, false
		s.offerSubscribe()
	}
	return false
}

// dropLink closes the session's link and gives back its admission slot.
func (s *session) dropLink() {
	l := s.link
	s.link = nil
	l.end(false)
	s.srv.admit.ended(l.conn)
}

// linkLost handles the end of the session's connection; code is the
// close status the client sent, -1 when it sent none. The session is
// held for the resume grace when it may be; linkLost reports whether it
// ends instead.
func (s *session) linkLost(code websocket.StatusCode) (end bool) {
	s.dropLink()
	if !s.joined || s.relay || s.leftOnPurpose || s.resume == "" || (code != -1 && code != StatusReconnecting) {
		return true
	}
	s.graceEnd.Reset(s.srv.grace)
	s.away = true
	s.srv.away.Add(1)
	s.log.Info("connection lost; session held for the resume grace", zap.Duration("grace", s.srv.grace))
	return false
}

// back ends the participant's time away, if they were.
func (s *session) back() {
	if s.away {
		s.away = false
		s.graceEnd.Stop()
		s.srv.away.Add(-1)
	}
}

// release gives back what holds the session open for a resume.
func (s *session) release() {
	s.srv.forget(s.resume)
	s.resume = ""
	s.back()
}

// handleICERestart restarts ICE on the subscribe connection: the
// client's network changed (it restarts its publish connection itself,
// with an offer). An offer awaiting its answer is answered first.
func (s *session) handleICERestart(data []byte, re json.RawMessage) {
	var m protocol.ICERestart
	if !s.decode(data, &m, re) {
		return
	}
	if m.PC != protocol.PCSubscribe {
		s.sendError(protocol.CodeBadRequest, `ice_restart is for "sub"; restart "pub" with an offer`, re)
		return
	}
	if s.peer == nil {
		s.sendError(protocol.CodeBadRequest, "no media is negotiated yet", re)
		return
	}
	s.restartICE = true
	s.offerSubscribe()
}

// subscribeOffer makes the next subscribe offer: one restarting ICE if
// the client asked for it and no offer is pending, otherwise a plain one.
func (s *session) subscribeOffer() (string, error) {
	if s.restartICE {
		offer, err := s.peer.RestartOffer()
		if !errors.Is(err, media.ErrOfferPending) {
			s.restartICE = false
			return offer, err
		}
		// Offered again below; the restart follows its answer (the peer
		// asks for a new offer then).
	}
	return s.peer.CreateOffer()
}

// DefaultResumeGrace is how long the server (cmd/hearth) holds the
// session of a dropped connection unless configured otherwise: long
// enough for a phone to come back from a tunnel or switch networks.
const DefaultResumeGrace = 30 * time.Second
