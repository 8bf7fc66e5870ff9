package room

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"time"
)

// Service applies the meeting's commands to rooms kept in a Store.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store. now is the clock (nil: time.Now).
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Created describes a new room and its secret.
type Created struct {
	ID RoomID
	// FacilitatorKey makes its holder the room's facilitator. It is not
	// stored; only its hash is.
	FacilitatorKey string
}

// Create makes a new room named name with the given settings (usually
// DefaultSettings()).
func (s *Service) Create(ctx context.Context, name string, settings Settings) (Created, error) {
	key := NewSecret()
	id := NewRoomID()
	st := NewState(id, name, key)
	st.Settings = settings
	if err := s.store.Create(ctx, st); err != nil {
		return Created{}, fmt.Errorf("create room: %w", err)
	}
	return Created{ID: id, FacilitatorKey: key}, nil
}

// Snapshot returns the room's current state.
func (s *Service) Snapshot(ctx context.Context, id RoomID) (*State, error) {
	return s.store.Get(ctx, id)
}

// Join brings a person into the room. See State.Join.
func (s *Service) Join(ctx context.Context, id RoomID, req JoinRequest) (Joined, error) {
	newID, newIdentity := NewParticipantID(), NewSecret()
	now := s.now().UnixMilli()
	var res Joined
	_, err := s.store.Update(ctx, id, func(st *State) ([]Event, error) {
		st.CloseIdle(now)
		j, evs, err := st.Join(req, newID, newIdentity)
		if err == nil {
			st.EmptySince = 0
		}
		res = j
		return evs, err
	})
	return res, err
}

// Leave marks the actor's connection as gone. See State.Leave.
func (s *Service) Leave(ctx context.Context, id RoomID, a Actor, explicit bool) error {
	now := s.now().UnixMilli()
	_, err := s.store.Update(ctx, id, func(st *State) ([]Event, error) {
		evs, err := st.Leave(a, explicit)
		st.NoteEmpty(now)
		return evs, err
	})
	return err
}

// Command is one of State's command methods, bound to its arguments;
// now is the time of the command in Unix milliseconds.
type Command func(st *State, now int64) ([]Event, error)

// Apply runs a command on the room's state and publishes its events.
func (s *Service) Apply(ctx context.Context, id RoomID, cmd Command) ([]Event, error) {
	now := s.now().UnixMilli()
	return s.store.Update(ctx, id, func(st *State) ([]Event, error) { return cmd(st, now) })
}

// Tick advances the room's share timer. See State.Tick.
func (s *Service) Tick(ctx context.Context, id RoomID) error {
	_, err := s.Apply(ctx, id, func(st *State, now int64) ([]Event, error) { return st.Tick(now), nil })
	return err
}

// Rooms lists every room, if the store can (see Lister); otherwise nil.
func (s *Service) Rooms(ctx context.Context) ([]RoomID, error) {
	if l, ok := s.store.(Lister); ok {
		return l.Rooms(ctx)
	}
	return nil, nil
}

// Subscribe delivers the room's later events. See Store.Subscribe.
func (s *Service) Subscribe(id RoomID, deliver func(Event)) (cancel func()) {
	return s.store.Subscribe(id, deliver)
}

// NewSecret returns a random URL-safe secret of 256 bits.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}
