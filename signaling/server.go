// Package signaling is Hearth's WebSocket endpoint: one session per
// connection, speaking the protocol of docs/protocol.md (package
// signaling/protocol). A session authenticates with its first message,
// turns messages into room commands and media negotiation, and room events
// into messages. It tells media what to forward to whom: every participant
// of a room subscribes to the tracks of every other participant connected
// to this instance.
package signaling

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
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
	// rooms (media relays, presence of dead instances).
	Cluster Cluster
}

// Server serves the signaling WebSocket. Create it with NewServer.
type Server struct {
	// static after construction
	rooms   *room.Service
	sfu     *media.SFU
	log     *zap.Logger
	limits  Limits
	origin  []string
	hub     *hub
	cluster Cluster // nil for a single instance
	relays  *relays
	// clusterPoke wakes the cluster loop early (capacity 1).
	clusterPoke chan struct{}
	ctx         context.Context // canceled by Shutdown
	cancel      context.CancelFunc

	wg sync.WaitGroup // running sessions
}

// NewServer returns a Server.
func NewServer(p Params) *Server {
	p.Limits.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		rooms: p.Rooms, sfu: p.SFU, log: p.Log, limits: p.Limits, origin: p.OriginPatterns,
		hub: newHub(p.Rooms, p.Log), cluster: p.Cluster, clusterPoke: make(chan struct{}, 1), ctx: ctx, cancel: cancel,
	}
	s.relays = newRelays(s)
	if s.cluster != nil {
		go s.runCluster()
	}
	return s
}

// Counts returns how many rooms have participants on this instance, and
// how many participants are connected to it.
func (s *Server) Counts() (rooms, participants int) { return s.hub.counts() }

// instance is this instance's id, or "" for a single instance.
func (s *Server) instance() string {
	if s.cluster == nil {
		return ""
	}
	return s.cluster.Instance()
}

// ServeHTTP upgrades the request to a WebSocket and runs a session on it
// until either side ends it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.ctx.Err() != nil {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: s.origin})
	if err != nil {
		s.log.Debug("websocket accept failed", zap.Error(err))
		return
	}
	conn.SetReadLimit(s.limits.MessageSize)
	s.wg.Add(1)
	defer s.wg.Done()
	newSession(s, conn).run(s.ctx)
}

// Shutdown tells every session the server is going away (bye "shutdown",
// close status 1001), and waits for them to end or ctx to expire.
func (s *Server) Shutdown(ctx context.Context) error {
	s.cancel()
	s.relays.closeAll()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// writeTimeout bounds one write to a client.
const writeTimeout = 10 * time.Second
