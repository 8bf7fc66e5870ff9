package room

import "context"

// Directory keeps rooms' definitions until they are deleted, and the
// server-wide secrets: the one their link keys are derived from, and the
// keys that sign proofs of attendance. Backends:
// room/boltdir (an embedded file, the default), room/redisstore (Redis,
// without expiry, shared by instances) and room/memory (tests). A
// Directory never holds anything of a running meeting.
type Directory interface {
	// Create stores a new definition; ErrExists if the id is taken.
	Create(ctx context.Context, d *Definition) error
	// Get returns a copy of the room's definition; ErrNotFound if none.
	Get(ctx context.Context, id RoomID) (*Definition, error)
	// List returns every definition, in no particular order.
	List(ctx context.Context) ([]*Definition, error)
	// Update applies fn to a copy of the definition and, if fn returns no
	// error, stores it, atomically; it returns what was stored. fn may run
	// more than once.
	Update(ctx context.Context, id RoomID, fn func(*Definition) error) (*Definition, error)
	// Delete removes the definition; ErrNotFound if there is none.
	Delete(ctx context.Context, id RoomID) error
	// LinkSecret returns the server-wide secret of link keys, made once
	// (random, 32 bytes) and kept with the definitions.
	LinkSecret(ctx context.Context) ([]byte, error)
	// ProofKeys keeps the signing keys of attendance proofs (room/attest)
	// as opaque bytes: it calls fn with what is stored (nil when nothing
	// is) and, atomically, stores what fn returns unless that is nil; it
	// returns what is stored after the call. fn may run more than once.
	ProofKeys(ctx context.Context, fn func(cur []byte) ([]byte, error)) ([]byte, error)
}
