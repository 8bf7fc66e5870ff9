// Package memory is the in-memory room.Store: the default backend, for one
// process with nothing to set up. State is lost when the process stops.
package memory

import (
	"context"
	"sync"

	"github.com/hearth-meet/hearth/room"
)

// Store keeps rooms in memory. The zero value is not usable; call New.
type Store struct {
	mu    sync.RWMutex // guards rooms (the map, not the entries)
	rooms map[room.RoomID]*entry
}

type entry struct {
	mu      sync.Mutex // guards everything below
	state   *room.State
	subs    map[uint64]func(room.Event)
	nextSub uint64
	deleted bool
}

// New returns an empty Store.
func New() *Store { return &Store{rooms: map[room.RoomID]*entry{}} }

var _ room.Store = (*Store)(nil)

// Create implements room.Store.
func (s *Store) Create(_ context.Context, st *room.State) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.rooms[st.ID]; ok {
		return room.ErrExists
	}
	s.rooms[st.ID] = &entry{state: st.Clone(), subs: map[uint64]func(room.Event){}}
	return nil
}

func (s *Store) entry(id room.RoomID) (*entry, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	e, ok := s.rooms[id]
	return e, ok
}

// Get implements room.Store.
func (s *Store) Get(_ context.Context, id room.RoomID) (*room.State, error) {
	e, ok := s.entry(id)
	if !ok {
		return nil, room.ErrNotFound
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.deleted {
		return nil, room.ErrNotFound
	}
	return e.state.Clone(), nil
}

// Update implements room.Store. Events are handed to subscribers under the
// room's lock, so every subscriber sees them in sequence order; deliver
// functions only queue.
func (s *Store) Update(_ context.Context, id room.RoomID, fn func(*room.State) ([]room.Event, error)) ([]room.Event, error) {
	e, ok := s.entry(id)
	if !ok {
		return nil, room.ErrNotFound
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.deleted {
		return nil, room.ErrNotFound
	}
	next := e.state.Clone()
	evs, err := fn(next)
	if err != nil {
		return nil, err
	}
	e.state = next
	for _, ev := range evs {
		for _, deliver := range e.subs {
			deliver(ev)
		}
	}
	return evs, nil
}

// Rooms implements room.Lister.
func (s *Store) Rooms(context.Context) ([]room.RoomID, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]room.RoomID, 0, len(s.rooms))
	for id := range s.rooms {
		out = append(out, id)
	}
	return out, nil
}

// Delete implements room.Store.
func (s *Store) Delete(_ context.Context, id room.RoomID) error {
	s.mu.Lock()
	e, ok := s.rooms[id]
	delete(s.rooms, id)
	s.mu.Unlock()
	if !ok {
		return room.ErrNotFound
	}
	e.mu.Lock()
	e.deleted = true
	e.mu.Unlock()
	return nil
}

// Subscribe implements room.Store.
func (s *Store) Subscribe(id room.RoomID, deliver func(room.Event)) func() {
	e, ok := s.entry(id)
	if !ok {
		return func() {}
	}
	e.mu.Lock()
	n := e.nextSub
	e.nextSub++
	e.subs[n] = deliver
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		delete(e.subs, n)
		e.mu.Unlock()
	}
}
