// Package boltdir is the embedded room.Directory: rooms' definitions in a
// bbolt file in the data directory, with nothing to install. One process
// opens the file at a time (bbolt locks it): the server, or the CLI when
// no server runs.
//
// # Files
//
// <data dir>/rooms.db holds the bucket "rooms": one JSON room.Definition
// per room id. <data dir>/link-secret holds the server's link secret (32
// random bytes, base64url, mode 0600), made on first start. The bucket
// "proof-keys" holds the keys signing proofs of attendance (room/attest's
// keyring, JSON). Nothing of a running meeting is ever written here, and
// no list of who attended.
package boltdir

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/hearth-meet/hearth/room"
)

// ErrInUse: another process (a running server) holds the data directory.
var ErrInUse = errors.New("the data directory is in use by another process (is a Hearth server running on it?)")

// Files in the data directory.
const (
	DBFile     = "rooms.db"
	SecretFile = "link-secret"
)

// bucketName is the bucket of definitions; keysBucket holds the signing
// keys of attendance proofs under keysKey.
const (
	bucketName = "rooms"
	keysBucket = "proof-keys"
	keysKey    = "keyring"
)

// Directory keeps rooms' definitions in a bbolt file.
type Directory struct {
	// static after construction
	db     *bolt.DB
	secret []byte
}

var _ room.Directory = (*Directory)(nil)

// Open opens (and on first use creates) the data directory dir. It waits
// up to wait for another process to release the file, then fails with
// ErrInUse.
func Open(dir string, wait time.Duration) (*Directory, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	path := filepath.Join(dir, DBFile)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: wait})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("%s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists([]byte(bucketName)); err != nil {
			return err
		}
		_, err := tx.CreateBucketIfNotExists([]byte(keysBucket))
		return err
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	secret, err := loadSecret(filepath.Join(dir, SecretFile))
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Directory{db: db, secret: secret}, nil
}

// loadSecret reads the link secret from path, making it first if the
// file does not exist. It runs while the database's lock is held, so two
// processes never make it at once.
func loadSecret(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		secret := make([]byte, 32)
		_, _ = rand.Read(secret) // crypto/rand.Read never fails (Go 1.24+).
		if err := os.WriteFile(path, []byte(base64.RawURLEncoding.EncodeToString(secret)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("link secret: %w", err)
		}
		return secret, nil
	}
	if err != nil {
		return nil, fmt.Errorf("link secret: %w", err)
	}
	secret, err := base64.RawURLEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(secret) < 16 {
		return nil, fmt.Errorf("link secret %s: not a base64url secret of at least 16 bytes", path)
	}
	return secret, nil
}

// Close closes the file, releasing it for other processes.
func (d *Directory) Close() error { return d.db.Close() }

// Create implements room.Directory.
func (d *Directory) Create(_ context.Context, def *room.Definition) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketName))
		key := []byte(def.ID.String())
		if b.Get(key) != nil {
			return room.ErrExists
		}
		return put(b, def)
	})
}

// Get implements room.Directory.
func (d *Directory) Get(_ context.Context, id room.RoomID) (*room.Definition, error) {
	var def *room.Definition
	err := d.db.View(func(tx *bolt.Tx) error {
		var err error
		def, err = get(tx.Bucket([]byte(bucketName)), id)
		return err
	})
	return def, err
}

// List implements room.Directory.
func (d *Directory) List(context.Context) ([]*room.Definition, error) {
	var out []*room.Definition
	err := d.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketName)).ForEach(func(k, v []byte) error {
			var def room.Definition
			if err := json.Unmarshal(v, &def); err != nil {
				return fmt.Errorf("room %s: %w", k, err)
			}
			out = append(out, &def)
			return nil
		})
	})
	return out, err
}

// Update implements room.Directory.
func (d *Directory) Update(_ context.Context, id room.RoomID, fn func(*room.Definition) error) (*room.Definition, error) {
	var def *room.Definition
	err := d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketName))
		var err error
		if def, err = get(b, id); err != nil {
			return err
		}
		if err := fn(def); err != nil {
			return err
		}
		return put(b, def)
	})
	if err != nil {
		return nil, err
	}
	return def, nil
}

// Delete implements room.Directory.
func (d *Directory) Delete(_ context.Context, id room.RoomID) error {
	return d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucketName))
		key := []byte(id.String())
		if b.Get(key) == nil {
			return room.ErrNotFound
		}
		return b.Delete(key)
	})
}

// LinkSecret implements room.Directory.
func (d *Directory) LinkSecret(context.Context) ([]byte, error) { return d.secret, nil }

// ProofKeys implements room.Directory: the keyring is the value of
// "keyring" in the bucket "proof-keys" of rooms.db.
func (d *Directory) ProofKeys(_ context.Context, fn func([]byte) ([]byte, error)) ([]byte, error) {
	var out []byte
	err := d.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(keysBucket))
		cur := bytes.Clone(b.Get([]byte(keysKey)))
		next, err := fn(cur)
		if err != nil {
			return err
		}
		if next == nil {
			out = cur
			return nil
		}
		out = bytes.Clone(next)
		return b.Put([]byte(keysKey), out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func get(b *bolt.Bucket, id room.RoomID) (*room.Definition, error) {
	v := b.Get([]byte(id.String()))
	if v == nil {
		return nil, room.ErrNotFound
	}
	var def room.Definition
	if err := json.Unmarshal(v, &def); err != nil {
		return nil, fmt.Errorf("room %s: %w", id, err)
	}
	return &def, nil
}

func put(b *bolt.Bucket, def *room.Definition) error {
	v, err := json.Marshal(def)
	if err != nil {
		return err
	}
	return b.Put([]byte(def.ID.String()), v)
}
