package room

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
)

// State is the whole state of one room. Its methods are the rules: each
// checks a command, changes the state, and returns the events produced,
// numbered with the room's sequence. On error the state is unchanged.
//
// State is plain data (JSON-serialisable) so that any Store can keep it.
type State struct {
	ID RoomID `json:"id"`
	Info
	// FacilitatorKeyHash is the hex SHA-256 of the facilitator key; the key
	// itself is never stored.
	FacilitatorKeyHash string `json:"facilitatorKeyHash"`
	// MemberKeyHash is the hex SHA-256 of the member key of the room's
	// current links (generation LinkGen), which a newcomer must bring
	// unless they come with an invite or the facilitator key. Empty (a
	// state made without a definition, in tests) lets newcomers in
	// without one.
	MemberKeyHash string `json:"memberKeyHash,omitempty"`
	LinkGen       int    `json:"linkGen,omitempty"`
	// StartedAt is when the first person of the running meeting arrived
	// (Unix milliseconds); zero before.
	StartedAt int64 `json:"startedAt,omitempty"`
	// Seq is the sequence number of the last event.
	Seq uint64 `json:"seq"`
	// Participants holds who is in the running meeting, and who left less
	// than the grace ago (see Tidy), so that a participant who reconnects
	// keeps id, role and state.
	Participants map[ParticipantID]*Participant `json:"participants"`
	// Identities maps the hex SHA-256 of each identity token to its
	// participant.
	Identities map[string]ParticipantID `json:"identities"`
	// Gone holds when each participant not present was first known gone
	// (Unix milliseconds); Tidy prunes them after the grace.
	Gone map[ParticipantID]int64 `json:"gone,omitempty"`
	// Bans are the identities barred from the running meeting whose
	// participants were pruned: a prefix of the identity's hash (see
	// banKey), true when removed, false when denied. No name is kept.
	Bans map[string]bool `json:"bans,omitempty"`
	// Hands is the raised-hand queue, first raised first.
	Hands []ParticipantID `json:"hands"`
	// Chat holds the running meeting's messages, oldest first.
	Chat     []ChatMessage `json:"chat"`
	NextChat uint64        `json:"nextChat"`
	// Reports are the running meeting's reports to the facilitators,
	// oldest first (report.go).
	Reports    []Report `json:"reports,omitempty"`
	NextReport uint64   `json:"nextReport,omitempty"`
	// EmptySince is when the last participant left (Unix milliseconds);
	// zero while someone is present.
	EmptySince int64 `json:"emptySince,omitempty"`
}

// NewState returns the state of a new, empty room with the default
// settings.
func NewState(id RoomID, name, facilitatorKey string) *State {
	return &State{
		ID:                 id,
		Info:               Info{Name: name, Settings: DefaultSettings(), ChatOpen: true},
		FacilitatorKeyHash: hashSecret(facilitatorKey),
		Participants:       map[ParticipantID]*Participant{},
		Identities:         map[string]ParticipantID{},
	}
}

// Clone returns a deep copy of s.
func (s *State) Clone() *State {
	c := *s
	c.Info = s.Info.clone()
	c.Participants = make(map[ParticipantID]*Participant, len(s.Participants))
	for id, p := range s.Participants {
		cp := *p
		c.Participants[id] = &cp
	}
	c.Identities = maps.Clone(s.Identities)
	if c.Identities == nil {
		c.Identities = map[string]ParticipantID{}
	}
	c.Gone = maps.Clone(s.Gone)
	c.Bans = maps.Clone(s.Bans)
	c.Hands = slices.Clone(s.Hands)
	c.Chat = slices.Clone(s.Chat)
	c.Reports = slices.Clone(s.Reports)
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

// sortedParticipants returns the participants in a fixed order (by id), so
// that commands touching several produce their events deterministically.
func (s *State) sortedParticipants() []*Participant {
	out := make([]*Participant, 0, len(s.Participants))
	for _, p := range s.Participants {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Participant) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}

// Info is the room-level part of the state that every participant sees.
type Info struct {
	Name     string   `json:"name"`
	Settings Settings `json:"settings"`
	// Locked by a facilitator; AutoLocked while no facilitator is present.
	Locked     bool `json:"locked"`
	AutoLocked bool `json:"autoLocked"`
	ChatOpen   bool `json:"chatOpen"`
	// Suspended: all activity was suspended (cameras blocked).
	Suspended bool `json:"suspended"`
	// Speaker is the participant called on; zero when nobody is.
	Speaker ParticipantID `json:"speaker"`
	Timer   *Timer        `json:"timer,omitempty"`
	// Segment is the index of the format's segment the meeting is in (0
	// without a format; see format.go).
	Segment int `json:"segment"`
}

func (i Info) clone() Info {
	if i.Timer != nil {
		t := *i.Timer
		i.Timer = &t
	}
	return i
}

// setRoom changes room-level state and reports it.
func (s *State) setRoom(change func()) []Event {
	before := s.Info.clone()
	change()
	if infoEqual(before, s.Info) {
		return nil
	}
	return []Event{s.roomEvent()}
}

func infoEqual(a, b Info) bool {
	at, bt := a.Timer, b.Timer
	af, bf := a.Settings.Format, b.Settings.Format
	a.Timer, b.Timer, a.Settings.Format, b.Settings.Format = nil, nil, nil, nil
	if a != b || !formatEqual(af, bf) {
		return false
	}
	if at == nil || bt == nil {
		return at == bt
	}
	return *at == *bt
}

func hashSecret(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// deleteFirst deletes the first item of *items that match accepts (a
// chat message or a report, by id), and reports whether there was one.
func deleteFirst[T any](items *[]T, match func(T) bool) bool {
	i := slices.IndexFunc(*items, match)
	if i < 0 {
		return false
	}
	*items = slices.Delete(*items, i, i+1)
	return true
}

// lowerHand takes the participant out of the raised-hand queue; it
// reports whether their hand was up.
func (s *State) lowerHand(id ParticipantID) bool {
	return deleteFirst(&s.Hands, func(h ParticipantID) bool { return h == id })
}
