package room

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"maps"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Role is what a participant may do in a room.
type Role string

// The roles.
const (
	RoleFacilitator Role = "facilitator"
	RoleMember      Role = "member"
)

// MaxNameLen is the longest display name, in characters.
const MaxNameLen = 40

// Participant is one person in a room, as everyone in the room sees them.
type Participant struct {
	ID   ParticipantID `json:"id"`
	Name string        `json:"name"`
	Role Role          `json:"role"`
	// Muted: the participant's microphone is muted; the server forwards
	// none of their audio.
	Muted bool `json:"muted"`
	// Camera: the participant's camera is on.
	Camera bool `json:"camera"`
	// Present: the participant is connected to the meeting.
	Present bool `json:"present"`
	// Conn counts the participant's connections; a command from an older
	// connection than the current one is ignored.
	Conn uint64 `json:"conn"`
}

// State is the whole state of one room. Its methods are the rules: each
// checks a command, changes the state, and returns the events produced,
// numbered with the room's sequence. On error the state is unchanged.
//
// State is plain data (JSON-serialisable) so that any Store can keep it.
type State struct {
	ID   RoomID `json:"id"`
	Name string `json:"name"`
	// FacilitatorKeyHash is the hex SHA-256 of the facilitator key; the key
	// itself is never stored.
	FacilitatorKeyHash string `json:"facilitatorKeyHash"`
	// Seq is the sequence number of the last event.
	Seq uint64 `json:"seq"`
	// Participants holds everyone who joined the running meeting, present
	// or not, so that a participant who reconnects keeps id, role and state.
	Participants map[ParticipantID]*Participant `json:"participants"`
	// Identities maps the hex SHA-256 of each identity token to its
	// participant.
	Identities map[string]ParticipantID `json:"identities"`
}

// NewState returns the state of a new, empty room.
func NewState(id RoomID, name, facilitatorKey string) *State {
	return &State{
		ID:                 id,
		Name:               name,
		FacilitatorKeyHash: hashSecret(facilitatorKey),
		Participants:       map[ParticipantID]*Participant{},
		Identities:         map[string]ParticipantID{},
	}
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := *s
	c.Participants = make(map[ParticipantID]*Participant, len(s.Participants))
	for id, p := range s.Participants {
		cp := *p
		c.Participants[id] = &cp
	}
	c.Identities = maps.Clone(s.Identities)
	if c.Identities == nil {
		c.Identities = map[string]ParticipantID{}
	}
	return &c
}

// Present returns the participants present, in no particular order.
func (s *State) Present() []Participant {
	out := make([]Participant, 0, len(s.Participants))
	for _, p := range s.Participants {
		if p.Present {
			out = append(out, *p)
		}
	}
	return out
}

// JoinRequest is what a person brings when they join.
type JoinRequest struct {
	// Name is the display name; ignored when Identity is accepted.
	Name string
	// FacilitatorKey, when it matches the room's, makes the joiner a facilitator.
	FacilitatorKey string
	// Identity is the token from an earlier join; with it the participant
	// comes back as themselves.
	Identity string
	// Muted and Camera, when set, give the joiner's microphone and camera
	// state. A returning participant can only turn them off here (a
	// microphone or camera that is missing now).
	Muted  *bool
	Camera *bool
}

// Joined is the result of a successful join.
type Joined struct {
	Self Participant
	// Identity is the participant's identity token.
	Identity string
	// Present is everyone present right after the join, the joiner included.
	Present []Participant
	// RoomName is the room's name.
	RoomName string
	// Seq is the room's sequence number after the join: Present reflects
	// every event up to it, and every later event has a greater one.
	Seq uint64
}

// Join brings a participant into the meeting. A new participant gets newID
// and the identity token newIdentity (both chosen by the caller, so that
// Join stays deterministic); a returning one (req.Identity) keeps theirs.
func (s *State) Join(req JoinRequest, newID ParticipantID, newIdentity string) (Joined, []Event, error) {
	var p *Participant
	identity := newIdentity
	if req.Identity != "" {
		id, ok := s.Identities[hashSecret(req.Identity)]
		if !ok {
			return Joined{}, nil, ErrUnknownIdentity
		}
		p = s.Participants[id]
		identity = req.Identity
	}
	isFacilitator := false
	if req.FacilitatorKey != "" {
		if !s.facilitatorKeyOK(req.FacilitatorKey) {
			return Joined{}, nil, ErrForbidden
		}
		isFacilitator = true
	}
	if p == nil {
		name, err := CleanName(req.Name)
		if err != nil {
			return Joined{}, nil, err
		}
		p = &Participant{ID: newID, Name: name, Role: RoleMember, Camera: true}
		s.Participants[newID] = p
		s.Identities[hashSecret(newIdentity)] = newID
	}
	if isFacilitator {
		p.Role = RoleFacilitator
	}
	if req.Muted != nil && *req.Muted {
		p.Muted = true
	}
	if req.Camera != nil && !*req.Camera {
		p.Camera = false
	}
	p.Present = true
	p.Conn++
	evs := []Event{s.event(EventJoined, p)}
	return Joined{Self: *p, Identity: identity, Present: s.Present(), RoomName: s.Name, Seq: s.Seq}, evs, nil
}

// Leave marks the participant as gone, unless conn is older than their
// current connection (they already came back on a new one).
func (s *State) Leave(id ParticipantID, conn uint64) ([]Event, error) {
	p, ok := s.Participants[id]
	if !ok || !p.Present || p.Conn != conn {
		return nil, nil
	}
	p.Present = false
	return []Event{s.event(EventLeft, p)}, nil
}

// SelfUpdate is a change a participant makes to their own state. Nil
// fields are left as they are.
type SelfUpdate struct {
	Muted  *bool
	Camera *bool
}

// SetSelf changes the participant's own microphone and camera state.
func (s *State) SetSelf(id ParticipantID, u SelfUpdate) ([]Event, error) {
	p, ok := s.Participants[id]
	if !ok || !p.Present {
		return nil, ErrNotPresent
	}
	changed := false
	if u.Muted != nil && *u.Muted != p.Muted {
		p.Muted = *u.Muted
		changed = true
	}
	if u.Camera != nil && *u.Camera != p.Camera {
		p.Camera = *u.Camera
		changed = true
	}
	if !changed {
		return nil, nil
	}
	return []Event{s.event(EventUpdated, p)}, nil
}

func (s *State) event(kind EventKind, p *Participant) Event {
	s.Seq++
	return Event{Room: s.ID, Seq: s.Seq, Kind: kind, Participant: *p}
}

func (s *State) facilitatorKeyOK(key string) bool {
	if s.FacilitatorKeyHash == "" {
		return false
	}
	got := hashSecret(key)
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.FacilitatorKeyHash)) == 1
}

// CleanName trims a display name and checks it: 1 to MaxNameLen
// characters, no control characters.
func CleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLen {
		return "", ErrBadName
	}
	for _, r := range name {
		// Control and invisible format characters (such as U+202E, which
		// reverses text) have no place in a name others read.
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return "", ErrBadName
		}
	}
	return name, nil
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
