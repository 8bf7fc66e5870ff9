package signaling_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// inbox keeps reading a joined connection in the background (so that the
// server never finds it slow) and holds what arrived.
type inbox struct {
	mu   sync.Mutex
	msgs []client.Message
	done chan struct{}
}

func readAll(ctx context.Context, c *client.Conn) *inbox {
	in := &inbox{done: make(chan struct{})}
	go func() {
		defer close(in.done)
		for {
			m, err := c.Recv(ctx)
			if err != nil {
				return
			}
			in.mu.Lock()
			in.msgs = append(in.msgs, m)
			in.mu.Unlock()
		}
	}()
	return in
}

// count is how many messages so far satisfy match.
func (in *inbox) count(match func(client.Message) bool) int {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for _, m := range in.msgs {
		if match(m) {
			n++
		}
	}
	return n
}

func isType(typ string) func(client.Message) bool {
	return func(m client.Message) bool { return m.Type == typ }
}

func isBye(reason string) func(client.Message) bool {
	return func(m client.Message) bool {
		var b protocol.Bye
		return m.Type == protocol.TypeBye && m.Decode(&b) == nil && b.Reason == reason
	}
}

// isError matches an error with code answering the message with id re.
func isError(code, re string) func(client.Message) bool {
	return func(m client.Message) bool {
		var e protocol.Error
		return m.Type == protocol.TypeError && m.Decode(&e) == nil && e.Code == code && string(e.Re) == re
	}
}

// joinFacilitator joins srv's room with the facilitator key and sets the
// room's settings; it returns the connection, its welcome and its inbox.
func joinFacilitator(t *testing.T, ctx context.Context, srv *testServer, settings *protocol.Settings) (*client.Conn, protocol.Welcome, *inbox) {
	t.Helper()
	fac := dial(t, ctx, srv)
	fj := srv.join("Facil")
	fj.FacilitatorKey = srv.Room.FacilitatorKey
	fw, err := fac.Join(ctx, fj)
	if err != nil {
		t.Fatal(err)
	}
	in := readAll(ctx, fac)
	if settings != nil {
		moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActSettings), Settings: settings})
		waitFor(t, 5*time.Second, "the settings", func() bool { return in.count(isType(protocol.TypeEvent)) > 0 })
	}
	return fac, fw, in
}

func moderate(t *testing.T, ctx context.Context, c *client.Conn, m protocol.Moderate) {
	t.Helper()
	m.Type = protocol.TypeModerate
	if err := c.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// 99 scripted joins through the member link into a room with a waiting
// room do not lock out a real member: people waiting do not count toward
// maxParticipants (100, the default), so with the waiting room's cap
// raised to 100 the member still gets in to wait and is admitted; the
// next newcomer is told waiting_room_full; Deny all empties the waiting
// room. Before the waiting room had its own cap, the member got room_full.
func TestWaitingRoomFloodDoesNotLockOutMember(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	on, maxWaiting := true, 100
	fac, _, facIn := joinFacilitator(t, ctx, srv, &protocol.Settings{WaitingRoom: &on, MaxWaiting: &maxWaiting})

	start := time.Now()
	bots, codes := joinBots(t, ctx, srv, 99)
	flood := time.Since(start)

	member := dial(t, ctx, srv)
	mw, err := member.Join(ctx, srv.join("Realmember"))
	t.Logf("99 scripted joins in %v: %d waiting, refused %v; the real member: status %q, err %v",
		flood.Round(time.Millisecond), len(bots), codes, mw.Self.Status, err)
	if err != nil || mw.Self.Status != string(room.StatusWaiting) {
		t.Fatalf("the real member after 99 scripted joins: %v (status %q), want waiting", err, mw.Self.Status)
	}
	memberIn := readAll(ctx, member)
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActAdmit), Target: mw.Self.ID})
	waitFor(t, 5*time.Second, "the member's snapshot after Admit", func() bool {
		return memberIn.count(isType(protocol.TypeSnapshot)) > 0
	})

	// The waiting room holds 100: one more fits, the next is refused.
	if _, err := dial(t, ctx, srv).Join(ctx, srv.join("bot-100")); err != nil {
		t.Fatalf("the 100th person waiting: %v", err)
	}
	_, err = dial(t, ctx, srv).Join(ctx, srv.join("bot-101"))
	var perr *protocol.Error
	if !asProtocolError(err, &perr) || perr.Code != protocol.CodeWaitingRoomFull {
		t.Fatalf("the 101st person waiting: %v, want waiting_room_full", err)
	}
	t.Logf("the 101st person waiting: %s (%s)", perr.Code, perr.Message)

	// Deny all: every bot is told, and nobody waits any more.
	start = time.Now()
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActDenyAll)})
	waitFor(t, 10*time.Second, "bye denied to every bot", func() bool {
		n := 0
		for _, b := range bots {
			n += b.count(isBye(protocol.ByeDenied))
		}
		return n == len(bots)
	})
	waiting, admitted := presentBy(t, ctx, srv)
	t.Logf("Deny all: %d bots got bye denied in %v; now %d waiting, %d admitted; the facilitator received %d events",
		len(bots), time.Since(start).Round(time.Millisecond), waiting, admitted, facIn.count(isType(protocol.TypeEvent)))
	if waiting != 0 || admitted != 2 {
		t.Errorf("after Deny all: %d waiting, %d admitted; want 0 and 2 (facilitator and member)", waiting, admitted)
	}
	if memberIn.count(isType(protocol.TypeBye)) != 0 {
		t.Error("Deny all reached the admitted member")
	}
}

// joinBots makes n scripted joins through the member link; it returns
// the inboxes of those who wait, and the error codes of the others.
func joinBots(t *testing.T, ctx context.Context, srv *testServer, n int) ([]*inbox, map[string]int) {
	t.Helper()
	bots := make([]*inbox, 0, n)
	codes := map[string]int{}
	for i := range n {
		c := dial(t, ctx, srv)
		w, err := c.Join(ctx, srv.join(fmt.Sprintf("bot-%d", i)))
		var perr *protocol.Error
		switch {
		case err == nil && w.Self.Status == string(room.StatusWaiting):
			bots = append(bots, readAll(ctx, c))
		case asProtocolError(err, &perr):
			codes[perr.Code]++
		default:
			t.Fatalf("bot %d: %v, status %q", i, err, w.Self.Status)
		}
	}
	return bots, codes
}

// presentBy counts the people present in srv's room, waiting and admitted.
func presentBy(t *testing.T, ctx context.Context, srv *testServer) (waiting, admitted int) {
	t.Helper()
	st, err := srv.Rooms.Snapshot(ctx, srv.Room.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range st.Present() {
		if p.Status == room.StatusWaiting {
			waiting++
		} else {
			admitted++
		}
	}
	return waiting, admitted
}

// People in the waiting room cannot rename themselves, chat or raise their
// hand: each gets not_allowed, and facilitators see nothing of it.
func TestWaitingCannotRenameChatOrRaiseHandOnTheWire(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	on := true
	_, _, facIn := joinFacilitator(t, ctx, srv, &protocol.Settings{WaitingRoom: &on})
	w := dial(t, ctx, srv)
	ww, err := w.Join(ctx, srv.join("Waiting"))
	if err != nil || ww.Self.Status != string(room.StatusWaiting) {
		t.Fatalf("join: %v, status %q; want waiting", err, ww.Self.Status)
	}
	in := readAll(ctx, w)
	// The settings' event, then the newcomer's (not just any two events:
	// one that came late would be counted as made by a refused command).
	waitFor(t, 5*time.Second, "the facilitator to see the newcomer", func() bool {
		return facIn.count(func(m client.Message) bool {
			var ev protocol.Event
			return m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Participant != nil && ev.Participant.ID == ww.Self.ID
		}) == 1
	})
	eventsBefore := facIn.count(isType(protocol.TypeEvent))
	cmds := map[string]any{
		"1": map[string]any{"type": protocol.TypeRename, "name": "Sneaky", "id": "1"},
		"2": map[string]any{"type": protocol.TypeChat, "text": "hello", "id": "2"},
		"3": map[string]any{"type": protocol.TypeChat, "text": "hello", "to": "facilitators", "id": "3"},
		"4": map[string]any{"type": protocol.TypeRaiseHand, "id": "4"},
	}
	for _, m := range cmds {
		if err := w.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for id, m := range cmds {
		re, _ := json.Marshal(id)
		waitFor(t, 5*time.Second, fmt.Sprintf("not_allowed for %v", m), func() bool {
			return in.count(isError(protocol.CodeNotAllowed, string(re))) == 1
		})
	}
	in.mu.Lock()
	for _, m := range in.msgs {
		if m.Type == protocol.TypeError {
			t.Logf("%s", m.Raw)
		}
	}
	in.mu.Unlock()
	time.Sleep(300 * time.Millisecond)
	if n := facIn.count(isType(protocol.TypeEvent)) - eventsBefore; n != 0 {
		t.Errorf("the facilitator got %d events from refused commands, want 0", n)
	}
}

// A stolen identity token of a present facilitator gets forbidden, never
// the facilitator's powers, and the facilitator stays connected; with the
// key (what the facilitator's own page sends) the same identity comes
// back. A co-facilitator's token alone comes back as a member.
func TestStolenFacilitatorTokenIsRefused(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	fac, fw, facIn := joinFacilitator(t, ctx, srv, nil)

	// While the facilitator's connection is alive, their token alone is
	// in use (issue 9: no takeover; see TestNoTakeoverOfLiveConnection); a
	// wrong key is refused first.
	for key, want := range map[string]string{"": protocol.CodeIdentityInUse, "wrong-key": protocol.CodeForbidden} {
		thief := dial(t, ctx, srv)
		j := srv.join("Thief")
		j.Identity, j.FacilitatorKey = fw.Identity, key
		w, err := thief.Join(ctx, j)
		var perr *protocol.Error
		if !asProtocolError(err, &perr) || perr.Code != want {
			t.Fatalf("stolen facilitator token (key %q): welcome as %q, err %v; want %s", key, w.Self.Role, err, want)
		}
		t.Logf("stolen facilitator token, key %q: %s (%s)", key, perr.Code, perr.Message)
		// Not joined: a command gets not_joined.
		if err := thief.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActLock)}); err != nil {
			t.Fatal(err)
		}
		expectError(t, ctx, thief, protocol.CodeNotJoined)
	}
	time.Sleep(200 * time.Millisecond)
	if n := facIn.count(isType(protocol.TypeBye)); n != 0 {
		t.Fatalf("the facilitator got %d bye after the attempts, want 0", n)
	}
	st, _ := srv.Rooms.Snapshot(ctx, srv.Room.ID)
	if p := st.Participants[mustID(t, fw.Self.ID)]; p.Conn != 1 || !p.Present || st.Locked {
		t.Fatalf("after the attempts: facilitator %+v, locked %v", *p, st.Locked)
	}

	// A co-facilitator's token alone comes back as a member.
	co := dial(t, ctx, srv)
	cw, err := co.Join(ctx, srv.join("Cora"))
	if err != nil {
		t.Fatal(err)
	}
	moderate(t, ctx, fac, protocol.Moderate{Action: string(room.ActPromote), Target: cw.Self.ID})
	waitFor(t, 5*time.Second, "the promotion", func() bool {
		st, _ := srv.Rooms.Snapshot(ctx, srv.Room.ID)
		return st.Participants[mustID(t, cw.Self.ID)].Role == room.RoleCoFacilitator
	})
	// Their connection is gone (otherwise the token is in use).
	_ = co.CloseNow()
	thief := dial(t, ctx, srv)
	j := srv.join("Thief")
	j.Identity = cw.Identity
	tw, err := thief.Join(ctx, j)
	if err != nil || tw.Self.Role != string(room.RoleMember) {
		t.Fatalf("stolen co-facilitator token: %v, role %q; want member", err, tw.Self.Role)
	}
	if err := thief.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActLock)}); err != nil {
		t.Fatal(err)
	}
	e := expectError(t, ctx, thief, protocol.CodeNotAllowed)
	t.Logf("stolen co-facilitator token: welcome as %s; lock: %s (%s)", tw.Self.Role, e.Code, e.Message)

	// The facilitator's connection drops: their token alone is still
	// refused (the key rule), and their own page reconnects with the
	// identity and the key.
	_ = fac.CloseNow()
	waitFor(t, 5*time.Second, "the facilitator gone", func() bool {
		st, _ := srv.Rooms.Snapshot(ctx, srv.Room.ID)
		return !st.Participants[mustID(t, fw.Self.ID)].Present
	})
	thief = dial(t, ctx, srv)
	j = srv.join("Thief")
	j.Identity = fw.Identity
	_, err = thief.Join(ctx, j)
	var perr *protocol.Error
	if !asProtocolError(err, &perr) || perr.Code != protocol.CodeForbidden {
		t.Fatalf("stolen token of an absent facilitator: %v; want forbidden", err)
	}
	back := dial(t, ctx, srv)
	j = srv.join("Facil")
	j.Identity, j.FacilitatorKey = fw.Identity, srv.Room.FacilitatorKey
	bw, err := back.Join(ctx, j)
	if err != nil || bw.Self.Role != string(room.RoleFacilitator) || bw.Self.ID != fw.Self.ID {
		t.Fatalf("facilitator reconnecting with the key: %v, %+v", err, bw.Self)
	}
}

func mustID(t *testing.T, s string) room.ParticipantID {
	t.Helper()
	id, err := room.ParseParticipantID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
