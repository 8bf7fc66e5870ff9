package attest

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Version is the statement format's version (Statement.V).
const Version = 1

// tokenPrefix starts every proof token.
const tokenPrefix = "HP1."

// MaxNameLen and MaxLabelLen bound the name and the label on a proof, in
// characters.
const (
	MaxNameLen  = 80
	MaxLabelLen = 120
)

// Statement is what a proof attests, and nothing more.
type Statement struct {
	// V is Version.
	V int `json:"v"`
	// Label is the meeting's public label (the room's, set by its
	// operators), not its link or id.
	Label string `json:"label"`
	// Joined and Left are when the person was let into the meeting and
	// when the proof was made, to the minute, in the meeting's time zone
	// (RFC 3339 with its offset). The date is Joined's.
	Joined time.Time `json:"joined"`
	Left   time.Time `json:"left"`
	// Minutes is the whole minutes from Joined to Left.
	Minutes int `json:"minutes"`
	// Name is the name the person typed onto the proof, or none.
	Name string `json:"name,omitempty"`
	// Confirmed: a facilitator of the meeting confirmed the attendance
	// (Confirm attendance for NAME) before the proof was made.
	Confirmed bool `json:"confirmed,omitempty"`
	// Key is the ID of the key that signed.
	Key string `json:"key"`
}

// Date is the day the person joined, as YYYY-MM-DD in the meeting's zone.
func (s Statement) Date() string { return s.Joined.Format(time.DateOnly) }

// The errors of Verify and CheckCode.
var (
	ErrMalformed    = errors.New("attest: not a proof of attendance")
	ErrUnknownKey   = errors.New("attest: signed by a key this server does not have")
	ErrBadSignature = errors.New("attest: the signature does not match")
	ErrBadName      = errors.New("attest: a name on a proof is at most 80 characters, without control characters")
)

// NewStatement returns the statement of an attendance from joined to
// left (both cut to the minute, in the zone they are given in) under the
// label, with the name typed onto it ("" for none). The name is checked.
func NewStatement(label, name string, joined, left time.Time, confirmed bool) (Statement, error) {
	name, err := CleanName(name)
	if err != nil {
		return Statement{}, err
	}
	joined, left = joined.Truncate(time.Minute), left.Truncate(time.Minute)
	if left.Before(joined) {
		left = joined
	}
	return Statement{V: Version, Label: strings.TrimSpace(label), Joined: joined, Left: left,
		Minutes: int(left.Sub(joined) / time.Minute), Name: name, Confirmed: confirmed}, nil
}

// CleanName trims a name for a proof and checks it: at most MaxNameLen
// characters, no control or invisible format characters; "" is allowed.
func CleanName(name string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLen {
		return "", ErrBadName
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", ErrBadName
		}
	}
	return name, nil
}

// Proof is an issued proof: the statement, its token (the whole proof, in
// the QR code and the file) and its short code ("" when the attendance is
// too long for one).
type Proof struct {
	Statement Statement `json:"statement"`
	Token     string    `json:"token"`
	Code      string    `json:"code"`
}

// Issue signs st with the current key.
func (k *Keyring) Issue(st Statement) (Proof, error) {
	key, err := k.Current()
	if err != nil {
		return Proof{}, err
	}
	st.V, st.Key = Version, key.ID()
	payload, err := json.Marshal(st)
	if err != nil {
		return Proof{}, fmt.Errorf("attest: %w", err)
	}
	sig := ed25519.Sign(ed25519.NewKeyFromSeed(key.Seed), payload)
	enc := base64.RawURLEncoding
	p := Proof{Statement: st, Token: tokenPrefix + enc.EncodeToString(payload) + "." + enc.EncodeToString(sig)}
	p.Code, _ = code(key, st) // no code for attendances too long for one
	return p, nil
}

// Verify checks a proof token (surrounding text such as the /verify URL
// of its QR code is ignored) and returns the statement it attests.
// ErrUnknownKey means the statement names a key not in k (a newer one,
// perhaps: reload the keyring and try again).
func (k *Keyring) Verify(token string) (Statement, error) {
	token = strings.TrimSpace(token)
	if i := strings.LastIndex(token, tokenPrefix); i >= 0 {
		token = token[i:]
	}
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return Statement{}, ErrMalformed
	}
	p64, s64, ok := strings.Cut(rest, ".")
	if !ok {
		return Statement{}, ErrMalformed
	}
	enc := base64.RawURLEncoding.Strict()
	payload, err1 := enc.DecodeString(p64)
	sig, err2 := enc.DecodeString(s64)
	if err1 != nil || err2 != nil || len(sig) != ed25519.SignatureSize {
		return Statement{}, ErrMalformed
	}
	var st Statement
	d := json.NewDecoder(bytes.NewReader(payload))
	d.DisallowUnknownFields()
	if err := d.Decode(&st); err != nil || d.More() || st.V != Version {
		return Statement{}, ErrMalformed
	}
	key, ok := k.byID(st.Key)
	if !ok {
		return Statement{}, ErrUnknownKey
	}
	if !ed25519.Verify(key.Public(), payload, sig) {
		return Statement{}, ErrBadSignature
	}
	return st, nil
}

// Zone is the offset of the statement's times, as "UTC" or "UTC+01:00".
func (s Statement) Zone() string {
	if _, off := s.Joined.Zone(); off == 0 {
		return "UTC"
	}
	return "UTC" + s.Joined.Format("-07:00")
}
