package room_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
)

// recorder collects delivered events; its deliver only appends, so it never
// blocks the store.
type recorder struct {
	mu  sync.Mutex
	evs []room.Event
}

func (r *recorder) deliver(ev room.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) events() []room.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]room.Event(nil), r.evs...)
}

func newService(t *testing.T) (*room.Service, room.Created) {
	t.Helper()
	svc := room.NewService(memory.New())
	c, err := svc.Create(context.Background(), "Tuesday group")
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return svc, c
}

func TestServiceCreate(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New())
	ids := map[room.RoomID]bool{}
	keys := map[string]bool{}
	for i := range 50 {
		name := fmt.Sprintf("group %d", i)
		c, err := svc.Create(ctx, name)
		if err != nil {
			t.Fatalf("Create %d: %v", i, err)
		}
		if c.ID == (room.RoomID{}) {
			t.Errorf("Create %d: zero room id", i)
		}
		if ids[c.ID] {
			t.Errorf("Create %d: duplicate room id %v", i, c.ID)
		}
		if keys[c.FacilitatorKey] {
			t.Errorf("Create %d: duplicate facilitator key", i)
		}
		ids[c.ID], keys[c.FacilitatorKey] = true, true
		if raw, err := base64.RawURLEncoding.DecodeString(c.FacilitatorKey); err != nil || len(raw) != 32 {
			t.Errorf("facilitator key %q: %d bytes, %v; want 32 bytes of URL-safe base64", c.FacilitatorKey, len(raw), err)
		}

		st, err := svc.Snapshot(ctx, c.ID)
		if err != nil {
			t.Fatalf("Snapshot %d: %v", i, err)
		}
		if st.ID != c.ID || st.Name != name || st.Seq != 0 || len(st.Participants) != 0 || len(st.Identities) != 0 {
			t.Errorf("new room state = %s", dump(t, st))
		}
		if st.FacilitatorKeyHash != sha256Hex(c.FacilitatorKey) {
			t.Errorf("stored key hash %q is not the hash of the returned key", st.FacilitatorKeyHash)
		}
	}
}

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := room.NewSecret()
		if raw, err := base64.RawURLEncoding.DecodeString(s); err != nil || len(raw) != 32 {
			t.Fatalf("NewSecret() = %q: %d bytes, %v", s, len(raw), err)
		}
		if seen[s] {
			t.Fatalf("NewSecret() repeated %q", s)
		}
		seen[s] = true
	}
}

func TestServiceJoinLeaveSetSelf(t *testing.T) {
	ctx := context.Background()
	svc, c := newService(t)

	fran, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	if err != nil {
		t.Fatalf("facilitator join: %v", err)
	}
	if fran.Self.Role != room.RoleFacilitator || fran.Self.Conn != 1 || !fran.Self.Present || fran.Seq != 1 || fran.RoomName != "Tuesday group" {
		t.Errorf("facilitator Joined = %+v", fran)
	}
	alice, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "  Alice "})
	if err != nil {
		t.Fatalf("member join: %v", err)
	}
	if alice.Self.Role != room.RoleMember || alice.Self.Name != "Alice" || alice.Seq != 2 || len(alice.Present) != 2 {
		t.Errorf("member Joined = %+v", alice)
	}
	if alice.Self.ID == fran.Self.ID || alice.Identity == fran.Identity || alice.Identity == "" {
		t.Errorf("service reused ids: %v/%v, identities %q/%q", alice.Self.ID, fran.Self.ID, alice.Identity, fran.Identity)
	}

	rejected := []struct {
		name    string
		req     room.JoinRequest
		wantErr error
	}{
		{"wrong key", room.JoinRequest{Name: "Eve", FacilitatorKey: "wrong"}, room.ErrForbidden},
		{"unknown identity", room.JoinRequest{Identity: "nope"}, room.ErrUnknownIdentity},
		{"bad name", room.JoinRequest{Name: "a\nb"}, room.ErrBadName},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			before, err := svc.Snapshot(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			j, err := svc.Join(ctx, c.ID, tt.req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if j.Identity != "" || j.Seq != 0 {
				t.Errorf("Joined = %+v, want zero", j)
			}
			after, err := svc.Snapshot(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			assertUnchanged(t, before, after)
		})
	}

	if err := svc.SetSelf(ctx, c.ID, alice.Self.ID, room.SelfUpdate{Muted: ptr(true), Camera: ptr(false)}); err != nil {
		t.Fatalf("SetSelf: %v", err)
	}
	if err := svc.SetSelf(ctx, c.ID, alice.Self.ID, room.SelfUpdate{Muted: ptr(true)}); err != nil {
		t.Fatalf("SetSelf without change: %v", err)
	}
	st, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Participants[alice.Self.ID]; !p.Muted || p.Camera || st.Seq != 3 {
		t.Errorf("after SetSelf: %+v, seq %d; want muted, camera off, seq 3", *p, st.Seq)
	}

	if err := svc.Leave(ctx, c.ID, alice.Self.ID, alice.Self.Conn); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if err := svc.Leave(ctx, c.ID, alice.Self.ID, alice.Self.Conn); err != nil {
		t.Fatalf("second Leave: %v", err)
	}
	if err := svc.SetSelf(ctx, c.ID, alice.Self.ID, room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotPresent) {
		t.Errorf("SetSelf after leaving: %v, want ErrNotPresent", err)
	}
	st, err = svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Participants[alice.Self.ID]; p.Present || st.Seq != 4 {
		t.Errorf("after Leave: %+v, seq %d; want not present, seq 4", *p, st.Seq)
	}

	// Alice comes back as herself.
	back, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Someone else", Identity: alice.Identity})
	if err != nil {
		t.Fatalf("comeback: %v", err)
	}
	if back.Self.ID != alice.Self.ID || back.Self.Name != "Alice" || back.Self.Conn != 2 || !back.Self.Muted || back.Identity != alice.Identity || back.Seq != 5 {
		t.Errorf("comeback Joined = %+v", back)
	}
	// The old connection's Leave is ignored.
	if err := svc.Leave(ctx, c.ID, alice.Self.ID, 1); err != nil {
		t.Fatal(err)
	}
	st, err = svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Participants[alice.Self.ID].Present || st.Seq != 5 {
		t.Errorf("stale Leave applied: %s", dump(t, st))
	}

	// The snapshot is a copy.
	st.Participants[alice.Self.ID].Name = "changed"
	st2, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Participants[alice.Self.ID].Name != "Alice" {
		t.Error("changing a snapshot changed the room")
	}
}

func TestServiceUnknownRoom(t *testing.T) {
	ctx := context.Background()
	svc, c := newService(t)
	j, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	unknown := room.NewRoomID()
	tests := []struct {
		name string
		call func() error
	}{
		{"Join", func() error { _, err := svc.Join(ctx, unknown, room.JoinRequest{Name: "Alice"}); return err }},
		{"Join with key", func() error {
			_, err := svc.Join(ctx, unknown, room.JoinRequest{Name: "Alice", FacilitatorKey: c.FacilitatorKey})
			return err
		}},
		{"Join with another room's identity", func() error {
			_, err := svc.Join(ctx, unknown, room.JoinRequest{Identity: j.Identity})
			return err
		}},
		{"Join to the zero id", func() error { _, err := svc.Join(ctx, room.RoomID{}, room.JoinRequest{Name: "Alice"}); return err }},
		{"Leave", func() error { return svc.Leave(ctx, unknown, j.Self.ID, 1) }},
		{"SetSelf", func() error { return svc.SetSelf(ctx, unknown, j.Self.ID, room.SelfUpdate{Muted: ptr(true)}) }},
		{"Snapshot", func() error { _, err := svc.Snapshot(ctx, unknown); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, room.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("Subscribe", func(t *testing.T) {
		cancel := svc.Subscribe(unknown, func(room.Event) { t.Error("delivered an event of an unknown room") })
		if cancel == nil {
			t.Fatal("Subscribe returned a nil cancel")
		}
		cancel()
	})
}

func TestServiceSubscribeOrderUnderConcurrency(t *testing.T) {
	const (
		workers = 20
		toggles = 50
	)
	ctx := context.Background()
	svc, c := newService(t)
	ids := make([]room.ParticipantID, workers)
	for i := range ids {
		j, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: fmt.Sprintf("P%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = j.Self.ID
	}
	st, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	start := st.Seq

	var rec, rec2, early recorder
	cancel := svc.Subscribe(c.ID, rec.deliver)
	defer cancel()
	cancel2 := svc.Subscribe(c.ID, rec2.deliver)
	defer cancel2()
	cancelEarly := svc.Subscribe(c.ID, early.deliver)

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w, id := range ids {
		wg.Go(func() {
			for i := range toggles {
				muted := i%2 == 0
				u := room.SelfUpdate{Muted: ptr(muted)}
				if w%2 == 1 {
					u = room.SelfUpdate{Camera: ptr(!muted)}
				}
				if err := svc.SetSelf(ctx, c.ID, id, u); err != nil {
					errs <- fmt.Errorf("worker %d toggle %d: %w", w, i, err)
					return
				}
			}
		})
	}
	// Cancel one subscriber while updates run: it must stop cleanly.
	cancelEarly()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	evs := rec.events()
	if len(evs) != workers*toggles {
		t.Fatalf("received %d events, want %d", len(evs), workers*toggles)
	}
	perParticipant := map[room.ParticipantID]int{}
	for i, ev := range evs {
		if want := start + uint64(i) + 1; ev.Seq != want {
			t.Fatalf("event %d has seq %d, want %d (out of order or gap)", i, ev.Seq, want)
		}
		if ev.Kind != room.EventUpdated || ev.Room != c.ID {
			t.Errorf("event %d = %+v, want an update of room %v", i, ev, c.ID)
		}
		// Each participant's events show their toggles in order.
		n := perParticipant[ev.Participant.ID]
		perParticipant[ev.Participant.ID] = n + 1
		wantMuted := n%2 == 0
		if got := ev.Participant.Muted || !ev.Participant.Camera; got != wantMuted {
			t.Errorf("event %d: participant %v toggle %d has muted %v camera %v", i, ev.Participant.ID, n, ev.Participant.Muted, ev.Participant.Camera)
		}
	}
	for _, id := range ids {
		if perParticipant[id] != toggles {
			t.Errorf("participant %v: %d events, want %d", id, perParticipant[id], toggles)
		}
	}
	evs2 := rec2.events()
	if len(evs2) != len(evs) {
		t.Fatalf("second subscriber got %d events, first %d", len(evs2), len(evs))
	}
	for i := range evs {
		if evs[i] != evs2[i] {
			t.Fatalf("subscribers differ at %d: %+v vs %+v", i, evs[i], evs2[i])
		}
	}
	earlyEvs := early.events()
	for i, ev := range earlyEvs {
		if ev != evs[i] {
			t.Fatalf("cancelled subscriber's event %d = %+v, want a prefix of the stream (%+v)", i, ev, evs[i])
		}
	}
	st, err = svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seq != start+workers*toggles {
		t.Errorf("final seq = %d, want %d", st.Seq, start+workers*toggles)
	}

	// Cancel stops delivery to that subscriber only.
	cancel()
	cancel() // a second cancel is harmless
	if err := svc.SetSelf(ctx, c.ID, ids[0], room.SelfUpdate{Muted: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Late"}); err != nil {
		t.Fatal(err)
	}
	if got := len(rec.events()); got != workers*toggles {
		t.Errorf("cancelled subscriber received %d more events", got-workers*toggles)
	}
	if got := len(early.events()); got != len(earlyEvs) {
		t.Errorf("early-cancelled subscriber received %d more events", got-len(earlyEvs))
	}
	if got := rec2.events(); len(got) != workers*toggles+2 || got[len(got)-1].Kind != room.EventJoined {
		t.Errorf("remaining subscriber got %d events, want %d ending with a join", len(got), workers*toggles+2)
	}
}

func TestServiceSubscribeOnlyOwnRoom(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New())
	a, err := svc.Create(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(ctx, "B")
	if err != nil {
		t.Fatal(err)
	}
	var recA, recB recorder
	defer svc.Subscribe(a.ID, recA.deliver)()
	defer svc.Subscribe(b.ID, recB.deliver)()

	if _, err := svc.Join(ctx, a.ID, room.JoinRequest{Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Join(ctx, a.ID, room.JoinRequest{Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Join(ctx, b.ID, room.JoinRequest{Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	evA, evB := recA.events(), recB.events()
	if len(evA) != 2 || len(evB) != 1 {
		t.Fatalf("room A got %d events, room B %d; want 2 and 1", len(evA), len(evB))
	}
	for i, ev := range evA {
		if ev.Room != a.ID || ev.Seq != uint64(i+1) {
			t.Errorf("room A event %d = %+v", i, ev)
		}
	}
	if evB[0].Room != b.ID || evB[0].Seq != 1 || evB[0].Participant.Name != "Bob" {
		t.Errorf("room B event = %+v", evB[0])
	}
}
