// Package signalingtest runs a complete Hearth signaling server (in-memory
// rooms, the SFU with loopback-only ICE) on 127.0.0.1 for tests and the
// load generator's self-test.
package signalingtest

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling"
	"github.com/hearth-meet/hearth/signaling/admin"
)

// AdminToken is the admin API token of test servers.
const AdminToken = "test-admin-token"

// Server is a running test server.
type Server struct {
	// URL is the HTTP base, http://127.0.0.1:<port>.
	URL string
	// WSURL is the signaling endpoint, ws://127.0.0.1:<port>/ws.
	WSURL string
	Rooms *room.Service
	SFU   *media.SFU
	// Room is a room created at start: its id and keys (MemberKey is
	// empty when rooms has no Directory).
	Room room.Created
	// Logs holds everything the server logged, at debug level.
	Logs *SyncBuffer
	// Signaling is the signaling server.
	Signaling *signaling.Server
}

// SyncBuffer is a bytes.Buffer safe for concurrent use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write implements io.Writer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Start runs a server with in-memory rooms (a memory Directory, so that
// joins need the room's member key, Room.MemberKey) until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartWith(t, room.NewServiceWith(room.ServiceParams{Store: memory.New(), Directory: memory.NewDirectory()}))
}

// StartWith runs a server over rooms (e.g. a Service on a Redis store
// that several test servers share, as instances do) until the test ends.
func StartWith(t testing.TB, rooms *room.Service) *Server {
	t.Helper()
	return start(t, rooms, signaling.Params{})
}

// StartResumable runs a server with in-memory rooms that holds the
// session of a dropped connection for grace (signaling.Params.ResumeGrace).
func StartResumable(t testing.TB, grace time.Duration) *Server {
	t.Helper()
	return start(t, room.NewService(memory.New(), nil), signaling.Params{ResumeGrace: grace})
}

// StartWithParams runs a server over rooms with p (its Rooms, SFU and Log
// are set here) until the test ends.
func StartWithParams(t testing.TB, rooms *room.Service, p signaling.Params) *Server {
	t.Helper()
	return start(t, rooms, p)
}

// start runs a server over rooms with p (its Rooms, SFU and Log are set here).
func start(t testing.TB, rooms *room.Service, p signaling.Params) *Server {
	t.Helper()
	logs := &SyncBuffer{}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(logs), zapcore.DebugLevel))
	sfu, err := media.New(media.Config{LoopbackOnly: true, BatchWriteSize: 16}, log.Named("media"))
	if err != nil {
		t.Fatal(err)
	}
	// The test room lets people straight in, unmuted, like the demo room.
	created, err := rooms.Create(context.Background(), "Test room", room.DemoSettings())
	if err != nil {
		t.Fatal(err)
	}
	p.Rooms, p.SFU, p.Log = rooms, sfu, log
	sig := signaling.NewServer(p)
	mux := http.NewServeMux()
	mux.Handle("GET /ws", sig)
	hs := httptest.NewUnstartedServer(mux)
	hs.Start()
	mux.Handle("/api/", admin.Handler(admin.Params{
		Rooms: rooms, Log: log, Token: AdminToken, BaseURL: hs.URL}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sig.Shutdown(ctx)
		hs.Close()
		_ = sfu.Close()
	})
	return &Server{
		URL: hs.URL, WSURL: "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws",
		Rooms: rooms, SFU: sfu, Room: created, Logs: logs, Signaling: sig,
	}
}
