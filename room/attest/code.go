package attest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"strings"
	"time"
)

// The short code's layout (80 bits, most significant first).
const (
	keyBits     = 4
	joinedBits  = 25
	minutesBits = 12
	tagBits     = 38
	fieldBits   = keyBits + joinedBits + minutesBits + 1 // 42
)

// codeEpoch is minute 0 of the codes' joined field.
func codeEpoch() time.Time { return time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC) }

// crockford is Crockford's base32 alphabet: no I, L, O or U.
func crockford() *base32.Encoding {
	return base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)
}

// ErrNoCode: the attendance cannot be put in a short code (it lasted more
// than 4095 minutes, or is dated before 2025).
var ErrNoCode = errors.New("attest: no short code for this attendance")

// ErrBadCode: the code is not one this server made (or the name typed
// beside it is not the one on the proof).
var ErrBadCode = errors.New("attest: no proof of this server has this code and name")

// CodeFacts are what a short code attests.
type CodeFacts struct {
	// Joined and Left, in UTC (the code does not carry the zone).
	Joined, Left time.Time
	Minutes      int
	Confirmed    bool
	// Name is the name checked with the code ("" when the proof has none).
	Name string
}

// codeFields packs a statement's fields into the code's upper 42 bits.
func codeFields(n int, st Statement) (uint64, error) {
	joined := st.Joined.UTC().Sub(codeEpoch()) / time.Minute
	if joined < 0 || joined >= 1<<joinedBits || st.Minutes < 0 || st.Minutes >= 1<<minutesBits {
		return 0, ErrNoCode
	}
	f := uint64(n%(1<<keyBits))<<(joinedBits+minutesBits+1) | uint64(joined)<<(minutesBits+1) | uint64(st.Minutes)<<1
	if st.Confirmed {
		f |= 1
	}
	return f, nil
}

// codeTag is the code's 38-bit tag over its fields and the name.
func codeTag(key Key, fields uint64, name string) uint64 {
	m := hmac.New(sha256.New, key.codeKey())
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], fields)
	m.Write(b[:])
	m.Write([]byte(foldName(name)))
	return binary.BigEndian.Uint64(m.Sum(nil)) >> (64 - tagBits)
}

// foldName is the name as a code compares it: spaces collapsed, case
// folded.
func foldName(name string) string { return strings.ToLower(strings.Join(strings.Fields(name), " ")) }

// code returns st's short code under key.
func code(key Key, st Statement) (string, error) {
	f, err := codeFields(key.N, st)
	if err != nil {
		return "", err
	}
	var b [10]byte
	// 80 bits: the 42 bits of fields, then the 38 of the tag.
	binary.BigEndian.PutUint16(b[:2], uint16(f>>(64-tagBits)))
	binary.BigEndian.PutUint64(b[2:], f<<tagBits|codeTag(key, f, st.Name))
	s := crockford().EncodeToString(b[:])
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16], nil
}

// normalCode reads a typed code: case, dashes and spaces do not matter;
// I and L read as 1, O as 0.
func normalCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', ' ', '\t':
			return -1
		case 'I', 'L', 'i', 'l':
			return '1'
		case 'O', 'o':
			return '0'
		}
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// CheckCode checks a short code with the name printed on the proof ("" if
// none) and returns what it attests.
func (k *Keyring) CheckCode(c, name string) (CodeFacts, error) {
	b, err := crockford().DecodeString(normalCode(c))
	if err != nil || len(b) != 10 {
		return CodeFacts{}, ErrBadCode
	}
	hi, lo := uint64(binary.BigEndian.Uint16(b[:2])), binary.BigEndian.Uint64(b[2:])
	f := hi<<(64-tagBits) | lo>>tagBits
	tag := lo & (1<<tagBits - 1)
	n := int(f >> (joinedBits + minutesBits + 1))
	for _, key := range k.Keys {
		if key.N%(1<<keyBits) != n || !hmac.Equal(tagBytes(codeTag(key, f, name)), tagBytes(tag)) {
			continue
		}
		joined := codeEpoch().Add(time.Duration(f>>(minutesBits+1)&(1<<joinedBits-1)) * time.Minute)
		minutes := int(f >> 1 & (1<<minutesBits - 1))
		return CodeFacts{Joined: joined, Left: joined.Add(time.Duration(minutes) * time.Minute), Minutes: minutes,
			Confirmed: f&1 == 1, Name: strings.Join(strings.Fields(name), " ")}, nil
	}
	return CodeFacts{}, ErrBadCode
}

// tagBytes is a tag as bytes, for a constant-time comparison.
func tagBytes(t uint64) []byte { return binary.BigEndian.AppendUint64(nil, t) }
