package memory_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
)

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

func ptr[T any](v T) *T { return &v }

// joinFn is an Update function that joins a new participant named name.
func joinFn(name string) func(*room.State) ([]room.Event, error) {
	id, identity := room.NewParticipantID(), room.NewSecret()
	return func(s *room.State) ([]room.Event, error) {
		_, evs, err := s.Join(room.JoinRequest{Name: name}, id, identity)
		return evs, err
	}
}

func newStore(t *testing.T) (*memory.Store, *room.State) {
	t.Helper()
	s := memory.New()
	st := room.NewState(room.NewRoomID(), "Tuesday group", "key")
	st.Settings.MaxParticipants = 1000 // the concurrency test joins 500
	st.Settings.MaxWaiting = 500
	if err := s.Create(context.Background(), st); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return s, st
}

func mustGet(t *testing.T, s *memory.Store, id room.RoomID) *room.State {
	t.Helper()
	st, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return st
}

func TestCreateAndGet(t *testing.T) {
	ctx := context.Background()
	s, st := newStore(t)
	want := st.Clone()

	got := mustGet(t, s, st.ID)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Get = %+v, want %+v", got, want)
	}

	// Create keeps a copy: changing the caller's state later does nothing.
	st.Name = "changed"
	st.Participants[room.NewParticipantID()] = &room.Participant{Name: "ghost"}
	if got := mustGet(t, s, st.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("store aliased the created state: %+v", got)
	}

	// Get returns a copy.
	got = mustGet(t, s, st.ID)
	got.Seq = 42
	got.Identities["x"] = room.NewParticipantID()
	if got := mustGet(t, s, st.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("store aliased the state returned by Get: %+v", got)
	}

	if _, err := s.Get(ctx, room.NewRoomID()); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Get unknown: %v, want ErrNotFound", err)
	}
}

func TestCreateTwice(t *testing.T) {
	ctx := context.Background()
	s, st := newStore(t)
	if _, err := s.Update(ctx, st.ID, joinFn("Alice")); err != nil {
		t.Fatal(err)
	}
	before := mustGet(t, s, st.ID)

	tests := []struct {
		name  string
		state *room.State
	}{
		{"same state", st},
		{"fresh state, same id", room.NewState(st.ID, "Impostor", "other-key")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Create(ctx, tt.state); !errors.Is(err, room.ErrExists) {
				t.Fatalf("second Create: %v, want ErrExists", err)
			}
			if got := mustGet(t, s, st.ID); !reflect.DeepEqual(got, before) {
				t.Errorf("second Create changed the room: %+v", got)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	s, st := newStore(t)
	var rec recorder
	defer s.Subscribe(st.ID, rec.deliver)()

	evs, err := s.Update(ctx, st.ID, joinFn("Alice"))
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Seq != 1 || evs[0].Kind != room.EventJoined {
		t.Fatalf("Update events = %+v", evs)
	}
	got := mustGet(t, s, st.ID)
	if got.Seq != 1 || len(got.Participants) != 1 {
		t.Errorf("state after Update = %+v", got)
	}
	if d := rec.events(); !reflect.DeepEqual(d, evs) {
		t.Errorf("delivered %+v, want %+v", d, evs)
	}

	// Several events from one update are delivered in order.
	var aliceID room.ParticipantID
	for id := range got.Participants {
		aliceID = id
	}
	evs, err = s.Update(ctx, st.ID, func(s *room.State) ([]room.Event, error) {
		alice := room.Actor{ID: aliceID, Conn: 1}
		e1, err := s.SetSelf(alice, room.SelfUpdate{Camera: ptr(false)})
		if err != nil {
			return nil, err
		}
		e2, err := s.Leave(alice, true)
		return append(e1, e2...), err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 2 {
		t.Fatalf("events = %+v, want 2", evs)
	}
	d := rec.events()
	if len(d) != 3 || !reflect.DeepEqual(d[1:], evs) || d[1].Seq != 2 || d[2].Seq != 3 {
		t.Errorf("delivered %+v", d)
	}

	// An update that produces no event succeeds and delivers nothing.
	evs, err = s.Update(ctx, st.ID, func(*room.State) ([]room.Event, error) { return nil, nil })
	if err != nil || len(evs) != 0 {
		t.Errorf("no-op update = %+v, %v", evs, err)
	}
	if len(rec.events()) != 3 {
		t.Errorf("no-op update delivered events")
	}
}

func TestUpdateErrorLeavesStateUnchanged(t *testing.T) {
	ctx := context.Background()
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		fn      func(*room.State) ([]room.Event, error)
		wantErr error
	}{
		{"fn mutates then fails", func(s *room.State) ([]room.Event, error) {
			_, evs, err := s.Join(room.JoinRequest{Name: "Bob"}, room.NewParticipantID(), "ib")
			if err != nil {
				return nil, err
			}
			s.Name = "renamed"
			for _, p := range s.Participants {
				p.Muted = true
			}
			return evs, errBoom
		}, errBoom},
		{"fn clears maps then fails", func(s *room.State) ([]room.Event, error) {
			clear(s.Participants)
			clear(s.Identities)
			s.Seq = 0
			return nil, errBoom
		}, errBoom},
		{"domain error: bad name", func(s *room.State) ([]room.Event, error) {
			_, evs, err := s.Join(room.JoinRequest{Name: ""}, room.NewParticipantID(), "i")
			return evs, err
		}, room.ErrBadName},
		{"domain error: not present", func(s *room.State) ([]room.Event, error) {
			return s.SetSelf(room.Actor{ID: room.NewParticipantID(), Conn: 1}, room.SelfUpdate{Muted: ptr(true)})
		}, room.ErrNotPresent},
		{"wrapped error", func(s *room.State) ([]room.Event, error) {
			return nil, fmt.Errorf("wrapped: %w", errBoom)
		}, errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st := newStore(t)
			if _, err := s.Update(ctx, st.ID, joinFn("Alice")); err != nil {
				t.Fatal(err)
			}
			before := mustGet(t, s, st.ID)
			var rec recorder
			defer s.Subscribe(st.ID, rec.deliver)()

			evs, err := s.Update(ctx, st.ID, tt.fn)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if evs != nil {
				t.Errorf("events = %+v, want nil", evs)
			}
			if got := mustGet(t, s, st.ID); !reflect.DeepEqual(got, before) {
				t.Errorf("state changed:\nbefore %+v\nafter  %+v", before, got)
			}
			if d := rec.events(); len(d) != 0 {
				t.Errorf("published %+v", d)
			}
			// The room still works, and its sequence has no gap.
			evs, err = s.Update(ctx, st.ID, joinFn("Carol"))
			if err != nil || len(evs) != 1 || evs[0].Seq != before.Seq+1 {
				t.Errorf("next update = %+v, %v; want seq %d", evs, err, before.Seq+1)
			}
		})
	}
}

func TestDelete(t *testing.T) {
	ctx := context.Background()
	s, st := newStore(t)
	other := room.NewState(room.NewRoomID(), "Other", "k")
	if err := s.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	var rec recorder
	cancel := s.Subscribe(st.ID, rec.deliver)
	defer cancel()
	if _, err := s.Update(ctx, st.ID, joinFn("Alice")); err != nil {
		t.Fatal(err)
	}

	if err := s.Delete(ctx, st.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}

	called := false
	tests := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, st.ID); return err }},
		{"Update", func() error {
			_, err := s.Update(ctx, st.ID, func(s *room.State) ([]room.Event, error) {
				called = true
				return joinFn("Bob")(s)
			})
			return err
		}},
		{"Delete again", func() error { return s.Delete(ctx, st.ID) }},
		{"Delete unknown", func() error { return s.Delete(ctx, room.NewRoomID()) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, room.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	if called {
		t.Error("Update called fn on a deleted room")
	}
	if n := len(rec.events()); n != 1 {
		t.Errorf("subscriber got %d events, want only the join before Delete", n)
	}

	// Other rooms are untouched.
	if got := mustGet(t, s, other.ID); got.Name != "Other" {
		t.Errorf("other room = %+v", got)
	}

	// Subscribing to the deleted room gives a harmless cancel.
	c := s.Subscribe(st.ID, func(room.Event) { t.Error("delivered an event of a deleted room") })
	c()

	// The id can be used again, and the new room starts afresh.
	if err := s.Create(ctx, room.NewState(st.ID, "Reborn", "k2")); err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
	got := mustGet(t, s, st.ID)
	if got.Name != "Reborn" || got.Seq != 0 || len(got.Participants) != 0 {
		t.Errorf("recreated room = %+v", got)
	}
	if _, err := s.Update(ctx, st.ID, joinFn("Dan")); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.events()); n != 1 {
		t.Errorf("old subscriber got events of the recreated room: %d", n)
	}
}

func TestSubscribeCancel(t *testing.T) {
	ctx := context.Background()
	s, st := newStore(t)
	var a, b recorder
	cancelA := s.Subscribe(st.ID, a.deliver)
	cancelB := s.Subscribe(st.ID, b.deliver)
	defer cancelB()

	if _, err := s.Update(ctx, st.ID, joinFn("Alice")); err != nil {
		t.Fatal(err)
	}
	cancelA()
	cancelA() // idempotent
	if _, err := s.Update(ctx, st.ID, joinFn("Bob")); err != nil {
		t.Fatal(err)
	}
	if n := len(a.events()); n != 1 {
		t.Errorf("cancelled subscriber got %d events, want 1", n)
	}
	if n := len(b.events()); n != 2 {
		t.Errorf("other subscriber got %d events, want 2", n)
	}

	// A subscriber sees only later events.
	var late recorder
	defer s.Subscribe(st.ID, late.deliver)()
	if _, err := s.Update(ctx, st.ID, joinFn("Carol")); err != nil {
		t.Fatal(err)
	}
	if d := late.events(); len(d) != 1 || d[0].Seq != 3 {
		t.Errorf("late subscriber got %+v, want only seq 3", d)
	}
}

func TestConcurrentUpdates(t *testing.T) {
	const (
		workers = 20
		each    = 25
	)
	ctx := context.Background()
	s, st := newStore(t)
	var rec recorder
	defer s.Subscribe(st.ID, rec.deliver)()

	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if _, err := s.Update(ctx, st.ID, joinFn(fmt.Sprintf("w%d-%d", w, i))); err != nil {
					t.Errorf("update: %v", err)
					return
				}
				if _, err := s.Get(ctx, st.ID); err != nil {
					t.Errorf("get: %v", err)
					return
				}
			}
		})
	}
	// Other rooms being created and deleted meanwhile.
	wg.Go(func() {
		for range 50 {
			o := room.NewState(room.NewRoomID(), "tmp", "k")
			if err := s.Create(ctx, o); err != nil {
				t.Errorf("create: %v", err)
				return
			}
			cancel := s.Subscribe(o.ID, func(room.Event) {})
			if err := s.Delete(ctx, o.ID); err != nil {
				t.Errorf("delete: %v", err)
			}
			cancel()
		}
	})
	wg.Wait()

	got := mustGet(t, s, st.ID)
	if got.Seq != workers*each || len(got.Participants) != workers*each {
		t.Errorf("seq %d, %d participants; want %d each", got.Seq, len(got.Participants), workers*each)
	}
	d := rec.events()
	if len(d) != workers*each {
		t.Fatalf("delivered %d events, want %d", len(d), workers*each)
	}
	for i, ev := range d {
		if ev.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
}
