package room

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"
)

// A room has two lives. Its Definition (this file) is what an operator
// sets up once and keeps until they delete it: name, settings, schedule,
// the hashes of its links, its invites. It lives in a Directory (an
// embedded file, or Redis without expiry). The running meeting (State:
// participants, hands, chat, bans) is made from the definition when the
// first person joins and is gone when the meeting ends; it lives in a
// Store and is never written to the Directory.

// Definition is a room as an operator keeps it, until deleted.
type Definition struct {
	ID   RoomID `json:"id"`
	Name string `json:"name"`
	// Settings are the settings each meeting starts with (PasscodeHash
	// included). A facilitator's changes in a meeting last for that
	// meeting only.
	Settings Settings `json:"settings"`
	// Schedule is when the group usually meets; shown to operators only.
	Schedule *Schedule `json:"schedule,omitempty"`
	// Links are the generation and hashes of the room's two links.
	Links Links `json:"links"`
	// Invites are the per-person invite links, by the hex SHA-256 of
	// their token.
	Invites   map[string]Invite `json:"invites,omitempty"`
	CreatedAt time.Time         `json:"createdAt"`
}

// Links are a room's link keys as stored: their generation and the hex
// SHA-256 of each key, never the keys themselves (see LinkKeys).
type Links struct {
	Generation         int    `json:"generation"`
	MemberKeyHash      string `json:"memberKeyHash"`
	FacilitatorKeyHash string `json:"facilitatorKeyHash"`
}

// Invite is one per-person invite link.
type Invite struct {
	// Label helps the operator tell invites apart (e.g. initials); it is
	// never shown to the meeting.
	Label string `json:"label,omitempty"`
	// UsesLeft is how many more first joins the link allows.
	UsesLeft  int       `json:"usesLeft"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// Schedule is when a recurring group meets, for the operators' overview.
// Hearth does not open or close rooms by it: a room is open whenever
// someone comes through its link.
type Schedule struct {
	// Days are lower-case English weekday names, e.g. ["tuesday"].
	Days []string `json:"days"`
	// Time is the start, "HH:MM" on a 24-hour clock.
	Time string `json:"time"`
	// DurationMinutes is the usual length, 1 to 1440.
	DurationMinutes int `json:"durationMinutes"`
	// TimeZone is an IANA zone name, e.g. "Europe/Berlin"; empty: UTC.
	TimeZone string `json:"timeZone,omitempty"`
}

// Errors of rooms' definitions.
var (
	// ErrBadLink: a newcomer brought no member key, or one not valid (any
	// more) for the room.
	ErrBadLink = errors.New("this link is not valid any more")
	// ErrLinkRotated: the room's links were replaced while the person was
	// waiting with an old one.
	ErrLinkRotated = errors.New("this link has been replaced")
	// ErrBadInvite: the invite link is unknown, used up or expired.
	ErrBadInvite = errors.New("this invite link is not valid any more")
)

// The roles of link keys, as mixed into their derivation.
const (
	linkMember      = "member"
	linkFacilitator = "facilitator"
)

// MaxRoomName is the longest room name, in characters.
const MaxRoomName = 100

// CleanRoomName trims a room name and checks it.
func CleanRoomName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxRoomName ||
		strings.IndexFunc(name, isControl) >= 0 {
		return "", badCommand(fmt.Sprintf("a room's name is 1 to %d characters without control characters", MaxRoomName))
	}
	return name, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// Validate checks a schedule.
func (s *Schedule) Validate() error {
	if s == nil {
		return nil
	}
	days := map[string]bool{"monday": true, "tuesday": true, "wednesday": true, "thursday": true,
		"friday": true, "saturday": true, "sunday": true}
	if len(s.Days) == 0 || len(s.Days) > 7 {
		return badCommand("a schedule names 1 to 7 days")
	}
	for _, d := range s.Days {
		if !days[d] {
			return badCommand(fmt.Sprintf("%q is not a day such as \"tuesday\"", d))
		}
	}
	if _, err := time.Parse("15:04", s.Time); err != nil || len(s.Time) != 5 {
		return badCommand(`a schedule's time is "HH:MM", e.g. "19:30"`)
	}
	if s.DurationMinutes < 1 || s.DurationMinutes > 1440 {
		return badCommand("a schedule's duration is 1 to 1440 minutes")
	}
	if s.TimeZone != "" {
		if _, err := time.LoadLocation(s.TimeZone); err != nil {
			return badCommand(fmt.Sprintf("%q is not a time zone such as \"Europe/Berlin\"", s.TimeZone))
		}
	}
	return nil
}

// LinkKeys derives a room's member and facilitator keys of a generation
// from the server's link secret: base64url(HMAC-SHA256(secret,
// "<roomID>|<role>|<generation>")). Keys are not stored, so links can be
// shown again while the Directory holds only their hashes.
func LinkKeys(secret []byte, id RoomID, generation int) (member, facilitator string) {
	return linkKey(secret, id, linkMember, generation), linkKey(secret, id, linkFacilitator, generation)
}

func linkKey(secret []byte, id RoomID, role string, generation int) string {
	m := hmac.New(sha256.New, secret)
	fmt.Fprintf(m, "%s|%s|%d", id, role, generation)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// newLinks returns the links of a generation.
func newLinks(secret []byte, id RoomID, generation int) Links {
	m, f := LinkKeys(secret, id, generation)
	return Links{Generation: generation, MemberKeyHash: hashSecret(m), FacilitatorKeyHash: hashSecret(f)}
}

// NewDefinition returns the definition of a new room with the links of
// generation 1.
func NewDefinition(secret []byte, name string, settings Settings, now time.Time) *Definition {
	return newDefinition(NewRoomID(), secret, name, settings, now)
}

// newDefinition is NewDefinition with the room's id given.
func newDefinition(id RoomID, secret []byte, name string, settings Settings, now time.Time) *Definition {
	return &Definition{ID: id, Name: name, Settings: settings, Links: newLinks(secret, id, 1),
		CreatedAt: now.UTC().Truncate(time.Second)}
}

// Clone returns a deep copy of d.
func (d *Definition) Clone() *Definition {
	c := *d
	if d.Schedule != nil {
		s := *d.Schedule
		s.Days = append([]string(nil), d.Schedule.Days...)
		c.Schedule = &s
	}
	c.Invites = maps.Clone(d.Invites)
	return &c
}

// meeting returns the state of a new meeting in the room.
func (d *Definition) meeting() *State {
	s := &State{
		ID:                 d.ID,
		Info:               Info{Name: d.Name, Settings: d.Settings, ChatOpen: true},
		FacilitatorKeyHash: d.Links.FacilitatorKeyHash,
		MemberKeyHash:      d.Links.MemberKeyHash,
		LinkGen:            d.Links.Generation,
		Participants:       map[ParticipantID]*Participant{},
		Identities:         map[string]ParticipantID{},
	}
	s.resetSegment()
	return s
}

// useInvite takes one use of the invite whose token is given, at now; it
// prunes the invites that are used up or expired.
func (d *Definition) useInvite(token string, now time.Time) error {
	d.pruneInvites(now)
	h := hashSecret(token)
	inv, ok := d.Invites[h]
	if !ok {
		return ErrBadInvite
	}
	inv.UsesLeft--
	if inv.UsesLeft <= 0 {
		delete(d.Invites, h)
	} else {
		d.Invites[h] = inv
	}
	return nil
}

// giveBackInvite returns a use taken by useInvite for a join that failed.
func (d *Definition) giveBackInvite(token string, inv Invite, now time.Time) {
	if !now.Before(inv.ExpiresAt) {
		return
	}
	h := hashSecret(token)
	cur, ok := d.Invites[h]
	if !ok {
		cur = inv
		cur.UsesLeft = 0
	}
	cur.UsesLeft++
	if d.Invites == nil {
		d.Invites = map[string]Invite{}
	}
	d.Invites[h] = cur
}

// pruneInvites forgets invites used up or expired at now.
func (d *Definition) pruneInvites(now time.Time) {
	for h, inv := range d.Invites {
		if inv.UsesLeft <= 0 || !now.Before(inv.ExpiresAt) {
			delete(d.Invites, h)
		}
	}
}

// keyOK reports whether key's hash is want, in constant time.
func keyOK(key, want string) bool {
	if key == "" || want == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(hashSecret(key)), []byte(want)) == 1
}
