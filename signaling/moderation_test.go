package signaling_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// A member who sends any facilitator command gets not_allowed, and the
// room does not change.
func TestMemberCannotModerate(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fac := dial(t, ctx, srv)
	fj := srv.join("Facil")
	fj.FacilitatorKey = srv.Room.FacilitatorKey
	fw, err := fac.Join(ctx, fj)
	if err != nil {
		t.Fatal(err)
	}
	other := dial(t, ctx, srv)
	ow, err := other.Join(ctx, srv.join("Other"))
	if err != nil {
		t.Fatal(err)
	}
	member := dial(t, ctx, srv)
	if _, err := member.Join(ctx, srv.join("Member")); err != nil {
		t.Fatal(err)
	}
	// Give the room something to act on: a raised hand and a message.
	if err := other.Send(ctx, protocol.RaiseHand{Type: protocol.TypeRaiseHand}); err != nil {
		t.Fatal(err)
	}
	if err := fac.Send(ctx, protocol.Chat{Type: protocol.TypeChat, Text: "Welcome"}); err != nil {
		t.Fatal(err)
	}
	var chat protocol.Event
	for chat.Kind != "chat" {
		if err := nextOfType(t, ctx, member, protocol.TypeEvent).Decode(&chat); err != nil {
			t.Fatal(err)
		}
	}
	// The hand and the message come over two connections: wait until
	// the room holds both, or a hand applied late would look like a
	// change made by a refused command.
	before, err := srv.Rooms.Snapshot(ctx, srv.Room.ID)
	for err == nil && len(before.Hands) == 0 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
		before, err = srv.Rooms.Snapshot(ctx, srv.Room.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Hands) == 0 {
		t.Fatal("the raised hand never reached the room")
	}
	mode := "moderated"
	for _, action := range room.Actions() {
		m := protocol.Moderate{Type: protocol.TypeModerate, Action: string(action), Target: ow.Self.ID,
			Name: "Renamed", Seconds: 60, MessageID: chat.Message.ID, Settings: &protocol.Settings{Mode: &mode}}
		if action == room.ActDemote || action == room.ActMute || action == room.ActRemove {
			m.Target = fw.Self.ID
		}
		if err := member.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		e := expectError(t, ctx, member, protocol.CodeNotAllowed)
		t.Logf("%s: %s", action, e.Message)
	}
	after, err := srv.Rooms.Snapshot(ctx, srv.Room.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(before, after) {
		t.Errorf("the room changed after refused commands:\nbefore %+v\nafter  %+v", before, after)
	}
}

// A removed participant is disconnected with bye "removed", and cannot come
// back with the same identity, nor by reconnecting.
func TestRemovedCannotReturn(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fac := dial(t, ctx, srv)
	fj := srv.join("Facil")
	fj.FacilitatorKey = srv.Room.FacilitatorKey
	if _, err := fac.Join(ctx, fj); err != nil {
		t.Fatal(err)
	}
	intruder := dial(t, ctx, srv)
	iw, err := intruder.Join(ctx, srv.join("Intruder"))
	if err != nil {
		t.Fatal(err)
	}
	if err := fac.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActRemove), Target: iw.Self.ID}); err != nil {
		t.Fatal(err)
	}
	var bye protocol.Bye
	if err := nextOfType(t, ctx, intruder, protocol.TypeBye).Decode(&bye); err != nil {
		t.Fatal(err)
	}
	if bye.Reason != protocol.ByeRemoved {
		t.Errorf("bye reason %q, want removed", bye.Reason)
	}
	// Reconnecting with the identity (what a reload does) is refused.
	again := dial(t, ctx, srv)
	j := srv.join("Intruder")
	j.Identity = iw.Identity
	_, err = again.Join(ctx, j)
	var perr *protocol.Error
	if !asProtocolError(err, &perr) || perr.Code != protocol.CodeRemoved {
		t.Fatalf("rejoin after removal: %v, want error removed", err)
	}
	// The facilitator's view: the intruder is gone.
	st, _ := srv.Rooms.Snapshot(ctx, srv.Room.ID)
	for _, p := range st.Present() {
		if p.Name == "Intruder" {
			t.Error("removed participant is still present")
		}
	}
}

func asProtocolError(err error, target **protocol.Error) bool {
	e, ok := err.(*protocol.Error)
	if ok {
		*target = e
	}
	return ok
}

// A member muted by the facilitator whose client ignores the instruction
// and keeps sending audio delivers zero bytes to anyone.
func TestFacilitatorMuteStopsAudioAtTheServer(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fac := newFacilitatorBot(t, ctx, srv)
	talker, listener := newBot(t, ctx, srv, "Talker"), newBot(t, ctx, srv, "Listener")
	sendCtx, stop := context.WithCancel(ctx)
	defer stop()
	go talker.send(sendCtx) // a client that never stops sending
	for _, l := range []*bot{listener, fac} {
		waitFor(t, 15*time.Second, "audio from the talker", func() bool { return l.countBytes(talker.p.ID(), "audio") > 0 })
	}
	if err := fac.p.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActMute), Target: talker.p.ID()}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the SFU to drop the muted audio", func() bool { return srv.SFU.Stats().PacketsMuted.Load() > 0 })
	// The audio already in flight arrives, while the video goes on.
	before := signalingtest.AudioSettled(t, talker.p.ID(), listener.Bot, fac.Bot)
	// The talker's client tries to unmute itself: refused.
	n := len(talker.Messages())
	unmuted := false
	if err := talker.p.SetSelf(ctx, &unmuted, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the talker's unmute refused", func() bool {
		for _, m := range talker.Messages()[n:] {
			var e protocol.Error
			if m.Type == protocol.TypeError && m.Decode(&e) == nil && e.Code == protocol.CodeNotAllowed {
				return true
			}
		}
		return false
	})
	// Over 75 more video packets (1.5 s of the stream), no audio.
	signalingtest.VideoGoesOn(t, talker.p.ID(), 75, listener.Bot, fac.Bot)
	for i, l := range []*bot{listener, fac} {
		if got := l.countBytes(talker.p.ID(), "audio") - before[i]; got != 0 {
			t.Errorf("receiver %d got %d bytes of audio from a muted talker, want 0", i, got)
		}
	}
}

func newFacilitatorBot(t *testing.T, ctx context.Context, srv *testServer) *bot {
	t.Helper()
	return newBotWith(t, ctx, srv, protocol.Join{Room: srv.Room.ID.String(), Name: "Facilitator", FacilitatorKey: srv.Room.FacilitatorKey})
}
