package room

import (
	"unicode"
	"unicode/utf8"
)

// MaxFirstNameLen is the longest display name, in characters, in a room
// with the first-names-only policy (Settings.FirstNamesOnly).
const MaxFirstNameLen = 20

// FirstName checks a display name, already cleaned by CleanName, under
// the first-names-only policy: one word (no spaces) of at most
// MaxFirstNameLen characters, such as a first name or a nickname
// ("Sam", "Mary-Jo", "J.R."). A full name is refused: it is what
// recovery groups keep to themselves.
func FirstName(name string) error {
	if utf8.RuneCountInString(name) > MaxFirstNameLen {
		return ErrNotFirstName
	}
	for _, r := range name {
		if unicode.IsSpace(r) {
			return ErrNotFirstName
		}
	}
	return nil
}

// ownName cleans a name people give themselves (joining, renaming
// themselves) and, when the room has the first-names-only policy, checks
// it is one.
func (s *State) ownName(name string) (string, error) {
	name, err := CleanName(name)
	if err != nil {
		return "", err
	}
	if s.Settings.FirstNamesOnly {
		if err := FirstName(name); err != nil {
			return "", err
		}
	}
	return name, nil
}
