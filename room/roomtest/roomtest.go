// Package roomtest is the contract every room.Store must keep, as a test
// suite: a backend's tests call Run with a way to make stores over a fresh
// backend. Several stores over one backend stand for several Hearth
// instances sharing rooms, so the suite also checks that what one store
// does is seen through another.
//
// The suite waits for deliveries (up to deliveryTimeout) but never asserts
// how fast anything happens.
package roomtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
)

// deliveryTimeout is how long the suite waits for an event to be delivered.
const deliveryTimeout = 5 * time.Second

// NewBackend sets up a fresh backend for t (cleaned up when t ends) and
// returns a constructor of stores over it. Stores made by one constructor
// must share rooms and events, as Hearth instances sharing one Redis do;
// a backend that lives in one process may return the same store each time.
type NewBackend func(t *testing.T) (newStore func() room.Store)

// Run runs the contract suite against the stores newBackend makes.
func Run(t *testing.T, newBackend NewBackend) {
	t.Run("CreateGet", func(t *testing.T) { testCreateGet(t, newBackend(t)()) })
	t.Run("CreateTwice", func(t *testing.T) { testCreateTwice(t, newBackend(t)()) })
	t.Run("Unknown", func(t *testing.T) { testUnknown(t, newBackend(t)()) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, newBackend(t)()) })
	t.Run("Update", func(t *testing.T) { testUpdate(t, newBackend(t)()) })
	t.Run("UpdateError", func(t *testing.T) { testUpdateError(t, newBackend(t)()) })
	t.Run("Delivery", func(t *testing.T) { testDelivery(t, newBackend(t)()) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, newBackend(t)()) })
	t.Run("Concurrency", func(t *testing.T) { testConcurrency(t, newBackend(t)) })
	t.Run("SharedBackend", func(t *testing.T) { testShared(t, newBackend(t)) })
	t.Run("Chat", func(t *testing.T) { testChat(t, newBackend(t)) })
}

func testCreateGet(t *testing.T, s room.Store) {
	// A state with something in most of its parts, so that a backend that
	// serialises it must keep them all.
	orig := room.NewState(room.NewRoomID(), "Tuesday group", "facilitator key")
	for _, name := range []string{"Alice", "Bob"} {
		if _, err := JoinFn(name)(orig); err != nil {
			t.Fatalf("Join: %v", err)
		}
	}
	for id := range orig.Participants {
		orig.Hands = append(orig.Hands, id)
	}
	want := orig.Clone()
	if err := s.Create(context.Background(), orig); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := mustGet(t, s, want.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("Get = %+v, want %+v", got, want)
	}

	// The store keeps its own copy of what was created...
	orig.Name = "changed"
	orig.Participants[room.NewParticipantID()] = &room.Participant{Name: "Ghost"}
	for _, p := range orig.Participants {
		p.Muted = true
	}
	// ...and Get returns a copy.
	got := mustGet(t, s, want.ID)
	got.Name, got.Seq = "changed", 99
	got.Participants[room.NewParticipantID()] = &room.Participant{Name: "Ghost"}
	for _, p := range got.Participants {
		p.Role = room.RoleFacilitator
	}
	got.Identities["x"] = room.NewParticipantID()
	if got := mustGet(t, s, want.ID); !reflect.DeepEqual(got, want) {
		t.Errorf("state changed through a created or returned copy: %+v, want %+v", got, want)
	}
}

func testCreateTwice(t *testing.T, s room.Store) {
	st := NewRoom(t, s, "Tuesday group")
	again := room.NewState(st.ID, "Another", "other key")
	if err := s.Create(context.Background(), again); !errors.Is(err, room.ErrExists) {
		t.Errorf("second Create: err = %v, want ErrExists", err)
	}
	if got := mustGet(t, s, st.ID); !reflect.DeepEqual(got, st) {
		t.Errorf("second Create changed the room: %+v", got)
	}
}

func testUnknown(t *testing.T, s room.Store) {
	ctx := context.Background()
	NewRoom(t, s, "Some other room")
	unknown := room.NewRoomID()
	if _, err := s.Get(ctx, unknown); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Get: err = %v, want ErrNotFound", err)
	}
	called := false
	_, err := s.Update(ctx, unknown, func(*room.State) ([]room.Event, error) {
		called = true
		return nil, nil
	})
	if !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Update: err = %v, want ErrNotFound", err)
	}
	if called {
		t.Error("Update called fn for an unknown room")
	}
	if err := s.Delete(ctx, unknown); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Delete: err = %v, want ErrNotFound", err)
	}
	r := NewRecorder()
	cancel := s.Subscribe(unknown, r.Deliver)
	if cancel == nil {
		t.Fatal("Subscribe to an unknown room returned a nil cancel")
	}
	cancel()
	if evs := WithoutResync(r.Events()); len(evs) > 0 {
		t.Errorf("events delivered for an unknown room: %s", Describe(evs))
	}
}

func testDelete(t *testing.T, s room.Store) {
	ctx := context.Background()
	st := NewRoom(t, s, "Tuesday group")
	other := NewRoom(t, s, "Wednesday group")
	mustUpdate(t, s, st.ID, JoinFn("Alice"))
	if err := s.Delete(ctx, st.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, st.ID); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Update(ctx, st.ID, JoinFn("Bob")); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Update after Delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, st.ID); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("second Delete: err = %v, want ErrNotFound", err)
	}
	if got := mustGet(t, s, other.ID); !reflect.DeepEqual(got, other) {
		t.Errorf("Delete changed another room: %+v", got)
	}
	// The id can be used again.
	fresh := room.NewState(st.ID, "Tuesday group", "new key")
	if err := s.Create(ctx, fresh); err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
	if got := mustGet(t, s, st.ID); !reflect.DeepEqual(got, fresh) {
		t.Errorf("Get after re-Create = %+v, want %+v", got, fresh)
	}
}

func testUpdate(t *testing.T, s room.Store) {
	st := NewRoom(t, s, "Tuesday group")
	rec, _ := subscribe(t, s, st.ID)

	var seen *room.State
	evs := mustUpdate(t, s, st.ID, func(cur *room.State) ([]room.Event, error) {
		seen = cur.Clone()
		return JoinFn("Alice")(cur)
	})
	if !reflect.DeepEqual(seen, st) {
		t.Errorf("fn got %+v, want the stored state %+v", seen, st)
	}
	if len(evs) != 1 || evs[0].Kind != room.EventJoined || evs[0].Seq != 1 || evs[0].Room != st.ID ||
		evs[0].Participant.Name != "Alice" {
		t.Fatalf("Update returned %+v, want Alice's join as seq 1", evs)
	}
	alice := evs[0].Participant.ID
	got := mustGet(t, s, st.ID)
	if got.Seq != 1 || len(got.Participants) != 1 || got.Participants[alice] == nil || !got.Participants[alice].Present {
		t.Errorf("state after Update = %+v", got)
	}

	// Two events in one update.
	bob := JoinFn("Bob")
	evs2 := mustUpdate(t, s, st.ID, func(cur *room.State) ([]room.Event, error) {
		e1, err := bob(cur)
		if err != nil {
			return nil, err
		}
		e2, err := CameraFn(alice, false)(cur)
		return append(e1, e2...), err
	})
	if len(evs2) != 2 || evs2[0].Seq != 2 || evs2[1].Seq != 3 {
		t.Fatalf("second Update returned %+v", evs2)
	}
	if got := mustGet(t, s, st.ID); got.Seq != 3 || got.Participants[alice].Camera {
		t.Errorf("state after second Update = %+v", got)
	}
	// An event with an empty hand queue, as the rules make them.
	evs3 := mustUpdate(t, s, st.ID, func(cur *room.State) ([]room.Event, error) {
		cur.Hands = []room.ParticipantID{}
		cur.Seq++
		return []room.Event{{Room: cur.ID, Seq: cur.Seq, Kind: room.EventHands, Hands: []room.ParticipantID{}}}, nil
	})
	delivered := WithoutResync(rec.WaitSeq(t, 4))
	if want := append(append(evs, evs2...), evs3...); !reflect.DeepEqual(delivered, want) {
		t.Errorf("delivered %+v, want what Update returned: %+v", delivered, want)
	}
}

func testUpdateError(t *testing.T, s room.Store) {
	st := NewRoom(t, s, "Tuesday group")
	mustUpdate(t, s, st.ID, JoinFn("Alice"))
	before := mustGet(t, s, st.ID)
	rec, _ := subscribe(t, s, st.ID)

	errNo := errors.New("no, thank you")
	ghost := JoinFn("Ghost")
	evs, err := s.Update(context.Background(), st.ID, func(cur *room.State) ([]room.Event, error) {
		evs, err := ghost(cur) // changes the state and makes an event...
		if err != nil {
			return nil, err
		}
		cur.Name = "changed"
		return evs, errNo // ...then fails
	})
	if !errors.Is(err, errNo) {
		t.Errorf("Update: err = %v, want fn's error", err)
	}
	if len(evs) != 0 {
		t.Errorf("failed Update returned events %+v", evs)
	}
	if got := mustGet(t, s, st.ID); !reflect.DeepEqual(got, before) {
		t.Errorf("failed Update changed the state: %+v, want %+v", got, before)
	}
	// A rule's own error comes back as it is too.
	if _, err := s.Update(context.Background(), st.ID, JoinFn("")); !errors.Is(err, room.ErrBadName) {
		t.Errorf("Update with a bad name: err = %v, want ErrBadName", err)
	}

	// Nothing was published: the next event delivered is the next update's.
	mustUpdate(t, s, st.ID, JoinFn("Bob"))
	delivered := WithoutResync(rec.WaitSeq(t, 2))
	if len(delivered) != 1 || delivered[0].Participant.Name != "Bob" || delivered[0].Seq != 2 {
		t.Errorf("delivered %+v, want only Bob's join as seq 2", delivered)
	}
}

func testDelivery(t *testing.T, s room.Store) {
	a := NewRoom(t, s, "Room A")
	b := NewRoom(t, s, "Room B")
	recA1, _ := subscribe(t, s, a.ID)
	recA2, _ := subscribe(t, s, a.ID)
	recB, _ := subscribe(t, s, b.ID)

	const n = 20
	var ids []room.ParticipantID
	for i := range n {
		if i%2 == 0 || len(ids) == 0 {
			evs := mustUpdate(t, s, a.ID, JoinFn(fmt.Sprintf("A%d", i)))
			ids = append(ids, evs[0].Participant.ID)
		} else {
			mustUpdate(t, s, a.ID, CameraFn(ids[len(ids)-1], i%4 == 1))
		}
		if i%5 == 0 {
			mustUpdate(t, s, b.ID, JoinFn(fmt.Sprintf("B%d", i)))
		}
	}
	checkSeqs(t, "subscriber 1 of A", recA1.WaitSeq(t, n), a.ID, 1, n)
	checkSeqs(t, "subscriber 2 of A", recA2.WaitSeq(t, n), a.ID, 1, n)
	checkSeqs(t, "subscriber of B", recB.WaitSeq(t, n/5), b.ID, 1, n/5)

	// A subscriber that comes later gets only later events.
	late, _ := subscribe(t, s, a.ID)
	mustUpdate(t, s, a.ID, JoinFn("Late"))
	checkSeqs(t, "late subscriber of A", late.WaitSeq(t, n+1), a.ID, n+1, n+1)
}

func testCancel(t *testing.T, s room.Store) {
	st := NewRoom(t, s, "Tuesday group")
	cancelled, cancel := subscribe(t, s, st.ID)
	staying, _ := subscribe(t, s, st.ID)

	mustUpdate(t, s, st.ID, JoinFn("Alice"))
	cancelled.WaitSeq(t, 1)
	cancel()
	cancel() // a second call does nothing
	mustUpdate(t, s, st.ID, JoinFn("Bob"))
	mustUpdate(t, s, st.ID, JoinFn("Carol"))
	// Both subscribers are fed in order by the same store: once the one
	// staying has event 3, the cancelled one would have had events 2 and 3.
	checkSeqs(t, "staying subscriber", staying.WaitSeq(t, 3), st.ID, 1, 3)
	checkSeqs(t, "cancelled subscriber", cancelled.Events(), st.ID, 1, 1)

	// Subscribing again after every subscriber left works.
	staying2, cancel2 := subscribe(t, s, st.ID)
	mustUpdate(t, s, st.ID, JoinFn("Dan"))
	checkSeqs(t, "new subscriber", staying2.WaitSeq(t, 4), st.ID, 4, 4)
	cancel2()
}

func testConcurrency(t *testing.T, newStore func() room.Store) {
	const n = 30
	ctx := context.Background()
	storeA, storeB := newStore(), newStore()
	st := NewRoom(t, storeA, "Tuesday group")
	recA, _ := subscribe(t, storeA, st.ID)
	recB, _ := subscribe(t, storeB, st.ID)
	stores := []room.Store{storeA, storeB}

	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			evs, err := stores[i%2].Update(ctx, st.ID, JoinFn(fmt.Sprintf("Person%d", i)))
			if err != nil {
				errs <- fmt.Errorf("join %d: %w", i, err)
				return
			}
			if len(evs) != 1 || evs[0].Kind != room.EventJoined || evs[0].Seq == 0 || evs[0].Seq > n {
				errs <- fmt.Errorf("join %d returned %s", i, Describe(evs))
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got := mustGet(t, storeB, st.ID)
	if got.Seq != n || len(got.Present()) != n || len(got.Participants) != n {
		t.Errorf("after %d concurrent joins: seq %d, %d present, %d participants", n, got.Seq, len(got.Present()), len(got.Participants))
	}
	for name, rec := range map[string]*Recorder{"subscriber on store A": recA, "subscriber on store B": recB} {
		evs := rec.WaitSeq(t, n)
		checkSeqs(t, name, evs, st.ID, 1, n)
		if len(evs) != len(WithoutResync(evs)) {
			t.Errorf("%s got resync events with no reason: %s", name, Describe(evs))
		}
	}
}

func testShared(t *testing.T, newStore func() room.Store) {
	ctx := context.Background()
	storeA, storeB := newStore(), newStore()
	st := NewRoom(t, storeA, "Tuesday group")
	if got := mustGet(t, storeB, st.ID); !reflect.DeepEqual(got, st) {
		t.Fatalf("store B Get of a room created through A = %+v, want %+v", got, st)
	}
	if err := storeB.Create(ctx, room.NewState(st.ID, "again", "")); !errors.Is(err, room.ErrExists) {
		t.Errorf("Create through B of a room created through A: err = %v, want ErrExists", err)
	}
	recA, _ := subscribe(t, storeA, st.ID)
	recB, _ := subscribe(t, storeB, st.ID)

	evs := mustUpdate(t, storeA, st.ID, JoinFn("Alice"))
	got := mustGet(t, storeB, st.ID)
	if got.Seq != 1 || len(got.Present()) != 1 {
		t.Errorf("store B Get after an Update through A = %+v", got)
	}
	if d := WithoutResync(recB.WaitSeq(t, 1)); !reflect.DeepEqual(d, evs) {
		t.Errorf("store B's subscriber got %+v, want %+v", d, evs)
	}
	evs2 := mustUpdate(t, storeB, st.ID, JoinFn("Bob"))
	if d := WithoutResync(recA.WaitSeq(t, 2)); !reflect.DeepEqual(d, append(evs, evs2...)) {
		t.Errorf("store A's subscriber got %+v", d)
	}

	if err := storeB.Delete(ctx, st.ID); err != nil {
		t.Fatalf("Delete through B: %v", err)
	}
	if _, err := storeA.Get(ctx, st.ID); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Get through A after Delete through B: err = %v, want ErrNotFound", err)
	}
}
