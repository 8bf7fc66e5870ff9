package attest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func sample(t *testing.T, name string, confirmed bool) Statement {
	t.Helper()
	zone := time.FixedZone("UTC-5", -5*3600)
	joined := time.Date(2026, 12, 1, 19, 2, 41, 0, zone)
	st, err := NewStatement("  Tuesday evening group ", name, joined, joined.Add(89*time.Minute+30*time.Second), confirmed)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestIssueVerify(t *testing.T) {
	k := NewKeyring(time.Now())
	p, err := k.Issue(sample(t, "  Alex   R. ", true))
	if err != nil {
		t.Fatal(err)
	}
	st, err := k.Verify(p.Token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if st.Label != "Tuesday evening group" || st.Name != "Alex R." || !st.Confirmed || st.Minutes != 90 ||
		st.Date() != "2026-12-01" || st.Joined.Format("15:04") != "19:02" || st.Left.Format("15:04") != "20:32" {
		t.Errorf("verified statement %+v", st)
	}
	if _, offset := st.Joined.Zone(); offset != -5*3600 {
		t.Errorf("zone offset %d, want the meeting's -5h", offset)
	}
	// The QR code holds the /verify URL; a pasted URL or file with a
	// newline checks the same.
	if _, err := k.Verify("https://meet.example.org/verify#" + p.Token + "\n"); err != nil {
		t.Errorf("Verify(url): %v", err)
	}
}

// TestOneByteChanged: every proof with any one byte changed is refused.
func TestOneByteChanged(t *testing.T) {
	k := NewKeyring(time.Now())
	p, err := k.Issue(sample(t, "Sam", false))
	if err != nil {
		t.Fatal(err)
	}
	for i := range len(p.Token) {
		for _, flip := range []byte{1, 0x20} {
			b := []byte(p.Token)
			b[i] ^= flip
			if _, err := k.Verify(string(b)); err == nil {
				t.Fatalf("byte %d (%q -> %q) changed and the proof still verifies", i, p.Token[i], b[i])
			}
		}
	}
	// And a statement re-signed by another server's key is unknown here.
	other, _ := NewKeyring(time.Now()).Issue(sample(t, "Sam", false))
	if _, err := k.Verify(other.Token); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("another server's proof: %v, want ErrUnknownKey", err)
	}
}

func TestVerifyRefusesMalformed(t *testing.T) {
	k := NewKeyring(time.Now())
	for _, tok := range []string{"", "HP1.", "HP1.x.y", "hello", "HP1.e30." + strings.Repeat("A", 86)} {
		if _, err := k.Verify(tok); !errors.Is(err, ErrMalformed) {
			t.Errorf("Verify(%q) = %v, want ErrMalformed", tok, err)
		}
	}
}

func TestShortCode(t *testing.T) {
	k := NewKeyring(time.Now())
	for _, tc := range []struct {
		name      string
		confirmed bool
	}{{"", false}, {"Alex R.", true}} {
		st := sample(t, tc.name, tc.confirmed)
		p, err := k.Issue(st)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Code) != 19 || strings.Count(p.Code, "-") != 3 {
			t.Fatalf("code %q", p.Code)
		}
		typed := strings.ToLower(strings.ReplaceAll(p.Code, "-", " "))
		f, err := k.CheckCode(typed, strings.ToUpper(tc.name))
		if err != nil {
			t.Fatalf("CheckCode(%q, %q): %v", typed, tc.name, err)
		}
		if !f.Joined.Equal(st.Joined) || !f.Left.Equal(st.Left) || f.Minutes != 90 || f.Confirmed != tc.confirmed {
			t.Errorf("code facts %+v, statement %+v", f, st)
		}
		if _, err := k.CheckCode(p.Code, tc.name+"x"); !errors.Is(err, ErrBadCode) {
			t.Errorf("another name: %v", err)
		}
		for i, c := range p.Code {
			if c == '-' {
				continue
			}
			b := []byte(p.Code)
			b[i] = map[bool]byte{true: 'Z', false: 'Y'}[c == 'Y']
			if _, err := k.CheckCode(string(b), tc.name); err == nil {
				t.Errorf("code with character %d changed (%s) checks", i, b)
			}
		}
	}
	if _, err := k.CheckCode("not a code", ""); !errors.Is(err, ErrBadCode) {
		t.Errorf("garbage: %v", err)
	}
}

func TestNoCodeForVeryLongAttendance(t *testing.T) {
	k := NewKeyring(time.Now())
	j := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	st, _ := NewStatement("L", "", j, j.Add(70*time.Hour), false)
	p, err := k.Issue(st)
	if err != nil || p.Code != "" {
		t.Errorf("70 hours: code %q, %v", p.Code, err)
	}
	if _, err := k.Verify(p.Token); err != nil {
		t.Errorf("the proof still verifies: %v", err)
	}
}

func TestNames(t *testing.T) {
	for _, bad := range []string{strings.Repeat("a", 81), "a\u202eb", "a\x00"} {
		if _, err := CleanName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("CleanName(%q) = %v", bad, err)
		}
	}
	if n, err := CleanName("  "); n != "" || err != nil {
		t.Errorf("blank name: %q %v", n, err)
	}
}

// memStore is a KeyStore in memory, as room/memory's Directory is.
type memStore struct {
	mu sync.Mutex
	b  []byte
}

func (m *memStore) ProofKeys(_ context.Context, fn func([]byte) ([]byte, error)) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next, err := fn(m.b)
	if err != nil {
		return nil, err
	}
	if next != nil {
		m.b = next
	}
	return m.b, nil
}

// TestRotationKeepsOldProofs: after a rotation (the keyring reloaded from
// its store, as after a restart) proofs and codes of the old key check,
// and new proofs are signed by the new key.
func TestRotationKeepsOldProofs(t *testing.T) {
	ctx := context.Background()
	store := &memStore{}
	k1, err := Load(ctx, store, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Load(ctx, store, time.Now())
	if len(again.Keys) != 1 || again.Keys[0].ID() != k1.Keys[0].ID() {
		t.Fatalf("a second Load made another key")
	}
	old, _ := k1.Issue(sample(t, "Sam", false))
	k2, err := RotateStored(ctx, store, time.Now())
	if err != nil || len(k2.Keys) != 2 {
		t.Fatalf("RotateStored: %d keys, %v", len(k2.Keys), err)
	}
	if _, err := k2.Verify(old.Token); err != nil {
		t.Errorf("old proof after rotation: %v", err)
	}
	if _, err := k2.CheckCode(old.Code, "sam"); err != nil {
		t.Errorf("old code after rotation: %v", err)
	}
	fresh, _ := k2.Issue(sample(t, "Sam", false))
	if fresh.Statement.Key == old.Statement.Key {
		t.Error("the new proof is signed by the old key")
	}
	if _, err := k1.Verify(fresh.Token); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("a keyring loaded before the rotation: %v, want ErrUnknownKey", err)
	}
	if len(k2.PublicKeys()) != 2 || string(k2.PublicKeys()[0].Public) != string(k1.Keys[0].Public()) {
		t.Error("PublicKeys")
	}
}
