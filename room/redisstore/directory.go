package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-meet/hearth/room"
)

// Directory is the room.Directory over Redis, shared by every instance:
// rooms' definitions are the fields of one hash, <prefix>rooms (field: room
// id, value: JSON room.Definition), and the link secret is
// <prefix>link-secret (base64url, set once with SETNX); the keys signing
// proofs of attendance are <prefix>proof-keys (room/attest's keyring,
// JSON). None expires:
// a room lasts until it is deleted. Nothing of a running meeting is kept
// here (that is the Store's, with its TTL).
type Directory struct {
	// static after construction
	client redis.UniversalClient
	prefix string

	mu     sync.Mutex // guards secret
	secret []byte
}

var _ room.Directory = (*Directory)(nil)

// NewDirectory returns a Directory over client (which it does not close);
// prefix starts its keys (DefaultPrefix when empty).
func NewDirectory(client redis.UniversalClient, prefix string) *Directory {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Directory{client: client, prefix: prefix}
}

func (d *Directory) hashKey() string { return d.prefix + "rooms" }

// Create implements room.Directory.
func (d *Directory) Create(ctx context.Context, def *room.Definition) error {
	v, err := json.Marshal(def)
	if err != nil {
		return err
	}
	ok, err := d.client.HSetNX(ctx, d.hashKey(), def.ID.String(), v).Result()
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if !ok {
		return room.ErrExists
	}
	return nil
}

// Get implements room.Directory.
func (d *Directory) Get(ctx context.Context, id room.RoomID) (*room.Definition, error) {
	return d.get(ctx, d.client, id)
}

func (d *Directory) get(ctx context.Context, c redis.Cmdable, id room.RoomID) (*room.Definition, error) {
	v, err := c.HGet(ctx, d.hashKey(), id.String()).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, room.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	var def room.Definition
	if err := json.Unmarshal(v, &def); err != nil {
		return nil, fmt.Errorf("room %s: %w", id, err)
	}
	return &def, nil
}

// List implements room.Directory.
func (d *Directory) List(ctx context.Context) ([]*room.Definition, error) {
	all, err := d.client.HGetAll(ctx, d.hashKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	out := make([]*room.Definition, 0, len(all))
	for k, v := range all {
		var def room.Definition
		if err := json.Unmarshal([]byte(v), &def); err != nil {
			return nil, fmt.Errorf("room %s: %w", k, err)
		}
		out = append(out, &def)
	}
	return out, nil
}

// Update implements room.Directory: optimistic, with WATCH on the hash; fn
// runs again when another update won.
func (d *Directory) Update(ctx context.Context, id room.RoomID, fn func(*room.Definition) error) (*room.Definition, error) {
	var out *room.Definition
	for range maxAttempts {
		err := d.client.Watch(ctx, func(tx *redis.Tx) error {
			def, err := d.get(ctx, tx, id)
			if err != nil {
				return err
			}
			if err := fn(def); err != nil {
				return err
			}
			v, err := json.Marshal(def)
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.HSet(ctx, d.hashKey(), id.String(), v)
				return nil
			})
			out = def
			return err
		}, d.hashKey())
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("redis: room %s: too many concurrent updates", id)
}

// Delete implements room.Directory.
func (d *Directory) Delete(ctx context.Context, id room.RoomID) error {
	n, err := d.client.HDel(ctx, d.hashKey(), id.String()).Result()
	if err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	if n == 0 {
		return room.ErrNotFound
	}
	return nil
}

// LinkSecret implements room.Directory: the first instance to ask sets it
// (SETNX), every instance then reads the same.
func (d *Directory) LinkSecret(ctx context.Context) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.secret != nil {
		return d.secret, nil
	}
	key := d.prefix + "link-secret"
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh) // crypto/rand.Read never fails (Go 1.24+).
	if err := d.client.SetNX(ctx, key, base64.RawURLEncoding.EncodeToString(fresh), 0).Err(); err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	v, err := d.client.Get(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	secret, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(secret) < 16 {
		return nil, fmt.Errorf("redis: %s is not a base64url secret of at least 16 bytes", key)
	}
	d.secret = secret
	return secret, nil
}

// ProofKeys implements room.Directory: optimistic, with WATCH on
// <prefix>proof-keys; fn runs again when another instance wrote first.
func (d *Directory) ProofKeys(ctx context.Context, fn func([]byte) ([]byte, error)) ([]byte, error) {
	key := d.prefix + "proof-keys"
	for range maxAttempts {
		var out []byte
		err := d.client.Watch(ctx, func(tx *redis.Tx) error {
			cur, err := tx.Get(ctx, key).Bytes()
			if errors.Is(err, redis.Nil) {
				cur = nil
			} else if err != nil {
				return fmt.Errorf("redis: %w", err)
			}
			next, err := fn(cur)
			if err != nil {
				return err
			}
			if next == nil {
				out = cur
				return nil
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, next, 0)
				return nil
			})
			out = next
			return err
		}, key)
		if errors.Is(err, redis.TxFailedErr) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, fmt.Errorf("redis: %s: too many concurrent updates", key)
}
