package signaling_test

import (
	"testing"

	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// testServer is a signaling server on loopback with an in-memory room.
type testServer struct {
	*signalingtest.Server
	url string
}

func newTestServer(t *testing.T) *testServer {
	t.Helper()
	s := signalingtest.Start(t)
	return &testServer{Server: s, url: s.WSURL}
}
