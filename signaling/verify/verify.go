// Package verify gives and checks proofs of attendance over HTTP
// (docs/attendance.md): it holds the server's signing keyring (room/attest,
// kept with the rooms' directory), issues proofs for the signaling
// sessions, with their QR code, and serves /verify, where anyone can check
// a proof (its file, the text of its QR code) or a short code. Nothing it
// sees is stored or logged: no list of who attended exists.
package verify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/hearth-meet/hearth/room/attest"
)

// Params configure a Service.
type Params struct {
	// Keys is where the keyring lives (a room.Directory).
	Keys attest.KeyStore
	// BaseURL is the server's public address (e.g.
	// "https://meet.example.org"); proofs' QR codes point to BaseURL/verify.
	BaseURL string
	Log     *zap.Logger
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CodeChecks bounds short-code checks per second, server-wide (a code
	// is 80 bits with a 38-bit tag: the bound makes guessing one
	// hopeless); 0 means 20.
	CodeChecks float64
}

// Service issues and checks proofs. Create it with New.
type Service struct {
	// static after construction
	keys    attest.KeyStore
	verify  string // BaseURL + "/verify"
	log     *zap.Logger
	now     func() time.Time
	limiter *rate.Limiter // code checks; safe for concurrent use
	tmpl    *template.Template

	mu   sync.Mutex // guards ring
	ring *attest.Keyring
}

// New loads the keyring from p.Keys, making it on first use.
func New(ctx context.Context, p Params) (*Service, error) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = zap.NewNop()
	}
	if p.CodeChecks <= 0 {
		p.CodeChecks = 20
	}
	ring, err := attest.Load(ctx, p.Keys, p.Now())
	if err != nil {
		return nil, fmt.Errorf("attendance proof keys: %w", err)
	}
	tmpl, err := template.New("verify").Parse(pageHTML)
	if err != nil {
		return nil, fmt.Errorf("verify page: %w", err)
	}
	return &Service{keys: p.Keys, verify: strings.TrimRight(p.BaseURL, "/") + "/verify", log: p.Log, now: p.Now,
		limiter: rate.NewLimiter(rate.Limit(p.CodeChecks), int(2*p.CodeChecks)), ring: ring,
		tmpl: tmpl}, nil
}

// Issued is a proof as the member gets it.
type Issued struct {
	attest.Proof
	// QR is the QR code of VerifyURL#token, a PNG as a data: URL.
	QR string
	// VerifyURL is where the proof is checked.
	VerifyURL string
}

// Issue signs st with the current key.
func (s *Service) Issue(_ context.Context, st attest.Statement) (Issued, error) {
	s.mu.Lock()
	p, err := s.ring.Issue(st)
	s.mu.Unlock()
	if err != nil {
		return Issued{}, err
	}
	png, err := qrcode.Encode(s.verify+"#"+p.Token, qrcode.Medium, 320)
	if err != nil {
		return Issued{}, fmt.Errorf("qr code: %w", err)
	}
	return Issued{Proof: p, QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), VerifyURL: s.verify}, nil
}

// keyring returns the keyring, reloaded from the store first when fresh
// is set (another instance or the CLI may have rotated it).
func (s *Service) keyring(ctx context.Context, fresh bool) *attest.Keyring {
	if fresh {
		if ring, err := attest.Load(ctx, s.keys, s.now()); err == nil {
			s.mu.Lock()
			s.ring = ring
			s.mu.Unlock()
		} else {
			s.log.Warn("reloading the attendance proof keys failed", zap.Error(err))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ring
}

// Check verifies a proof token (or text holding one, such as its QR
// code's URL).
func (s *Service) Check(ctx context.Context, token string) (attest.Statement, error) {
	st, err := s.keyring(ctx, false).Verify(token)
	if errors.Is(err, attest.ErrUnknownKey) {
		st, err = s.keyring(ctx, true).Verify(token)
	}
	return st, err
}

// ErrBusy: too many code checks right now.
var ErrBusy = errors.New("too many code checks; try again in a minute")

// CheckCode checks a short code and the name printed beside it.
func (s *Service) CheckCode(ctx context.Context, code, name string) (attest.CodeFacts, error) {
	if !s.limiter.Allow() {
		return attest.CodeFacts{}, ErrBusy
	}
	f, err := s.keyring(ctx, false).CheckCode(code, name)
	if errors.Is(err, attest.ErrBadCode) {
		f, err = s.keyring(ctx, true).CheckCode(code, name)
	}
	return f, err
}

// PublicKeys lists the public keys proofs are checked with.
func (s *Service) PublicKeys(ctx context.Context) []attest.PublicKey {
	return s.keyring(ctx, false).PublicKeys()
}

// Keys returns the public keys, after adding a new signing key when
// rotate is set (older proofs still check); for the operators' API.
func (s *Service) Keys(ctx context.Context, rotate bool) ([]attest.PublicKey, error) {
	if !rotate {
		return s.keyring(ctx, true).PublicKeys(), nil
	}
	ring, err := attest.RotateStored(ctx, s.keys, s.now())
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.ring = ring
	s.mu.Unlock()
	s.log.Info("attendance proof key rotated", zap.String("key", ring.Keys[len(ring.Keys)-1].ID()))
	return ring.PublicKeys(), nil
}

// StoreKeys is Keys over a store, without a running Service (the CLI on
// the data directory).
func StoreKeys(store attest.KeyStore) func(ctx context.Context, rotate bool) ([]attest.PublicKey, error) {
	return func(ctx context.Context, rotate bool) ([]attest.PublicKey, error) {
		load := attest.Load
		if rotate {
			load = attest.RotateStored
		}
		ring, err := load(ctx, store, time.Now())
		if err != nil {
			return nil, err
		}
		return ring.PublicKeys(), nil
	}
}
