package roomtest

// The Recorder that subscribers of the suite use, and the helpers the
// suite and the benchmarks share.

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
)

// Recorder collects the events delivered to it. Its Deliver only appends,
// so it never blocks a store.
type Recorder struct {
	mu      sync.Mutex
	evs     []room.Event
	changed chan struct{} // closed and replaced on every delivery
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{changed: make(chan struct{})} }

// Deliver records ev; pass it to Store.Subscribe.
func (r *Recorder) Deliver(ev room.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// Events returns a copy of every event delivered so far, resyncs included.
func (r *Recorder) Events() []room.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]room.Event(nil), r.evs...)
}

// Wait waits up to timeout until ok holds for the events delivered so far
// and returns them; ok false at the end fails the test.
func (r *Recorder) Wait(t testing.TB, timeout time.Duration, what string, ok func([]room.Event) bool) []room.Event {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		evs := append([]room.Event(nil), r.evs...)
		changed := r.changed
		r.mu.Unlock()
		if ok(evs) {
			return evs
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("waited %v for %s; delivered: %s", timeout, what, Describe(evs))
			return nil
		}
	}
}

// WaitSeq waits until an event of kind other than EventResync with seq at
// least seq was delivered, and returns every event delivered.
func (r *Recorder) WaitSeq(t testing.TB, seq uint64) []room.Event {
	t.Helper()
	return r.Wait(t, deliveryTimeout, fmt.Sprintf("event %d", seq), func(evs []room.Event) bool {
		for _, ev := range evs {
			if ev.Kind != room.EventResync && ev.Seq >= seq {
				return true
			}
		}
		return false
	})
}

// Describe renders events compactly for test failures (names included:
// this is test output, not a log).
func Describe(evs []room.Event) string {
	s := "["
	for i, ev := range evs {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d:%s", ev.Seq, ev.Kind)
	}
	return s + "]"
}

// WithoutResync returns evs less the EventResync events.
func WithoutResync(evs []room.Event) []room.Event {
	out := make([]room.Event, 0, len(evs))
	for _, ev := range evs {
		if ev.Kind != room.EventResync {
			out = append(out, ev)
		}
	}
	return out
}

// JoinFn returns an Update function that joins a new participant named
// name. It is pure: called again, it joins the same participant.
func JoinFn(name string) func(*room.State) ([]room.Event, error) {
	id, identity := room.NewParticipantID(), room.NewSecret()
	return func(s *room.State) ([]room.Event, error) {
		_, evs, err := s.Join(room.JoinRequest{Name: name}, id, identity)
		return evs, err
	}
}

// CameraFn returns an Update function that turns participant id's camera
// on or off and makes one EventUpdated, without any of the room's rules
// (the contract is about storing and delivering, not about rules).
func CameraFn(id room.ParticipantID, on bool) func(*room.State) ([]room.Event, error) {
	return func(s *room.State) ([]room.Event, error) {
		p, ok := s.Participants[id]
		if !ok {
			return nil, room.ErrNotPresent
		}
		p.Camera = on
		s.Seq++
		return []room.Event{{Room: s.ID, Seq: s.Seq, Kind: room.EventUpdated, Participant: *p}}, nil
	}
}

// NewRoom creates a room named name in s and returns its state as created.
func NewRoom(t testing.TB, s room.Store, name string) *room.State {
	t.Helper()
	st := room.NewState(room.NewRoomID(), name, "facilitator key")
	if err := s.Create(context.Background(), st); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return st.Clone()
}

func mustGet(t testing.TB, s room.Store, id room.RoomID) *room.State {
	t.Helper()
	st, err := s.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return st
}

func mustUpdate(t testing.TB, s room.Store, id room.RoomID, fn func(*room.State) ([]room.Event, error)) []room.Event {
	t.Helper()
	evs, err := s.Update(context.Background(), id, fn)
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return evs
}

// subscribe subscribes a new Recorder and cancels it when t ends.
func subscribe(t testing.TB, s room.Store, id room.RoomID) (*Recorder, func()) {
	t.Helper()
	r := NewRecorder()
	cancel := s.Subscribe(id, r.Deliver)
	if cancel == nil {
		t.Fatal("Subscribe returned a nil cancel")
	}
	t.Cleanup(cancel)
	return r, cancel
}

// checkSeqs fails unless evs (resyncs left out) are numbered from..to,
// each once, in order, all of room id.
func checkSeqs(t testing.TB, who string, evs []room.Event, id room.RoomID, from, to uint64) {
	t.Helper()
	evs = WithoutResync(evs)
	if uint64(len(evs)) != to-from+1 {
		t.Errorf("%s: got %d events %s, want seqs %d..%d", who, len(evs), Describe(evs), from, to)
		return
	}
	for i, ev := range evs {
		if ev.Seq != from+uint64(i) || ev.Room != id {
			t.Errorf("%s: event %d is seq %d of room %v, want seq %d of room %v; all: %s",
				who, i, ev.Seq, ev.Room, from+uint64(i), id, Describe(evs))
			return
		}
	}
}
