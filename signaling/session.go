package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/meeting"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// session is one participant's place on this instance, from their join
// until they leave. It is carried by one connection (a link) at a time:
// when the connection drops without a goodbye, the session is held for
// the resume grace with no link, and a resume gives it the new
// connection's (resume.go). Its run loop (the owner of everything below
// "owned by the run loop") handles messages, room events and negotiation
// one at a time. The session translates: client messages become room
// commands and media negotiation, room events (delivered by the room's
// meeting) become messages. The meeting and the SFU only ever queue work
// for a session; they never wait on it.
type session struct {
	// static after construction
	srv       *Server
	events    chan *delivery // room events and who is talking, queued by the room's meeting
	negotiate chan struct{}  // the subscribe connection needs an offer
	resumes   chan handover  // new connections taking this session back
	done      chan struct{}  // closed when the run loop has returned
	limiter   *rate.Limiter  // client message rate

	// viewer is a copy of self, stored by the run loop whenever self
	// changes and read by deliver (see there); nil until the join.
	viewer atomic.Pointer[room.Participant]
	// missed is set by deliver when an event did not fit in events; the
	// run loop then sends the client the room as it is (resync).
	missed atomic.Bool
	// unsaid is the latest set of people talking that did not fit in
	// events (see deliverSpeakers); the run loop sends it.
	unsaid atomic.Pointer[[]room.ParticipantID]

	// owned by the run loop
	link     *link       // the connection; nil while away
	log      *zap.Logger // no names or addresses; ids only
	joined   bool
	roomID   room.RoomID
	self     room.Participant // as the room's state last said; shown, never enforced here
	identity string           // the participant's identity token, sent again on a resume
	seq      uint64           // last room event sent to the client
	seat     *meeting.Seat    // the session's place in the room's meeting
	peer     *media.Peer
	// view is what the client said of the video it shows (video_sizes,
	// audio_only); a new peer takes it over (layers.go).
	view           view
	awaitingAnswer bool // a subscribe offer was sent and not yet answered
	renegotiate    bool // another offer is needed once it is
	restartICE     bool // the next subscribe offer restarts ICE
	leftOnPurpose  bool // the client sent leave
	relay          bool // the connection is a media relay from another instance
	handedOff      bool // this session gave its link to the session it resumed
	away           bool // the link dropped; held for the resume grace
	// resume is the token that takes the session back (registered with
	// the server); graceEnd fires when the participant has been away for
	// the resume grace (stopped while a link carries the session).
	resume   string
	graceEnd *time.Timer
	// resyncRetry fires when a snapshot the client is owed could not be
	// read and is to be tried again; stopped otherwise.
	resyncRetry *time.Timer
	// batch holds events about the waiting room for a facilitator's
	// client; batchDue fires when they are due (stopped while none are).
	batch    waitingBatch
	batchDue *time.Timer
}

func newSession(srv *Server, conn *websocket.Conn) *session {
	return &session{
		srv:  srv,
		link: newLink(conn, srv.limits.SendQueue, srv.log),
		// Pointers: a delivery is 336 bytes, and the queue's 1,024 slots
		// of them were a third of a MiB per participant, allocated whole
		// with the channel (docs/benchmarks.md, "Session 6: memory").
		events:    make(chan *delivery, 4*srv.limits.SendQueue),
		negotiate: make(chan struct{}, 1),
		resumes:   make(chan handover),
		done:      make(chan struct{}),
		limiter:   rate.NewLimiter(rate.Limit(srv.limits.MessagesPerSecond), srv.limits.Burst),
		log:       srv.log,
		// Armed only while away, by resync, by the batch.
		graceEnd:    stoppedTimer(),
		resyncRetry: stoppedTimer(),
		batch:       newWaitingBatch(coalesceInterval),
		batchDue:    stoppedTimer(),
	}
}

// stoppedTimer returns a timer that does not fire until Reset.
func stoppedTimer() *time.Timer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}

func (s *session) run(serverCtx context.Context) {
	first := s.link
	first.start()
	flush := s.loop(serverCtx)
	close(s.done)
	if s.handedOff {
		// The link now carries the resumed session: this connection is
		// over when that link is.
		<-first.life.Done()
		return
	}
	s.cleanup()
	if s.link != nil {
		s.link.end(flush)
	}
}

// Timing of a connection's health.
const (
	// joinTimeout: a connection that has not joined by then is closed.
	joinTimeout = 15 * time.Second
	// pingInterval and pingTimeout: a client that does not answer a
	// WebSocket ping in time (a phone that lost its network without
	// closing) is disconnected, so that it does not stay "present".
	pingInterval = 15 * time.Second
	pingTimeout  = 10 * time.Second
	// resyncRetryAfter: a snapshot the client is owed that could not be read is
	// tried again after this long.
	resyncRetryAfter = time.Second
)

// loop is the session's owner loop. It returns when the session ends,
// reporting whether a goodbye waits in the send queue.
func (s *session) loop(serverCtx context.Context) (flush bool) {
	joinDeadline := time.NewTimer(joinTimeout)
	defer joinDeadline.Stop()
	moving := s.srv.moving // nil once it no longer concerns this session
	for {
		// The current link's channels; nil (never ready) while away.
		var inbound <-chan frame
		var lost, overflow <-chan struct{}
		if l := s.link; l != nil {
			inbound, lost, overflow = l.inbound, l.life.Done(), l.overflow
		}
		select {
		case <-joinDeadline.C:
			if !s.joined {
				s.sendError(protocol.CodeNotJoined, "no join within 15 seconds; closing", nil)
				s.closeAfterSend(websocket.StatusPolicyViolation, "join timeout")
				return true
			}
		case <-lost:
			// The writer may fail on a connection the client closed
			// before the reader passes on the close frame: ask the
			// reader what ended it.
			if s.linkEnded(s.link.endedBy()) {
				return false
			}
		case <-serverCtx.Done():
			s.send(protocol.Bye{Type: protocol.TypeBye, Reason: protocol.ByeShutdown})
			s.closeAfterSend(websocket.StatusGoingAway, "server shutting down")
			return true
		case <-moving:
			if s.joined && !s.relay {
				return s.moveOut()
			}
			moving = nil // a relay goes on; a join from now on is refused
		case <-overflow:
			s.log.Info("client too slow; disconnecting")
			if s.linkLost(-1) {
				return false
			}
		case f := <-inbound:
			if f.err != nil {
				if s.linkEnded(f.err) {
					return false
				}
				continue
			}
			if s.handle(f) {
				return true
			}
			if s.handedOff {
				return false
			}
		case h := <-s.resumes:
			if s.takeBack(h) {
				return true
			}
		case <-s.graceEnd.C:
			s.log.Info("participant away for the resume grace; leaving")
			return false
		case d := <-s.events:
			if d.speakers {
				s.onSpeakers(d.talking)
			} else if s.onEvent(d.ev) {
				return true
			}
		case <-s.negotiate:
			s.offerSubscribe()
		case <-s.resyncRetry.C:
			if s.resync() {
				return true
			}
		case <-s.batchDue.C:
			s.flushHeld()
		}
		if s.catchUp() {
			return true
		}
	}
}

// linkEnded handles the end of the client's link with err (its close
// frame, or none); it reports whether the session ends (see linkLost).
func (s *session) linkEnded(err error) bool {
	code := websocket.CloseStatus(err)
	if s.link.closing {
		code = -1 // the server's own close, echoed: not the client leaving
	}
	if code == -1 {
		s.log.Debug("connection ended", zap.Error(err))
	}
	return s.linkLost(code)
}

// catchUp sends what the session could not send when it happened: a
// snapshot after events were missed, and who is talking now. It reports
// whether the session ends.
func (s *session) catchUp() bool {
	if s.missed.Swap(false) && s.joined && !s.relay && s.resync() {
		return true
	}
	if talking := s.unsaid.Swap(nil); talking != nil {
		s.onSpeakers(*talking)
	}
	return false
}

// send queues a message for the client. A full queue ends the link.
// While the participant is away nothing is sent: a resume sends the room
// as it is then.
func (s *session) send(msg any) {
	if s.link == nil {
		return
	}
	data, err := json.Marshal(msg)
	if err != nil {
		s.log.Error("marshal message", zap.Error(err))
		return
	}
	s.link.queue(outgoing{data: data})
}

func (s *session) closeAfterSend(status websocket.StatusCode, reason string) {
	if s.link != nil {
		s.link.queue(outgoing{close: true, status: status, reason: reason})
	}
}

func (s *session) sendError(code, msg string, re json.RawMessage) {
	s.send(protocol.Error{Type: protocol.TypeError, Code: code, Message: msg, Re: re})
}

// handle handles one client frame; it reports whether the session ends.
func (s *session) handle(f frame) bool {
	if !s.limiter.Allow() {
		s.sendError(protocol.CodeRateLimited, "too many messages; this one was dropped", nil)
		return false
	}
	var env protocol.Envelope
	trimmed := bytes.TrimSpace(f.data)
	if f.binary || len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		s.sendError(protocol.CodeBadJSON, "each message must be one JSON object in a text frame", nil)
		return false
	}
	env.ID = cleanID(env.ID)
	h := s.handler(env.Type)
	switch {
	case h == nil:
		s.sendError(protocol.CodeUnknownType, "unknown message type "+quoteType(env.Type), env.ID)
	case s.relay && env.Type != protocol.TypeAnswer && env.Type != protocol.TypeCandidate:
		s.sendError(protocol.CodeNotAllowed, "a relay only answers offers", env.ID)
	case !s.joined && env.Type != protocol.TypeJoin && env.Type != protocol.TypeRelay && env.Type != protocol.TypePing:
		s.sendError(protocol.CodeNotJoined, "send join first", env.ID)
	default:
		return h(trimmed, env.ID)
	}
	return false
}

// handler returns the handler of a message type, nil for a type the
// protocol does not have. A handler reports whether the session ends.
func (s *session) handler(typ string) func(data []byte, re json.RawMessage) (end bool) {
	// cmd wraps a room command that needs no fields.
	cmd := func(c func(st *room.State, a room.Actor) ([]room.Event, error)) func([]byte, json.RawMessage) bool {
		return func(_ []byte, re json.RawMessage) bool {
			s.apply(re, func(st *room.State, _ int64) ([]room.Event, error) { return c(st, s.actor()) })
			return false
		}
	}
	// noEnd adapts a handler that never ends the session.
	noEnd := func(f func([]byte, json.RawMessage)) func([]byte, json.RawMessage) bool {
		return func(data []byte, re json.RawMessage) bool { f(data, re); return false }
	}
	switch typ {
	case protocol.TypeJoin:
		return s.handleJoin
	case protocol.TypeRelay:
		return noEnd(s.handleRelay)
	case protocol.TypeOffer:
		return noEnd(s.handleOffer)
	case protocol.TypeAnswer:
		return noEnd(s.handleAnswer)
	case protocol.TypeCandidate:
		return noEnd(s.handleCandidate)
	case protocol.TypeICERestart:
		return noEnd(s.handleICERestart)
	case protocol.TypeSetSelf:
		return noEnd(s.handleSetSelf)
	case protocol.TypeVideoSizes:
		return noEnd(s.handleVideoSizes)
	case protocol.TypeAudioOnly:
		return noEnd(s.handleAudioOnly)
	case protocol.TypeModerate:
		return noEnd(s.handleModerate)
	case protocol.TypeSegment:
		return noEnd(s.handleSegment)
	case protocol.TypeScreenShare:
		return noEnd(s.handleScreenShare)
	case protocol.TypeRaiseHand:
		return cmd((*room.State).RaiseHand)
	case protocol.TypeLowerHand:
		return cmd((*room.State).LowerHand)
	case protocol.TypeRename:
		return noEnd(func(data []byte, re json.RawMessage) {
			var m protocol.Rename
			if s.decode(data, &m, re) {
				s.apply(re, func(st *room.State, _ int64) ([]room.Event, error) { return st.Rename(s.actor(), m.Name) })
			}
		})
	case protocol.TypeChat:
		return noEnd(func(data []byte, re json.RawMessage) {
			var m protocol.Chat
			if s.decode(data, &m, re) {
				s.apply(re, func(st *room.State, now int64) ([]room.Event, error) {
					return st.SendChat(s.actor(), room.Audience(m.To), m.Text, now)
				})
			}
		})
	case protocol.TypePing:
		return noEnd(func([]byte, json.RawMessage) { s.send(protocol.Pong{Type: protocol.TypePong}) })
	case protocol.TypeReport:
		return noEnd(s.handleReport)
	case protocol.TypeAttendanceProof:
		return noEnd(s.handleAttendanceProof)
	case protocol.TypeConfirmAttendance:
		return noEnd(s.handleConfirmAttendance)
	case protocol.TypeLeave:
		return func([]byte, json.RawMessage) bool {
			s.leftOnPurpose = true
			s.send(protocol.Bye{Type: protocol.TypeBye, Reason: protocol.ByeLeft})
			s.closeAfterSend(websocket.StatusNormalClosure, "left")
			return true
		}
	}
	return nil
}

func (s *session) actor() room.Actor { return room.Actor{ID: s.self.ID, Conn: s.self.Conn} }

// apply runs a room command as this participant; a refusal goes back to
// the client as an error. It reports whether the command was taken.
func (s *session) apply(re json.RawMessage, cmd room.Command) bool {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if _, err := s.srv.rooms.Apply(ctx, s.roomID, cmd); err != nil {
		code, msg := wireError(err)
		if code == protocol.CodeUnavailable {
			s.log.Warn("room command failed", zap.Error(err))
		}
		s.sendError(code, msg, re)
		return false
	}
	return true
}

func (s *session) handleModerate(data []byte, re json.RawMessage) {
	var m protocol.Moderate
	if !s.decode(data, &m, re) {
		return
	}
	c := room.ModCommand{Action: room.Action(m.Action), Name: m.Name, Seconds: m.Seconds, AutoMute: m.AutoMute,
		MessageID: m.MessageID, ReportID: m.ReportID}
	if m.Target != "" {
		id, err := room.ParseParticipantID(m.Target)
		if err != nil {
			s.sendError(protocol.CodeBadRequest, "no such participant", re)
			return
		}
		c.Target = id
	}
	c.Settings = roomSettings(m.Settings)
	s.apply(re, func(st *room.State, now int64) ([]room.Event, error) { return st.Moderate(s.actor(), c, now) })
}

// handleSegment moves the meeting to the next or previous segment of the
// room's format; the room checks the sender's role.
func (s *session) handleSegment(data []byte, re json.RawMessage) {
	var m protocol.Segment
	if !s.decode(data, &m, re) {
		return
	}
	if m.To != protocol.SegmentNext && m.To != protocol.SegmentPrevious {
		s.sendError(protocol.CodeBadRequest, `"to" must be "next" or "previous"`, re)
		return
	}
	s.apply(re, func(st *room.State, now int64) ([]room.Event, error) {
		return st.MoveSegment(s.actor(), room.SegmentMove(m.To), now)
	})
}

// cleanID returns the request id to echo in answers: as the client sent
// it, or, when it holds bytes that are not UTF-8 (which a text frame must
// not carry, RFC 6455 section 5.6), the same value with those bytes
// replaced.
func cleanID(id json.RawMessage) json.RawMessage {
	if utf8.Valid(id) {
		return id
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(id))
	d.UseNumber()
	if d.Decode(&v) != nil {
		return nil
	}
	out, err := json.Marshal(v) // writes invalid bytes as U+FFFD
	if err != nil {
		return nil
	}
	return out
}

func quoteType(t string) string {
	if len(t) > 40 {
		t = t[:40] + "..."
	}
	b, _ := json.Marshal(t)
	return string(b)
}

// decode unmarshals a message; on failure it answers bad_request.
func (s *session) decode(data []byte, v any, re json.RawMessage) bool {
	if err := json.Unmarshal(data, v); err != nil {
		s.sendError(protocol.CodeBadRequest, "malformed fields: "+err.Error(), re)
		return false
	}
	return true
}

func (s *session) handleScreenShare(data []byte, re json.RawMessage) {
	var m protocol.ScreenShare
	if !s.decode(data, &m, re) {
		return
	}
	if m.On == nil {
		s.sendError(protocol.CodeBadRequest, `screen_share needs "on": true or false`, re)
		return
	}
	on := *m.On
	s.apply(re, func(st *room.State, _ int64) ([]room.Event, error) { return st.ShareScreen(s.actor(), on) })
}

func (s *session) handleSetSelf(data []byte, re json.RawMessage) {
	var m protocol.SetSelf
	if !s.decode(data, &m, re) {
		return
	}
	if m.Muted == nil && m.Camera == nil {
		s.sendError(protocol.CodeBadRequest, `set_self needs "muted" or "camera"`, re)
		return
	}
	u := room.SelfUpdate{Muted: m.Muted, Camera: m.Camera}
	s.apply(re, func(st *room.State, _ int64) ([]room.Event, error) { return st.SetSelf(s.actor(), u) })
}
