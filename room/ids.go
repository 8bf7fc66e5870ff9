package room

import (
	"fmt"

	"github.com/google/uuid"
)

// RoomID identifies a room. It is a random UUID, so a room's member link
// cannot be guessed from another room's.
type RoomID uuid.UUID

// ParticipantID identifies a participant within a room, across reconnects.
type ParticipantID uuid.UUID

// NewRoomID returns a fresh random room id.
func NewRoomID() RoomID { return RoomID(uuid.New()) }

// NewParticipantID returns a fresh random participant id.
func NewParticipantID() ParticipantID { return ParticipantID(uuid.New()) }

// ParseRoomID parses the textual form of a room id.
func ParseRoomID(s string) (RoomID, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return RoomID{}, fmt.Errorf("room id: %w", err)
	}
	return RoomID(u), nil
}

// ParseParticipantID parses the textual form of a participant id.
func ParseParticipantID(s string) (ParticipantID, error) {
	u, err := uuid.Parse(s)
	if err != nil {
		return ParticipantID{}, fmt.Errorf("participant id: %w", err)
	}
	return ParticipantID(u), nil
}

// String returns the canonical textual form of the id.
func (id RoomID) String() string { return uuid.UUID(id).String() }

// String returns the canonical textual form of the id.
func (id ParticipantID) String() string { return uuid.UUID(id).String() }

// MarshalText implements encoding.TextMarshaler.
func (id RoomID) MarshalText() ([]byte, error) { return uuid.UUID(id).MarshalText() }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *RoomID) UnmarshalText(b []byte) error { return (*uuid.UUID)(id).UnmarshalText(b) }

// MarshalText implements encoding.TextMarshaler.
func (id ParticipantID) MarshalText() ([]byte, error) { return uuid.UUID(id).MarshalText() }

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ParticipantID) UnmarshalText(b []byte) error {
	return (*uuid.UUID)(id).UnmarshalText(b)
}
