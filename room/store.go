package room

import "context"

// Lister is implemented by stores that can list their rooms (used to find
// participants of dead instances in rooms nobody on this instance is in).
type Lister interface {
	Rooms(ctx context.Context) ([]RoomID, error)
}

// Store keeps the state of every room and delivers each room's events.
// Backends: room/memory (one process) and, for several instances, Redis.
type Store interface {
	// Create stores a new room; ErrExists if the id is taken.
	Create(ctx context.Context, s *State) error
	// Get returns a copy of the room's state; ErrNotFound if there is none.
	Get(ctx context.Context, id RoomID) (*State, error)
	// Update applies fn to the room's state atomically: fn gets a copy, and
	// if it returns no error the copy replaces the state and the events are
	// published to the room's subscribers. fn must be pure: a backend may
	// call it again when a concurrent update won. fn may append to the
	// state's Chat, drop its oldest messages or clear it, but never change
	// a message in place (message ids are never reused), so that a backend
	// may keep the chat apart and check it cheaply.
	Update(ctx context.Context, id RoomID, fn func(*State) ([]Event, error)) ([]Event, error)
	// Delete removes the room and everything about its meeting.
	Delete(ctx context.Context, id RoomID) error
	// Subscribe calls deliver with every later event of the room, in
	// sequence order, until cancel is called. When the backend cannot
	// guarantee that no event was missed, it delivers an EventResync.
	// deliver must not block and must not call the Store: it may be called
	// while the backend holds the room.
	Subscribe(id RoomID, deliver func(Event)) (cancel func())
}
