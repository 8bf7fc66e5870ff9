package attest

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Key is one signing key of a Keyring.
type Key struct {
	// N numbers the keys of a keyring from 1, in the order they were made.
	N int `json:"n"`
	// Seed is the Ed25519 private key's seed (RFC 8032), 32 bytes.
	Seed []byte `json:"seed"`
	// Created is when the key was made.
	Created time.Time `json:"created"`
}

// ID is the key's name in the statements it signs: the first 9 bytes of
// the SHA-256 of its public key, base64url.
func (k Key) ID() string {
	sum := sha256.Sum256(k.Public())
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// Public returns the key's Ed25519 public key.
func (k Key) Public() ed25519.PublicKey {
	return ed25519.NewKeyFromSeed(k.Seed).Public().(ed25519.PublicKey)
}

// codeKey is the HMAC key of the key's short codes, derived from the seed.
func (k Key) codeKey() []byte {
	m := hmac.New(sha256.New, k.Seed)
	m.Write([]byte("hearth attendance code v1"))
	return m.Sum(nil)
}

// Keyring is a server's signing keys, oldest first; the last one signs.
type Keyring struct {
	Keys []Key `json:"keys"`
}

// ErrNoKey: the keyring is empty or malformed.
var ErrNoKey = errors.New("attest: no signing key")

// NewKeyring returns a keyring with one new key.
func NewKeyring(now time.Time) *Keyring {
	k := &Keyring{}
	k.Rotate(now)
	return k
}

// Rotate adds a new key, which signs from now on; older keys still check.
func (k *Keyring) Rotate(now time.Time) {
	seed := make([]byte, ed25519.SeedSize)
	_, _ = rand.Read(seed) // crypto/rand.Read never fails (Go 1.24+).
	n := 1
	if len(k.Keys) > 0 {
		n = k.Keys[len(k.Keys)-1].N + 1
	}
	k.Keys = append(k.Keys, Key{N: n, Seed: seed, Created: now.UTC().Truncate(time.Second)})
}

// Current returns the key that signs.
func (k *Keyring) Current() (Key, error) {
	if len(k.Keys) == 0 {
		return Key{}, ErrNoKey
	}
	return k.Keys[len(k.Keys)-1], nil
}

// byID returns the key named id.
func (k *Keyring) byID(id string) (Key, bool) {
	for _, key := range k.Keys {
		if key.ID() == id {
			return key, true
		}
	}
	return Key{}, false
}

// Marshal returns the keyring as stored (JSON).
func (k *Keyring) Marshal() []byte {
	b, _ := json.Marshal(k) // a Keyring always encodes
	return b
}

// ParseKeyring reads a stored keyring.
func ParseKeyring(b []byte) (*Keyring, error) {
	var k Keyring
	if err := json.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("attest: keyring: %w", err)
	}
	if len(k.Keys) == 0 {
		return nil, ErrNoKey
	}
	for _, key := range k.Keys {
		if len(key.Seed) != ed25519.SeedSize || key.N < 1 {
			return nil, fmt.Errorf("attest: keyring: key %d is malformed", key.N)
		}
	}
	return &k, nil
}

// PublicKey is a key as anyone may see it (GET /verify/keys).
type PublicKey struct {
	ID      string    `json:"id"`
	N       int       `json:"n"`
	Public  []byte    `json:"ed25519"`
	Created time.Time `json:"created"`
}

// PublicKeys lists the keyring's public keys, oldest first.
func (k *Keyring) PublicKeys() []PublicKey {
	out := make([]PublicKey, 0, len(k.Keys))
	for _, key := range k.Keys {
		out = append(out, PublicKey{ID: key.ID(), N: key.N, Public: key.Public(), Created: key.Created})
	}
	return out
}

// KeyStore keeps a keyring as opaque bytes (room.Directory does). Update
// calls fn with what is stored (nil when nothing is) and, atomically,
// stores what fn returns unless that is nil; it returns what is stored
// after the call.
type KeyStore interface {
	ProofKeys(ctx context.Context, fn func(cur []byte) ([]byte, error)) ([]byte, error)
}

// Load returns the stored keyring, making and storing one with a new key
// when there is none.
func Load(ctx context.Context, store KeyStore, now time.Time) (*Keyring, error) {
	b, err := store.ProofKeys(ctx, func(cur []byte) ([]byte, error) {
		if cur != nil {
			return nil, nil
		}
		return NewKeyring(now).Marshal(), nil
	})
	if err != nil {
		return nil, err
	}
	return ParseKeyring(b)
}

// RotateStored adds a new key to the stored keyring (making one if there
// is none) and returns the keyring.
func RotateStored(ctx context.Context, store KeyStore, now time.Time) (*Keyring, error) {
	b, err := store.ProofKeys(ctx, func(cur []byte) ([]byte, error) {
		if cur == nil {
			return NewKeyring(now).Marshal(), nil
		}
		k, err := ParseKeyring(cur)
		if err != nil {
			return nil, err
		}
		k.Rotate(now)
		return k.Marshal(), nil
	})
	if err != nil {
		return nil, err
	}
	return ParseKeyring(b)
}
