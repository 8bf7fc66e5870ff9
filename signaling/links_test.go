package signaling_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// joinErr joins over a new connection and returns the server's refusal
// code ("" when welcomed).
func joinErr(t *testing.T, ctx context.Context, url string, j protocol.Join) (*client.Conn, protocol.Welcome, string) {
	t.Helper()
	c, err := client.DialConn(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	j.Type, j.V = protocol.TypeJoin, protocol.Version
	w, err := c.Join(ctx, j)
	var perr *protocol.Error
	if errors.As(err, &perr) {
		return c, w, perr.Code
	}
	if err != nil {
		t.Fatal(err)
	}
	return c, w, ""
}

// On the wire: a newcomer without the member key, or with a wrong one, is
// refused with bad_link. Rotating the room's links refuses the old member
// link at once, and the person waiting who came through it is told
// link_rotated and said goodbye to with that reason; the admitted member
// stays.
func TestRotatedLinkOnTheWire(t *testing.T) {
	srv := signalingtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	id := srv.Room.ID
	on := true
	if _, err := srv.Rooms.UpdateRoom(ctx, id, room.RoomChange{Settings: &room.SettingsUpdate{WaitingRoom: &on}}); err != nil {
		t.Fatal(err)
	}
	join := func(name, key string) protocol.Join {
		return protocol.Join{Room: id.String(), Name: name, MemberKey: key}
	}

	if _, _, code := joinErr(t, ctx, srv.WSURL, join("Nokey", "")); code != protocol.CodeBadLink {
		t.Errorf("a join without the member key: %q, want bad_link", code)
	}
	if _, _, code := joinErr(t, ctx, srv.WSURL, join("Wrong", srv.Room.FacilitatorKey)); code != protocol.CodeBadLink {
		t.Errorf("a join with a wrong member key: %q, want bad_link", code)
	}
	fac, _, code := joinErr(t, ctx, srv.WSURL, protocol.Join{Room: id.String(), Name: "Fran", FacilitatorKey: srv.Room.FacilitatorKey})
	if code != "" {
		t.Fatal(code)
	}
	go drain(ctx, fac)
	waiting, w, code := joinErr(t, ctx, srv.WSURL, join("Bo", srv.Room.MemberKey))
	if code != "" || w.Self.Status != "waiting" {
		t.Fatalf("Bo: %q %q", code, w.Self.Status)
	}

	if _, err := srv.Rooms.RotateLinks(ctx, id); err != nil {
		t.Fatal(err)
	}
	var gotError, gotBye string
	for gotBye == "" {
		m, err := waiting.Recv(ctx)
		if err != nil {
			t.Fatalf("Bo's connection ended without a bye (error %q): %v", gotError, err)
		}
		switch m.Type {
		case protocol.TypeError:
			var e protocol.Error
			_ = m.Decode(&e)
			gotError = e.Code
		case protocol.TypeBye:
			var b protocol.Bye
			_ = m.Decode(&b)
			gotBye = b.Reason
		}
	}
	if gotError != protocol.CodeLinkRotated || gotBye != protocol.ByeLinkRotated {
		t.Errorf("Bo, waiting with the old link: error %q, bye %q; want link_rotated for both", gotError, gotBye)
	}
	if _, _, code := joinErr(t, ctx, srv.WSURL, join("Late", srv.Room.MemberKey)); code != protocol.CodeBadLink {
		t.Errorf("the old member link after rotation: %q, want bad_link", code)
	}
	d, _ := srv.Rooms.Room(ctx, id)
	member, _, _ := srv.Rooms.LinkKeys(ctx, d)
	if _, _, code := joinErr(t, ctx, srv.WSURL, join("New", member)); code != "" {
		t.Errorf("the new member link: %q", code)
	}
	st, _ := srv.Rooms.Snapshot(ctx, id)
	if p := st.Participants[mustID(t, w.Self.ID)]; p != nil {
		t.Errorf("Bo is still in the meeting's state: %+v", p)
	}
}

func drain(ctx context.Context, c *client.Conn) {
	for {
		if _, err := c.Recv(ctx); err != nil {
			return
		}
	}
}
