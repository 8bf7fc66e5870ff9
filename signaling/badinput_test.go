package signaling_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// nextOfType reads messages until one of the given type arrives.
func nextOfType(t *testing.T, ctx context.Context, c *client.Conn, typ string) client.Message {
	t.Helper()
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatalf("waiting for %q: %v", typ, err)
		}
		if m.Type == typ {
			return m
		}
	}
}

func expectError(t *testing.T, ctx context.Context, c *client.Conn, code string) protocol.Error {
	t.Helper()
	var e protocol.Error
	if err := nextOfType(t, ctx, c, protocol.TypeError).Decode(&e); err != nil {
		t.Fatal(err)
	}
	if e.Code != code {
		t.Fatalf("error code %q (%s), want %q", e.Code, e.Message, code)
	}
	if e.Message == "" {
		t.Errorf("error %q has no message", code)
	}
	return e
}

func dial(t *testing.T, ctx context.Context, srv *testServer) *client.Conn {
	t.Helper()
	c, err := client.DialConn(ctx, srv.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func (srv *testServer) join(name string) protocol.Join {
	return protocol.Join{Type: protocol.TypeJoin, V: 1, Room: srv.Room.ID.String(), Name: name, MemberKey: srv.Room.MemberKey}
}

// Every kind of bad input gets its documented error on the wire; the
// session stays usable, and a bystander in the same room sees nothing
// break.
func TestBadInputGetsClearErrors(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	bystander := dial(t, ctx, srv)
	if _, err := bystander.Join(ctx, srv.join("Bystander")); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		before bool // sent before join
		send   func(c *client.Conn) error
		code   string
	}{
		{"malformed JSON", true, func(c *client.Conn) error { return c.SendRaw(ctx, []byte(`{"type": "join", `)) }, protocol.CodeBadJSON},
		{"JSON that is not an object", true, func(c *client.Conn) error { return c.SendRaw(ctx, []byte(`[1,2,3]`)) }, protocol.CodeBadJSON},
		{"binary frame", true, func(c *client.Conn) error { return c.SendBinary(ctx, []byte{0, 1, 2}) }, protocol.CodeBadJSON},
		{"message before join", true, func(c *client.Conn) error {
			return c.Send(ctx, protocol.SDP{Type: protocol.TypeOffer, PC: "pub", SDP: "v=0"})
		}, protocol.CodeNotJoined},
		{"unknown type before join", true, func(c *client.Conn) error { return c.SendRaw(ctx, []byte(`{"type":"dance"}`)) }, protocol.CodeUnknownType},
		{"wrong version", true, func(c *client.Conn) error {
			j := srv.join("Vee")
			j.V = 99
			return c.Send(ctx, j)
		}, protocol.CodeBadVersion},
		{"unknown room", true, func(c *client.Conn) error {
			j := srv.join("Ro")
			j.Room = "not-a-room"
			return c.Send(ctx, j)
		}, protocol.CodeRoomNotFound},
		{"wrong facilitator key", true, func(c *client.Conn) error {
			j := srv.join("Fay")
			j.FacilitatorKey = "guess"
			return c.Send(ctx, j)
		}, protocol.CodeForbidden},
		{"empty name", true, func(c *client.Conn) error { return c.Send(ctx, srv.join("   ")) }, protocol.CodeBadRequest},
		{"field of the wrong type", true, func(c *client.Conn) error {
			return c.SendRaw(ctx, []byte(`{"type":"join","v":"one"}`))
		}, protocol.CodeBadRequest},
		{"unknown type", false, func(c *client.Conn) error { return c.SendRaw(ctx, []byte(`{"type":"dance","id":7}`)) }, protocol.CodeUnknownType},
		{"missing type", false, func(c *client.Conn) error { return c.SendRaw(ctx, []byte(`{"sdp":"x"}`)) }, protocol.CodeUnknownType},
		{"invalid SDP offer", false, func(c *client.Conn) error {
			return c.Send(ctx, protocol.SDP{Type: protocol.TypeOffer, PC: "pub", SDP: "this is not SDP"})
		}, protocol.CodeBadSDP},
		{"offer on the wrong connection", false, func(c *client.Conn) error {
			return c.Send(ctx, protocol.SDP{Type: protocol.TypeOffer, PC: "sub", SDP: "v=0"})
		}, protocol.CodeBadRequest},
		{"answer with no offer pending", false, func(c *client.Conn) error {
			return c.Send(ctx, protocol.SDP{Type: protocol.TypeAnswer, PC: "sub", SDP: "v=0"})
		}, protocol.CodeBadRequest},
		{"candidate without connection", false, func(c *client.Conn) error {
			return c.SendRaw(ctx, []byte(`{"type":"candidate","candidate":{"candidate":"x"}}`))
		}, protocol.CodeBadRequest},
		{"set_self with nothing", false, func(c *client.Conn) error { return c.SendRaw(ctx, []byte(`{"type":"set_self"}`)) }, protocol.CodeBadRequest},
		{"second join", false, func(c *client.Conn) error { return c.Send(ctx, srv.join("Again")) }, protocol.CodeAlreadyJoined},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ctx, srv)
			if !tc.before {
				if _, err := c.Join(ctx, srv.join("Tester")); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.send(c); err != nil {
				t.Fatal(err)
			}
			expectError(t, ctx, c, tc.code)
			// The session goes on: a correct message still works.
			if tc.before {
				if _, err := c.Join(ctx, srv.join("Recovered")); err != nil {
					t.Fatalf("join after %s: %v", tc.name, err)
				}
			} else {
				muted := true
				if err := c.Send(ctx, protocol.SetSelf{Type: protocol.TypeSetSelf, Muted: &muted}); err != nil {
					t.Fatal(err)
				}
				var ev protocol.Event
				if err := nextOfType(t, ctx, c, protocol.TypeEvent).Decode(&ev); err != nil {
					t.Fatal(err)
				}
			}
		})
	}

	// A frame over the size limit closes that connection with 1009 only.
	big := dial(t, ctx, srv)
	if _, err := big.Join(ctx, srv.join("Big")); err != nil {
		t.Fatal(err)
	}
	_ = big.SendRaw(ctx, []byte(`{"type":"set_self","pad":"`+strings.Repeat("x", protocol.MaxMessageSize)+`"}`))
	for {
		_, err := big.Recv(ctx)
		if err != nil {
			if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
				t.Fatalf("oversized frame: close status %v (%v), want 1009", got, err)
			}
			break
		}
	}

	// The error echoes the client's message id.
	c := dial(t, ctx, srv)
	_ = c.SendRaw(ctx, []byte(`{"type":"offer","id":"abc"}`))
	if e := expectError(t, ctx, c, protocol.CodeNotJoined); string(e.Re) != `"abc"` {
		t.Errorf("error re = %s, want \"abc\"", e.Re)
	}

	// The bystander is still in the meeting and sees newcomers.
	late := dial(t, ctx, srv)
	w, err := late.Join(ctx, srv.join("Late"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		var ev protocol.Event
		if err := nextOfType(t, ctx, bystander, protocol.TypeEvent).Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == "joined" && ev.Participant.ID == w.Self.ID {
			break
		}
	}
}

// A flood of messages is cut by the rate limit: the extra messages get
// rate_limited, and the session goes on.
func TestFloodIsRateLimited(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(t, ctx, srv)
	if _, err := c.Join(ctx, srv.join("Flood")); err != nil {
		t.Fatal(err)
	}
	for range 300 {
		if err := c.SendRaw(ctx, []byte(`{"type":"candidate","pc":"pub","candidate":{"candidate":""}}`)); err != nil {
			t.Fatal(err)
		}
	}
	expectError(t, ctx, c, protocol.CodeRateLimited)
	time.Sleep(time.Second) // the bucket refills
	muted := true
	if err := c.Send(ctx, protocol.SetSelf{Type: protocol.TypeSetSelf, Muted: &muted}); err != nil {
		t.Fatal(err)
	}
	for {
		m := nextOfType(t, ctx, c, protocol.TypeEvent)
		var ev protocol.Event
		if err := m.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == "updated" && ev.Participant.Muted {
			return
		}
	}
}
