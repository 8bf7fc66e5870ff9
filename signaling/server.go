// Package signaling is Hearth's WebSocket endpoint: one session per
// connection, speaking the protocol of docs/protocol.md (package
// signaling/protocol). A session authenticates with its first message,
// turns messages into room commands and media negotiation, and room events
// into messages. Everything live about a room on this instance (peers,
// tracks, gates, timers, relays) belongs to the room's meeting (package
// signaling/meeting); a session only queues work for it.
package signaling

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/meeting"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/verify"
)

// Limits bound what one session may do.
type Limits struct {
	// MessageSize is the largest frame accepted, in bytes.
	MessageSize int64
	// MessagesPerSecond and Burst limit the rate of client messages.
	MessagesPerSecond float64
	Burst             int
	// SendQueue is how many messages may wait for a slow client before it
	// is disconnected.
	SendQueue int
}

func (l *Limits) setDefaults() {
	if l.MessageSize <= 0 {
		l.MessageSize = protocol.MaxMessageSize
	}
	if l.MessagesPerSecond <= 0 {
		l.MessagesPerSecond = 50
	}
	if l.Burst <= 0 {
		l.Burst = 100
	}
	if l.SendQueue <= 0 {
		l.SendQueue = 256
	}
}

// Params configures a Server.
type Params struct {
	Rooms  *room.Service
	SFU    *media.SFU
	Log    *zap.Logger
	Limits Limits
	// OriginPatterns are the hosts, besides the server's own, allowed to
	// open the WebSocket from a browser (see websocket.AcceptOptions).
	OriginPatterns []string
	// Cluster, when set, connects this instance to the others sharing its
	// rooms (media relays, presence of dead instances); package
	// signaling/cluster implements it.
	Cluster Cluster
	// Admission bounds connections and joins per client address and joins
	// per room; the zero value limits nothing.
	Admission Admission
	// ICEServers, when set, gives the TURN servers and credentials sent
	// in a participant's welcome (called once per join, with the
	// participant's id).
	ICEServers func(participantID string) []protocol.ICEServer
	// ResumeGrace is how long the session of a connection that dropped
	// without a goodbye is held for the client to resume it (resume.go);
	// zero holds none: the participant leaves at once.
	ResumeGrace time.Duration
	// Proofs issues proofs of attendance (attendance.go); nil: this
	// server gives none.
	Proofs *verify.Service
}

// Cluster is what the server and its meetings need of the instances
// sharing their rooms.
type Cluster interface {
	meeting.Cluster
	// SecretOK checks the secret a relay from another instance presents.
	SecretOK(secret string) bool
}

// Server serves the signaling WebSocket. Create it with NewServer.
type Server struct {
	// static after construction
	rooms    *room.Service
	sfu      *media.SFU
	log      *zap.Logger
	limits   Limits
	origin   []string
	meetings *meeting.Meetings
	cluster  Cluster    // nil for a single instance
	admit    *admission // safe for concurrent use
	// iceServers mints a participant's TURN credentials; nil: none.
	iceServers func(participantID string) []protocol.ICEServer
	ctx        context.Context    // canceled by Shutdown
	cancel     context.CancelFunc // cancels ctx
	moving     chan struct{}      // closed by Move (drain.go)
	moveOnce   sync.Once          // closes moving
	draining   atomic.Bool        // Drain was called: no new joins (drain.go)

	grace  time.Duration   // the resume grace; 0: none
	proofs *verify.Service // nil: no proofs of attendance

	mu       sync.Mutex     // guards closing and wg.Add against Shutdown's wg.Wait
	closing  bool           // Shutdown has begun: no new session
	sessions sync.WaitGroup // running sessions

	resMu sync.Mutex          // guards held
	held  map[string]*session // sessions that a resume token takes back
	// resumed counts resumes; away counts sessions held without a link.
	resumed atomic.Uint64
	away    atomic.Int64
}

// NewServer returns a Server.
func NewServer(p Params) *Server {
	p.Limits.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	mp := meeting.Params{Rooms: p.Rooms, Log: p.Log}
	if p.Cluster != nil {
		mp.Cluster = p.Cluster
	}
	return &Server{
		rooms: p.Rooms, sfu: p.SFU, log: p.Log, limits: p.Limits, origin: p.OriginPatterns,
		meetings: meeting.New(mp), cluster: p.Cluster, admit: newAdmission(p.Admission), ctx: ctx, cancel: cancel,
		iceServers: p.ICEServers, moving: make(chan struct{}),
		grace: max(p.ResumeGrace, 0), held: map[string]*session{}, proofs: p.Proofs,
	}
}

// Counts returns how many rooms have participants on this instance, and
// how many participants are connected to it.
func (s *Server) Counts() (rooms, participants int) { return s.meetings.Counts() }

// SpeakerChanges is how many times a meeting here sent its participants a
// new set of people talking.
func (s *Server) SpeakerChanges() uint64 { return s.meetings.SpeakerChanges() }

// secretOK checks a relay's secret.
func (s *Server) secretOK(secret string) bool { return s.cluster != nil && s.cluster.SecretOK(secret) }

// ServeHTTP upgrades the request to a WebSocket and runs a session on it
// until either side ends it. A client address over its limits gets 429
// before the upgrade (see Admission); the address is not logged.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.ctx.Err() != nil {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	var adm *entry
	if s.admit.perAddress() {
		var no *refusal
		if adm, no = s.admit.open(s.admit.clientAddr(r)); no != nil {
			refuse(w, no)
			return
		}
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.origin})
	if err != nil {
		if adm != nil {
			s.admit.close(nil, adm)
		}
		s.log.Debug("websocket accept failed", zap.Error(err))
		return
	}
	if adm != nil {
		s.admit.bind(conn, adm)
		defer s.admit.close(conn, adm)
	}
	conn.SetReadLimit(s.limits.MessageSize)
	if !s.enter() {
		_ = conn.Close(websocket.StatusGoingAway, "server shutting down")
		return
	}
	defer s.sessions.Done()
	newSession(s, conn).run(s.ctx)
}

// enter counts a new session, unless Shutdown has begun.
func (s *Server) enter() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.sessions.Add(1)
	return true
}

// Shutdown tells every session the server is going away (bye "shutdown",
// close status 1001), and waits for them to end or ctx to expire.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() { s.sessions.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeTimeout bounds one write to a client.
const writeTimeout = 10 * time.Second
