package memory

import (
	"bytes"
	"context"
	"crypto/rand"
	"sync"

	"github.com/hearth-meet/hearth/room"
)

// Directory keeps rooms' definitions in memory, for tests: they are lost
// when the process stops. The zero value is not usable; call NewDirectory.
type Directory struct {
	secret []byte // static after construction

	mu        sync.Mutex // guards defs and proofKeys
	defs      map[room.RoomID]*room.Definition
	proofKeys []byte
}

// NewDirectory returns an empty Directory with a new link secret.
func NewDirectory() *Directory {
	d := &Directory{secret: make([]byte, 32), defs: map[room.RoomID]*room.Definition{}}
	_, _ = rand.Read(d.secret) // crypto/rand.Read never fails (Go 1.24+).
	return d
}

var _ room.Directory = (*Directory)(nil)

// Create implements room.Directory.
func (d *Directory) Create(_ context.Context, def *room.Definition) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.defs[def.ID]; ok {
		return room.ErrExists
	}
	d.defs[def.ID] = def.Clone()
	return nil
}

// Get implements room.Directory.
func (d *Directory) Get(_ context.Context, id room.RoomID) (*room.Definition, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	def, ok := d.defs[id]
	if !ok {
		return nil, room.ErrNotFound
	}
	return def.Clone(), nil
}

// List implements room.Directory.
func (d *Directory) List(context.Context) ([]*room.Definition, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]*room.Definition, 0, len(d.defs))
	for _, def := range d.defs {
		out = append(out, def.Clone())
	}
	return out, nil
}

// Update implements room.Directory.
func (d *Directory) Update(_ context.Context, id room.RoomID, fn func(*room.Definition) error) (*room.Definition, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	def, ok := d.defs[id]
	if !ok {
		return nil, room.ErrNotFound
	}
	c := def.Clone()
	if err := fn(c); err != nil {
		return nil, err
	}
	d.defs[id] = c
	return c.Clone(), nil
}

// Delete implements room.Directory.
func (d *Directory) Delete(_ context.Context, id room.RoomID) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.defs[id]; !ok {
		return room.ErrNotFound
	}
	delete(d.defs, id)
	return nil
}

// LinkSecret implements room.Directory.
func (d *Directory) LinkSecret(context.Context) ([]byte, error) { return d.secret, nil }

// ProofKeys implements room.Directory.
func (d *Directory) ProofKeys(_ context.Context, fn func([]byte) ([]byte, error)) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	next, err := fn(bytes.Clone(d.proofKeys))
	if err != nil {
		return nil, err
	}
	if next != nil {
		d.proofKeys = bytes.Clone(next)
	}
	return bytes.Clone(d.proofKeys), nil
}
