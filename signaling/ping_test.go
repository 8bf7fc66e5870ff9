package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/protocol"
)

// A client's ping is answered with a pong at once, before and after its
// join: what the browser uses to find out that its socket went silent.
// A ping with fields it does not need is answered all the same.
func TestPingGetsPong(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := dial(t, ctx, srv)
	ping := func(raw string) {
		t.Helper()
		if err := c.SendRaw(ctx, []byte(raw)); err != nil {
			t.Fatal(err)
		}
		nextOfType(t, ctx, c, protocol.TypePong)
	}
	// Before join the pong is the only answer (no not_joined error).
	if err := c.SendRaw(ctx, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	if m, err := c.Recv(ctx); err != nil || m.Type != protocol.TypePong {
		t.Fatalf("the answer to a ping before join is %q (%v), want a pong", m.Type, err)
	}
	if _, err := c.Join(ctx, srv.join("Pinger")); err != nil {
		t.Fatal(err)
	}
	ping(`{"type":"ping","id":7}`)
	// The session goes on: a command still works after pings.
	if err := c.Send(ctx, protocol.Envelope{Type: protocol.TypeRaiseHand}); err != nil {
		t.Fatal(err)
	}
	nextOfType(t, ctx, c, protocol.TypeEvent)
}
