package signaling_test

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling"
)

// testServer is a signaling server on loopback with an in-memory room.
type testServer struct {
	url   string // ws://127.0.0.1:port/ws
	rooms *room.Service
	room  room.Created
	sfu   *media.SFU
	logs  *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	logs := &syncBuffer{}
	log := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()),
		zapcore.AddSync(logs), zapcore.DebugLevel))
	sfu, err := media.New(media.Config{LoopbackOnly: true, BatchWriteSize: 16}, log.Named("media"))
	if err != nil {
		t.Fatal(err)
	}
	rooms := room.NewService(memory.New())
	created, err := rooms.Create(context.Background(), "Test room")
	if err != nil {
		t.Fatal(err)
	}
	sig := signaling.NewServer(signaling.Params{Rooms: rooms, SFU: sfu, Log: log})
	hs := httptest.NewServer(sig)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5e9)
		defer cancel()
		_ = sig.Shutdown(ctx)
		hs.Close()
		_ = sfu.Close()
	})
	return &testServer{
		url:   "ws" + strings.TrimPrefix(hs.URL, "http") + "/ws",
		rooms: rooms, room: created, sfu: sfu, logs: logs,
	}
}
