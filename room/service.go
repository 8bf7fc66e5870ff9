package room

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
)

// Service applies the meeting's commands to rooms kept in a Store.
type Service struct {
	store Store
}

// NewService returns a Service over store.
func NewService(store Store) *Service { return &Service{store: store} }

// Created describes a new room and its secret.
type Created struct {
	ID RoomID
	// FacilitatorKey makes its holder the room's facilitator. It is not
	// stored; only its hash is.
	FacilitatorKey string
}

// Create makes a new room named name.
func (s *Service) Create(ctx context.Context, name string) (Created, error) {
	key := NewSecret()
	id := NewRoomID()
	if err := s.store.Create(ctx, NewState(id, name, key)); err != nil {
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
	var res Joined
	_, err := s.store.Update(ctx, id, func(st *State) ([]Event, error) {
		j, evs, err := st.Join(req, newID, newIdentity)
		res = j
		return evs, err
	})
	return res, err
}

// Leave marks the participant's connection conn as gone. See State.Leave.
func (s *Service) Leave(ctx context.Context, id RoomID, p ParticipantID, conn uint64) error {
	_, err := s.store.Update(ctx, id, func(st *State) ([]Event, error) {
		return st.Leave(p, conn)
	})
	return err
}

// SetSelf changes the participant's own state. See State.SetSelf.
func (s *Service) SetSelf(ctx context.Context, id RoomID, p ParticipantID, u SelfUpdate) error {
	_, err := s.store.Update(ctx, id, func(st *State) ([]Event, error) {
		return st.SetSelf(p, u)
	})
	return err
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
