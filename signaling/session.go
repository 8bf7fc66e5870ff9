package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
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

// session is one client connection. Three goroutines: the reader turns
// frames into inbound messages, the writer drains the bounded send queue,
// and the run loop (the owner of everything below "owned by the run loop")
// handles messages, room events and negotiation one at a time. The
// session translates: client messages become room commands and media
// negotiation, room events (delivered by the room's meeting) become
// messages. The meeting and the SFU only ever queue work for a session;
// they never wait on it.
type session struct {
	// static after construction
	srv       *Server
	conn      *websocket.Conn
	out       chan outgoing   // the send queue, drained by the writer
	events    chan room.Event // room events, queued by the room's meeting
	negotiate chan struct{}   // the subscribe connection needs an offer
	overflow  chan struct{}   // closed when a queue overflowed
	overOnce  sync.Once       // closes overflow
	limiter   *rate.Limiter   // client message rate
	log       *zap.Logger     // no names or addresses; ids only

	// viewer is a copy of self, stored by the run loop whenever self
	// changes and read by deliver (see there); nil until the join.
	viewer atomic.Pointer[room.Participant]

	// owned by the run loop
	joined         bool
	roomID         room.RoomID
	self           room.Participant // as the room's state last said; shown, never enforced here
	seq            uint64           // last room event sent to the client
	seat           *meeting.Seat    // the session's place in the room's meeting
	peer           *media.Peer
	awaitingAnswer bool // a subscribe offer was sent and not yet answered
	renegotiate    bool // another offer is needed once it is
	leftOnPurpose  bool // the client sent leave
	relay          bool // the connection is a media relay from another instance
	// resyncRetry fires when a snapshot the client is owed could not be
	// read and is to be tried again; stopped otherwise.
	resyncRetry *time.Timer
	// batch holds events about the waiting room for a facilitator's
	// client; batchDue fires when they are due (stopped while none are).
	batch    waitingBatch
	batchDue *time.Timer
}

// outgoing is one item of the send queue: a message, or the instruction
// to close the connection once everything before it was written.
type outgoing struct {
	data   []byte
	close  bool
	status websocket.StatusCode
	reason string
}

func newSession(srv *Server, conn *websocket.Conn) *session {
	return &session{
		srv:       srv,
		conn:      conn,
		out:       make(chan outgoing, srv.limits.SendQueue),
		events:    make(chan room.Event, 4*srv.limits.SendQueue),
		negotiate: make(chan struct{}, 1),
		overflow:  make(chan struct{}),
		limiter:   rate.NewLimiter(rate.Limit(srv.limits.MessagesPerSecond), srv.limits.Burst),
		log:       srv.log,
		// Armed only by resync.
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

// frame is what the reader passes on: a message, or the read error that
// ended the connection.
type frame struct {
	data   []byte
	binary bool
	err    error
}

func (s *session) run(serverCtx context.Context) {
	life, kill := context.WithCancel(context.Background())
	defer kill()
	inbound := make(chan frame)
	go s.read(life, inbound)
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.write(life, kill)
	}()
	go s.keepAlive(life, kill)

	flush := s.loop(serverCtx, life, inbound)
	s.cleanup()

	if flush {
		// Let the writer send the goodbye and close the connection.
		select {
		case <-writerDone:
		case <-time.After(writeTimeout):
		}
	}
	kill()
	_ = s.conn.CloseNow()
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

// keepAlive pings the client until the session ends; no pong in time ends it.
func (s *session) keepAlive(ctx context.Context, kill context.CancelFunc) {
	t := time.NewTicker(pingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, pingTimeout)
			err := s.conn.Ping(pctx)
			cancel()
			if err != nil && ctx.Err() == nil {
				s.log.Debug("client did not answer a ping", zap.Error(err))
				kill()
				return
			}
		}
	}
}

func (s *session) read(ctx context.Context, inbound chan<- frame) {
	for {
		typ, data, err := s.conn.Read(ctx)
		f := frame{data: data, binary: typ == websocket.MessageBinary, err: err}
		select {
		case inbound <- f:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (s *session) write(ctx context.Context, kill context.CancelFunc) {
	for {
		select {
		case <-ctx.Done():
			return
		case o := <-s.out:
			if o.close {
				_ = s.conn.Close(o.status, o.reason)
				kill()
				return
			}
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := s.conn.Write(wctx, websocket.MessageText, o.data)
			cancel()
			if err != nil {
				kill()
				return
			}
		}
	}
}

// loop is the session's owner loop. It returns when the session ends,
// reporting whether a goodbye waits in the send queue.
func (s *session) loop(serverCtx, life context.Context, inbound <-chan frame) (flush bool) {
	joinDeadline := time.NewTimer(joinTimeout)
	defer joinDeadline.Stop()
	for {
		select {
		case <-joinDeadline.C:
			if !s.joined {
				s.sendError(protocol.CodeNotJoined, "no join within 15 seconds; closing", nil)
				s.closeAfterSend(websocket.StatusPolicyViolation, "join timeout")
				return true
			}
		case <-life.Done():
			return false
		case <-serverCtx.Done():
			s.send(protocol.Bye{Type: protocol.TypeBye, Reason: protocol.ByeShutdown})
			s.closeAfterSend(websocket.StatusGoingAway, "server shutting down")
			return true
		case <-s.overflow:
			s.log.Info("client too slow; disconnecting")
			_ = s.conn.CloseNow() // no handshake: the socket is what is stuck
			return false
		case f := <-inbound:
			if f.err != nil {
				if code := websocket.CloseStatus(f.err); code == -1 {
					s.log.Debug("connection ended", zap.Error(f.err))
				}
				return false
			}
			if s.handle(f) {
				return true
			}
		case ev := <-s.events:
			if s.onEvent(ev) {
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
	}
}

// send queues a message for the client. A full queue ends the session.
func (s *session) send(msg any) {
	data, err := json.Marshal(msg)
	if err != nil {
		s.log.Error("marshal message", zap.Error(err))
		return
	}
	select {
	case s.out <- outgoing{data: data}:
	default:
		s.overflowed()
	}
}

func (s *session) closeAfterSend(status websocket.StatusCode, reason string) {
	select {
	case s.out <- outgoing{close: true, status: status, reason: reason}:
	default:
		s.overflowed()
	}
}

func (s *session) overflowed() { s.overOnce.Do(func() { close(s.overflow) }) }

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
	case !s.joined && env.Type != protocol.TypeJoin && env.Type != protocol.TypeRelay:
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
		return noEnd(s.handleJoin)
	case protocol.TypeRelay:
		return noEnd(s.handleRelay)
	case protocol.TypeOffer:
		return noEnd(s.handleOffer)
	case protocol.TypeAnswer:
		return noEnd(s.handleAnswer)
	case protocol.TypeCandidate:
		return noEnd(s.handleCandidate)
	case protocol.TypeSetSelf:
		return noEnd(s.handleSetSelf)
	case protocol.TypeModerate:
		return noEnd(s.handleModerate)
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
// the client as an error.
func (s *session) apply(re json.RawMessage, cmd room.Command) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if _, err := s.srv.rooms.Apply(ctx, s.roomID, cmd); err != nil {
		code, msg := wireError(err)
		if code == protocol.CodeUnavailable {
			s.log.Warn("room command failed", zap.Error(err))
		}
		s.sendError(code, msg, re)
	}
}

func (s *session) handleModerate(data []byte, re json.RawMessage) {
	var m protocol.Moderate
	if !s.decode(data, &m, re) {
		return
	}
	c := room.ModCommand{Action: room.Action(m.Action), Name: m.Name, Seconds: m.Seconds, AutoMute: m.AutoMute, MessageID: m.MessageID}
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
