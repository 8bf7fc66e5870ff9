package signaling_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/redisstore"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// Draining one of two instances sharing a room through Redis: a new join
// on it is refused with draining and its connection closed (1013); the
// people already there go on (a command still works), and one who
// dropped may come back into the meeting running there. Once it moves
// them, each gets reconnect "draining" and its connection closes (1001);
// through the other instance they come back as themselves, with role,
// raised hand and mute as they were, and every join on the drained
// instance is refused.
func TestDrainRefusesJoinsThenMovesParticipants(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rs := redistest.Start(t)
	var srvs []*signalingtest.Server
	for range 2 {
		st, err := redisstore.New(ctx, redisstore.Params{URL: "redis://" + rs.Addr() + "/0", Prefix: "hearthdrain:"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		srvs = append(srvs, signalingtest.StartWith(t, room.NewService(st, nil)))
	}
	a, b := srvs[0], srvs[1]
	w := liveWorld{a: a.WSURL, b: b.WSURL, rooms: a.Rooms, room: a.Room}

	fac := w.dial(t, ctx, w.a)
	fw, err := fac.Join(ctx, w.join("Facil", w.room.FacilitatorKey, ""))
	if err != nil {
		t.Fatal(err)
	}
	mem := w.dial(t, ctx, w.a)
	mw, err := mem.Join(ctx, w.join("Memb", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	if err := mem.Send(ctx, protocol.RaiseHand{Type: protocol.TypeRaiseHand}); err != nil {
		t.Fatal(err)
	}
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActMute), Target: mw.Self.ID})
	dropper := w.dial(t, ctx, w.a)
	dw, err := dropper.Join(ctx, w.join("Dropper", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the hand and the mute", func() bool {
		st, err := w.rooms.Snapshot(ctx, w.room.ID)
		if err != nil {
			return false
		}
		p := st.Participants[mustID(t, mw.Self.ID)]
		return slices.Contains(st.Hands, p.ID) && p.Muted
	})
	facIn, memIn := readAll(ctx, fac), readAll(ctx, mem)

	a.Signaling.Drain()
	if !a.Signaling.Draining() {
		t.Fatal("Draining() is false after Drain")
	}
	late := w.dial(t, ctx, w.a)
	if _, err := late.Join(ctx, w.join("Late", "", "")); !isCode(err, protocol.CodeDraining) {
		t.Fatalf("a new join on a draining instance: %v, want error draining", err)
	}
	if _, err := late.Recv(ctx); websocket.CloseStatus(err) != websocket.StatusTryAgainLater {
		t.Fatalf("after draining the connection: %v, want closed with 1013", err)
	}
	// The meeting goes on: a command works; someone who dropped comes back.
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActLock)})
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActUnlock)})
	_ = dropper.CloseNow()
	back := w.dial(t, ctx, w.a)
	if bw, err := back.Join(ctx, w.join("Dropper", "", dw.Identity)); err != nil || bw.Self.ID != dw.Self.ID {
		t.Fatalf("coming back into the meeting on the draining instance: %v, %+v", err, bw.Self)
	}
	readAll(ctx, back)

	a.Signaling.Move()
	for _, in := range []*inbox{facIn, memIn} {
		select {
		case <-in.done:
		case <-ctx.Done():
			t.Fatal("a connection stayed open after Move")
		}
		if in.count(isReconnect) != 1 {
			t.Fatalf("got %d reconnect draining messages, want 1", in.count(isReconnect))
		}
	}
	waitFor(t, 5*time.Second, "no participant on the drained instance", func() bool {
		_, n := a.Signaling.Counts()
		return n == 0
	})
	again := w.dial(t, ctx, w.a)
	if _, err := again.Join(ctx, w.join("Memb", "", mw.Identity)); !isCode(err, protocol.CodeDraining) {
		t.Fatalf("a comeback on the instance that moved its people: %v, want error draining", err)
	}

	// Through the other instance, as themselves.
	fb := w.dial(t, ctx, w.b)
	fbw, err := fb.Join(ctx, w.join("Facil", w.room.FacilitatorKey, fw.Identity))
	if err != nil || fbw.Self.ID != fw.Self.ID || fbw.Self.Role != string(room.RoleFacilitator) {
		t.Fatalf("facilitator after the move: %v, %+v", err, fbw.Self)
	}
	mb := w.dial(t, ctx, w.b)
	mbw, err := mb.Join(ctx, w.join("Memb", "", mw.Identity))
	if err != nil || mbw.Self.ID != mw.Self.ID || mbw.Self.Role != string(room.RoleMember) ||
		!mbw.Self.Muted || mbw.Self.MutedBy != string(room.MutedByFacilitator) {
		t.Fatalf("member after the move: %v, %+v", err, mbw.Self)
	}
	if !slices.Contains(mbw.Hands, mw.Self.ID) {
		t.Fatalf("member's hand after the move: hands %v", mbw.Hands)
	}
}

func isReconnect(m client.Message) bool {
	var r protocol.Reconnect
	return m.Type == protocol.TypeReconnect && m.Decode(&r) == nil && r.Reason == protocol.ReconnectDraining
}

func isCode(err error, code string) bool {
	var perr *protocol.Error
	return asProtocolError(err, &perr) && perr.Code == code
}
