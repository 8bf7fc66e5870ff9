package room

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// A room may have a passcode, a second line of defence behind the waiting
// room for groups whose member link is public. Only a salted Argon2id hash
// of it is kept (Settings.PasscodeHash); the passcode itself is never
// stored, logged or sent back. A newcomer must bring it; a facilitator
// (with the key) and a participant coming back with their identity need
// not.

// Errors of a join into a room with a passcode.
var (
	// ErrPasscodeRequired: the room has a passcode and the join brought none.
	ErrPasscodeRequired = errors.New("this meeting needs a passcode")
	// ErrBadPasscode: the join brought a passcode that is not the room's.
	ErrBadPasscode = errors.New("the passcode is not right")
)

// The bounds of a passcode, in characters after trimming spaces.
const MinPasscode, MaxPasscode = 4, 64

// The Argon2id parameters (OWASP's m=7 MiB, t=5, p=1): about 20 ms a hash.
// They are written into each hash, so that they may change later.
const (
	argonTime    = 5
	argonMemory  = 7 * 1024 // KiB
	argonThreads = 1
	argonKeyLen  = 32
	saltLen      = 16
)

// CleanPasscode trims spaces around p and checks its length and
// characters.
func CleanPasscode(p string) (string, error) {
	p = strings.TrimSpace(p)
	n := utf8.RuneCountInString(p)
	if !utf8.ValidString(p) || n < MinPasscode || n > MaxPasscode || strings.IndexFunc(p, unicode.IsControl) >= 0 {
		return "", badCommand(fmt.Sprintf("a passcode is %d to %d characters without control characters", MinPasscode, MaxPasscode))
	}
	return p, nil
}

// HashPasscode returns the salted hash of the passcode p, to keep in
// Settings.PasscodeHash; it checks p as CleanPasscode does.
func HashPasscode(p string) (string, error) {
	p, err := CleanPasscode(p)
	if err != nil {
		return "", err
	}
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+).
	return encodePasscode(argonTime, argonMemory, argonThreads, salt, p), nil
}

func encodePasscode(t, m uint32, threads uint8, salt []byte, p string) string {
	key := argon2.IDKey([]byte(p), salt, t, m, threads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, threads,
		enc.EncodeToString(salt), enc.EncodeToString(key))
}

// passcodeMatches reports whether p is the passcode hashed in h.
func passcodeMatches(h, p string) bool {
	parts := strings.Split(h, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &threads); err != nil ||
		m == 0 || m > 256*1024 || t == 0 || t > 16 || threads == 0 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(p), salt, t, m, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// PasscodeRequired reports whether newcomers must bring a passcode.
func (s Settings) PasscodeRequired() bool { return s.PasscodeHash != "" }

// checkPasscode checks the passcode a newcomer brought (the room's
// passcode, if it has one).
func (s *State) checkPasscode(given string) error {
	if s.Settings.PasscodeHash == "" {
		return nil
	}
	given = strings.TrimSpace(given)
	switch {
	case given == "":
		return ErrPasscodeRequired
	case len(given) > 4*MaxPasscode || !passcodeMatches(s.Settings.PasscodeHash, given):
		return ErrBadPasscode
	}
	return nil
}
