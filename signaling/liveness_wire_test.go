package signaling_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/redisstore"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// liveWorld is a room served by one or two signaling servers (a and b);
// with two, they share the room's state and events through one Redis, as
// instances do.
type liveWorld struct {
	a, b  string // WebSocket URLs
	rooms *room.Service
	room  room.Created
}

func startSignaling(t *testing.T, rooms *room.Service) string {
	t.Helper()
	return signalingtest.StartWith(t, rooms).WSURL
}

func twoInstances(t *testing.T) liveWorld {
	t.Helper()
	rs := redistest.Start(t)
	var services []*room.Service
	for range 2 {
		st, err := redisstore.New(context.Background(), redisstore.Params{URL: "redis://" + rs.Addr() + "/0", Prefix: "hearthlive:"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		services = append(services, room.NewService(st, nil))
	}
	created, err := services[0].Create(context.Background(), "Test room", room.DemoSettings())
	if err != nil {
		t.Fatal(err)
	}
	return liveWorld{a: startSignaling(t, services[0]), b: startSignaling(t, services[1]), rooms: services[0], room: created}
}

func (w liveWorld) dial(t *testing.T, ctx context.Context, url string) *client.Conn {
	t.Helper()
	c, err := client.DialConn(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.CloseNow() })
	return c
}

func (w liveWorld) join(name, key, identity string) protocol.Join {
	return protocol.Join{Type: protocol.TypeJoin, V: 1, Room: w.room.ID.String(), Name: name, FacilitatorKey: key, Identity: identity,
		MemberKey: w.room.MemberKey}
}

// No takeover: a second connection presenting the identity of a present
// facilitator (with or without the key) or member, whose connection
// answers pings, gets identity_in_use; the originals keep their
// connections and powers. Once the original's socket is gone (closed
// without leave, or silent: no pong), the same identity comes back
// within the probe's time. On one server, and across two servers
// sharing one Redis (the old connection held by the other instance).
func TestNoTakeoverOfLiveConnection(t *testing.T) {
	t.Run("one server", func(t *testing.T) {
		srv := newTestServer(t)
		checkNoTakeover(t, liveWorld{a: srv.url, b: srv.url, rooms: srv.Rooms, room: srv.Room})
	})
	t.Run("two instances on Redis", func(t *testing.T) { checkNoTakeover(t, twoInstances(t)) })
}

func checkNoTakeover(t *testing.T, w liveWorld) {
	// How soon an identity comes back (within the probe's 2.5 s, and a
	// join's way through the store) is checked in make test's quiet timed
	// run (HEARTH_TIMED=1): in the race suite, where ~30 packages share
	// two cores, a join through Redis alone can take a second. There it
	// is logged, and everything else is checked.
	timed := os.Getenv("HEARTH_TIMED") != ""
	if !timed {
		t.Log("the 3 s bounds on coming back are checked in make test's quiet timed run (HEARTH_TIMED=1)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	key := w.room.FacilitatorKey
	fac := w.dial(t, ctx, w.a)
	fw, err := fac.Join(ctx, w.join("Facil", key, ""))
	if err != nil {
		t.Fatal(err)
	}
	facIn := readAll(ctx, fac)
	mem := w.dial(t, ctx, w.b)
	mw, err := mem.Join(ctx, w.join("Memb", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	memIn := readAll(ctx, mem)

	// Thieves, each through the instance not holding the connection.
	attempts := []struct {
		what, url, key, identity, want string
	}{
		{"facilitator's token without key", w.b, "", fw.Identity, protocol.CodeIdentityInUse},
		{"facilitator's token with the key", w.b, key, fw.Identity, protocol.CodeIdentityInUse},
		{"facilitator's token with a wrong key", w.b, "wrong-key", fw.Identity, protocol.CodeForbidden},
		{"member's token", w.a, "", mw.Identity, protocol.CodeIdentityInUse},
	}
	for _, a := range attempts {
		thief := w.dial(t, ctx, a.url)
		start := time.Now()
		tw, err := thief.Join(ctx, w.join("Thief", a.key, a.identity))
		var perr *protocol.Error
		if !asProtocolError(err, &perr) || perr.Code != a.want {
			t.Fatalf("%s: welcome as %q (%s), err %v; want %s", a.what, tw.Self.Role, tw.Self.ID, err, a.want)
		}
		t.Logf("%s: %s after %v (%s)", a.what, perr.Code, time.Since(start).Round(time.Millisecond), perr.Message)
		// Not joined.
		if err := thief.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActLock)}); err != nil {
			t.Fatal(err)
		}
		expectError(t, ctx, thief, protocol.CodeNotJoined)
	}
	time.Sleep(300 * time.Millisecond)
	if n, m := facIn.count(isType(protocol.TypeBye)), memIn.count(isType(protocol.TypeBye)); n+m != 0 {
		t.Fatalf("after the attempts the facilitator got %d bye, the member %d; want none", n, m)
	}
	st, err := w.rooms.Snapshot(ctx, w.room.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, self := range []protocol.Participant{fw.Self, mw.Self} {
		p := st.Participants[mustID(t, self.ID)]
		if p == nil || !p.Present || p.Conn != 1 || string(p.Role) != self.Role || st.Locked {
			t.Fatalf("after the attempts: %s is %+v (locked %v)", self.Name, p, st.Locked)
		}
	}
	// The facilitator keeps their powers.
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActLock)})
	waitFor(t, 5*time.Second, "the facilitator's lock", func() bool {
		st, _ := w.rooms.Snapshot(ctx, w.room.ID)
		return st.Locked
	})
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActUnlock)})

	// The member's socket is killed (no leave): the token resumes.
	_ = mem.CloseNow()
	killed := time.Now()
	back := w.dial(t, ctx, w.a)
	bw, err := back.Join(ctx, w.join("Memb", "", mw.Identity))
	if err != nil || bw.Self.ID != mw.Self.ID {
		t.Fatalf("member resuming after the socket was closed: %v, %+v", err, bw.Self)
	}
	took := time.Since(killed)
	t.Logf("member back %v after their socket was closed without leave", took.Round(time.Millisecond))
	if took > 3*time.Second && timed {
		t.Errorf("member back after %v, want within 3 s", took)
	}
	readAll(ctx, back)

	// A member's client goes silent (reads nothing, so answers no ping, as
	// a phone that lost its network): their identity gets back in once the
	// probe has waited for the pong.
	silent := w.dial(t, ctx, w.b)
	sw, err := silent.Join(ctx, w.join("Silent", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	again := w.dial(t, ctx, w.a)
	aw, err := again.Join(ctx, w.join("Silent", "", sw.Identity))
	if err != nil || aw.Self.ID != sw.Self.ID {
		t.Fatalf("resuming a silent connection's identity: %v, %+v", err, aw.Self)
	}
	took = time.Since(start)
	t.Logf("silent connection (no pong) replaced after %v", took.Round(time.Millisecond))
	if took > 3500*time.Millisecond && timed {
		t.Errorf("silent connection replaced after %v, want within about 3 s", took)
	}

	// The facilitator's socket killed: back with the key, as facilitator.
	_ = fac.CloseNow()
	killed = time.Now()
	fb := w.dial(t, ctx, w.b)
	fbw, err := fb.Join(ctx, w.join("Facil", key, fw.Identity))
	if err != nil || fbw.Self.ID != fw.Self.ID || fbw.Self.Role != string(room.RoleFacilitator) {
		t.Fatalf("facilitator resuming after the socket was closed: %v, %+v", err, fbw.Self)
	}
	t.Logf("facilitator back %v after their socket was closed without leave", time.Since(killed).Round(time.Millisecond))
}
