package room

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Role is what a participant may do in a room.
type Role string

// The roles.
const (
	RoleFacilitator   Role = "facilitator"
	RoleCoFacilitator Role = "cofacilitator"
	RoleMember        Role = "member"
)

// Moderates reports whether the role has the facilitator's powers.
func (r Role) Moderates() bool { return r == RoleFacilitator || r == RoleCoFacilitator }

// Status says whether a participant is in the meeting or waiting to be let in.
type Status string

// The statuses.
const (
	StatusWaiting  Status = "waiting"
	StatusAdmitted Status = "admitted"
)

// Who muted a participant.
const (
	MutedBySelf        = "self"
	MutedByFacilitator = "facilitator"
)

// MaxNameLen is the longest display name, in characters.
const MaxNameLen = 40

// Participant is one person in a room, as everyone in the room sees them.
type Participant struct {
	ID     ParticipantID `json:"id"`
	Name   string        `json:"name"`
	Role   Role          `json:"role"`
	Status Status        `json:"status"`
	// Muted: the participant's microphone is muted; the server forwards
	// none of their audio. MutedBy says who muted it.
	Muted   bool   `json:"muted"`
	MutedBy string `json:"mutedBy,omitempty"`
	// Camera: the participant's camera is on (the server forwards video).
	Camera bool `json:"camera"`
	// Present: the participant is connected to the meeting.
	Present bool `json:"present"`
	// Conn counts the participant's connections; a command from an older
	// connection than the current one is refused.
	Conn uint64 `json:"conn"`
	// Instance is the server instance holding the participant's
	// connection (several instances share rooms through Redis).
	Instance string `json:"instance,omitempty"`
	// AskedToUnmute: a facilitator asked them to unmute, which lets them
	// even where the rules would not.
	AskedToUnmute bool `json:"askedToUnmute,omitempty"`
	// CameraBlocked: activity is suspended; they may not start their camera.
	CameraBlocked bool `json:"cameraBlocked,omitempty"`
	// Removed and Denied bar the participant's identity from this meeting.
	Removed bool `json:"removed,omitempty"`
	Denied  bool `json:"denied,omitempty"`
}

// Settings are a room's rules, set by its facilitators.
type Settings struct {
	// WaitingRoom: newcomers wait until a facilitator admits them.
	WaitingRoom bool `json:"waitingRoom"`
	// MuteOnEntry: members join muted.
	MuteOnEntry bool `json:"muteOnEntry"`
	// Mode is ModeOpen or ModeModerated.
	Mode string `json:"mode"`
	// SelfRename: members may rename themselves.
	SelfRename bool `json:"selfRename"`
	// PrivateChat: members may message each other privately.
	PrivateChat bool `json:"privateChat"`
	// Guidelines are shown to people in the waiting room.
	Guidelines string `json:"guidelines"`
	// ShareSeconds is the share timer's default length; AutoMute its
	// default for muting the speaker when time is up.
	ShareSeconds int  `json:"shareSeconds"`
	AutoMute     bool `json:"autoMute"`
	// MaxParticipants bounds the people in the meeting (waiting room
	// included); facilitators always get in. 0 means DefaultMaxParticipants.
	MaxParticipants int `json:"maxParticipants,omitempty"`
}

// DefaultMaxParticipants is a room's limit unless its settings say otherwise.
const DefaultMaxParticipants = 100

// Speaking modes.
const (
	// ModeOpen: members unmute themselves.
	ModeOpen = "open"
	// ModeModerated: a member may unmute only while called on.
	ModeModerated = "moderated"
)

// DefaultGuidelines greet people in the waiting room of a new room.
const DefaultGuidelines = "Welcome. What is said here stays here. Share from your own experience, " +
	"one person at a time, and listen without interrupting or giving advice. " +
	"You may use a first name or a nickname, and keep your camera off if you prefer."

// DefaultSettings are a new room's settings: a safe default for recovery
// groups (waiting room on, everyone joins muted, open speaking).
func DefaultSettings() Settings {
	return Settings{WaitingRoom: true, MuteOnEntry: true, Mode: ModeOpen, SelfRename: true,
		Guidelines: DefaultGuidelines, ShareSeconds: 180}
}

// DemoSettings are the settings of the demo room the server creates when
// no rooms are configured: no waiting room and nobody muted on entry, so
// that trying Hearth needs no facilitator.
func DemoSettings() Settings {
	s := DefaultSettings()
	s.WaitingRoom, s.MuteOnEntry = false, false
	return s
}

// Timer is a running share timer.
type Timer struct {
	Speaker ParticipantID `json:"speaker"`
	// EndsAt is in Unix milliseconds.
	EndsAt   int64 `json:"endsAt"`
	Seconds  int   `json:"seconds"`
	AutoMute bool  `json:"autoMute"`
	// Warned: the 30-second warning was given.
	Warned bool `json:"warned,omitempty"`
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
}

func (i Info) clone() Info {
	if i.Timer != nil {
		t := *i.Timer
		i.Timer = &t
	}
	return i
}

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
	// Seq is the sequence number of the last event.
	Seq uint64 `json:"seq"`
	// Participants holds everyone who joined the running meeting, present
	// or not, so that a participant who reconnects keeps id, role and
	// state, and a removed one stays out.
	Participants map[ParticipantID]*Participant `json:"participants"`
	// Identities maps the hex SHA-256 of each identity token to its
	// participant.
	Identities map[string]ParticipantID `json:"identities"`
	// Hands is the raised-hand queue, first raised first.
	Hands []ParticipantID `json:"hands"`
	// Chat holds the running meeting's messages, oldest first.
	Chat     []ChatMessage `json:"chat"`
	NextChat uint64        `json:"nextChat"`
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
	c.Hands = slices.Clone(s.Hands)
	c.Chat = slices.Clone(s.Chat)
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

func (s *State) maxParticipants() int {
	if s.Settings.MaxParticipants > 0 {
		return s.Settings.MaxParticipants
	}
	return DefaultMaxParticipants
}

// Actor is who sends a command: a participant on one connection.
type Actor struct {
	ID   ParticipantID
	Conn uint64
}

// actor returns the acting participant, if present on that connection.
func (s *State) actor(a Actor) (*Participant, error) {
	p, ok := s.Participants[a.ID]
	if !ok || !p.Present || p.Conn != a.Conn {
		return nil, ErrNotPresent
	}
	return p, nil
}

// admittedActor is actor for commands that need the meeting itself.
func (s *State) admittedActor(a Actor) (*Participant, error) {
	p, err := s.actor(a)
	if err == nil && p.Status != StatusAdmitted {
		return nil, notAllowed("you are still in the waiting room")
	}
	return p, err
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
	// Instance is the server instance the joiner is connected to.
	Instance string
}

// Joined is the result of a successful join.
type Joined struct {
	Self Participant
	// Identity is the participant's identity token.
	Identity string
	// Snapshot is the room right after the join.
	Snapshot *State
}

// Join brings a participant into the meeting, or into its waiting room.
// A new participant gets newID and the identity token newIdentity (both
// chosen by the caller, so that Join stays deterministic); a returning one
// (req.Identity) keeps theirs.
func (s *State) Join(req JoinRequest, newID ParticipantID, newIdentity string) (Joined, []Event, error) {
	var p *Participant
	identity := newIdentity
	if req.Identity != "" {
		id, ok := s.Identities[hashSecret(req.Identity)]
		if ok {
			p = s.Participants[id]
		}
		if p == nil {
			return Joined{}, nil, ErrUnknownIdentity
		}
		if p.Removed {
			return Joined{}, nil, ErrRemoved
		}
		if p.Denied {
			return Joined{}, nil, ErrDenied
		}
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
		if !isFacilitator && (s.Locked || s.AutoLocked) {
			return Joined{}, nil, ErrLocked
		}
		if !isFacilitator && len(s.Present()) >= s.maxParticipants() {
			return Joined{}, nil, ErrFull
		}
		p = &Participant{ID: newID, Name: name, Role: RoleMember, Status: StatusAdmitted, Camera: true}
		if s.Settings.WaitingRoom && !isFacilitator {
			p.Status = StatusWaiting
		}
		if s.Settings.MuteOnEntry && !isFacilitator {
			p.Muted, p.MutedBy = true, MutedBySelf
		}
		if s.Suspended && !isFacilitator {
			p.Muted, p.MutedBy, p.Camera, p.CameraBlocked = true, MutedByFacilitator, false, true
		}
		s.Participants[newID] = p
		s.Identities[hashSecret(newIdentity)] = newID
	}
	if isFacilitator {
		p.Role, p.Status = RoleFacilitator, StatusAdmitted
	}
	if req.Muted != nil && *req.Muted && !p.Muted {
		p.Muted, p.MutedBy = true, MutedBySelf
	}
	if req.Camera != nil && !*req.Camera {
		p.Camera = false
	}
	p.Present = true
	p.Conn++
	p.Instance = req.Instance
	evs := []Event{s.participantEvent(EventJoined, p)}
	if p.Role.Moderates() && s.AutoLocked {
		s.AutoLocked = false
		evs = append(evs, s.roomEvent())
	}
	return Joined{Self: *p, Identity: identity, Snapshot: s.Clone()}, evs, nil
}

// Leave marks the participant as gone, unless the connection is older
// than their current one (they already came back on a new one). A
// participant who leaves on purpose (explicit) gives up their hand and
// turn; one whose connection dropped keeps them, to come back to. When the
// last facilitator goes, the room locks itself until one returns.
func (s *State) Leave(a Actor, explicit bool) ([]Event, error) {
	p, err := s.actor(a)
	if err != nil {
		return nil, nil
	}
	p.Present = false
	evs := []Event{s.participantEvent(EventLeft, p)}
	if explicit {
		evs = append(evs, s.dropFloor(p.ID)...)
	}
	if p.Role.Moderates() {
		evs = append(evs, s.checkAutoLock()...)
	}
	return evs, nil
}

// IdleMeetingTimeout is how long a meeting may stay empty and still be the
// same meeting (people reconnecting after a restart or a lost connection
// find their hand, mute and chat). After that it is over: see NoteEmpty.
const IdleMeetingTimeout = 10 * 60 * 1000 // milliseconds

// NoteEmpty records, at time now (Unix milliseconds), whether the meeting
// is empty. Service calls it after every leave.
func (s *State) NoteEmpty(now int64) {
	for _, p := range s.Participants {
		if p.Present {
			s.EmptySince = 0
			return
		}
	}
	if s.EmptySince == 0 {
		s.EmptySince = now
	}
}

// CloseIdle ends a meeting nobody has been in for IdleMeetingTimeout, at
// time now: its chat, hands, floor, bans and participants are deleted, so
// that the next meeting in the room (a recurring group's next week) starts
// clean. Nobody is present to be told, so there is no event. Service calls
// it before every join.
func (s *State) CloseIdle(now int64) {
	if s.EmptySince != 0 && now-s.EmptySince >= IdleMeetingTimeout {
		s.clearMeeting()
	}
}

// clearMeeting deletes the running meeting's state; the room and its
// settings remain.
func (s *State) clearMeeting() {
	s.Participants = map[ParticipantID]*Participant{}
	s.Identities = map[string]ParticipantID{}
	s.Hands, s.Chat = nil, nil
	s.Locked, s.AutoLocked, s.ChatOpen, s.Suspended = false, false, true, false
	s.Speaker, s.Timer = ParticipantID{}, nil
	s.EmptySince = 0
}

// Expire marks participants as gone whose connections were lost without a
// leave (e.g. their server died): the same as Leave, for each of them.
func (s *State) Expire(ids []ParticipantID) []Event {
	var evs []Event
	for _, id := range ids {
		if p, ok := s.Participants[id]; ok && p.Present {
			e, _ := s.Leave(Actor{ID: id, Conn: p.Conn}, false)
			evs = append(evs, e...)
		}
	}
	return evs // Leave closed the meeting if it emptied
}

// Instances returns the instances holding the connections of present
// participants.
func (s *State) Instances() map[string]bool {
	out := map[string]bool{}
	for _, p := range s.Participants {
		if p.Present && p.Instance != "" {
			out[p.Instance] = true
		}
	}
	return out
}

// ExpireInstance marks as gone every participant whose connection was held
// by instance, except those in keep (connections the instance still holds;
// nil when the instance is dead).
func (s *State) ExpireInstance(instance string, keep map[ParticipantID]bool) []Event {
	var ids []ParticipantID
	for _, p := range s.sortedParticipants() {
		if p.Present && p.Instance == instance && !keep[p.ID] {
			ids = append(ids, p.ID)
		}
	}
	return s.Expire(ids)
}

// checkAutoLock locks the room when no facilitator is present.
func (s *State) checkAutoLock() []Event {
	if s.AutoLocked {
		return nil
	}
	for _, q := range s.Participants {
		if q.Present && q.Role.Moderates() {
			return nil
		}
	}
	s.AutoLocked = true
	return []Event{s.roomEvent()}
}

// dropFloor lowers the participant's hand and ends their turn.
func (s *State) dropFloor(id ParticipantID) []Event {
	var evs []Event
	if i := slices.Index(s.Hands, id); i >= 0 {
		s.Hands = slices.Delete(s.Hands, i, i+1)
		evs = append(evs, s.handsEvent())
	}
	if s.Speaker == id {
		s.Speaker, s.Timer = ParticipantID{}, nil
		evs = append(evs, s.roomEvent())
	}
	return evs
}

// SelfUpdate is a change a participant makes to their own state. Nil
// fields are left as they are.
type SelfUpdate struct {
	Muted  *bool
	Camera *bool
}

// SetSelf changes the participant's own microphone and camera state. A
// member may unmute only when the room's rules let them: in open mode
// unless a facilitator muted them, in moderated mode only while called on
// or when a facilitator asked them to.
func (s *State) SetSelf(a Actor, u SelfUpdate) ([]Event, error) {
	p, err := s.actor(a)
	if err != nil {
		return nil, err
	}
	next := *p
	if u.Muted != nil && *u.Muted != p.Muted {
		if *u.Muted {
			next.Muted, next.MutedBy = true, MutedBySelf
		} else {
			if !s.mayUnmute(p) {
				if p.MutedBy == MutedByFacilitator {
					return nil, notAllowed("the facilitator muted you; you can unmute when they call on you or ask you to")
				}
				return nil, notAllowed("in this meeting you can unmute when the facilitator calls on you")
			}
			next.Muted, next.MutedBy, next.AskedToUnmute = false, "", false
		}
	}
	if u.Camera != nil && *u.Camera != p.Camera {
		if *u.Camera && p.CameraBlocked && !p.Role.Moderates() {
			return nil, notAllowed("cameras are off while the facilitator has suspended activity")
		}
		next.Camera = *u.Camera
	}
	if next == *p {
		return nil, nil
	}
	*p = next
	return []Event{s.participantEvent(EventUpdated, p)}, nil
}

func (s *State) mayUnmute(p *Participant) bool {
	if p.Role.Moderates() || p.AskedToUnmute || s.Speaker == p.ID {
		return true
	}
	return s.Settings.Mode == ModeOpen && p.MutedBy != MutedByFacilitator
}

// RaiseHand puts the participant's hand up, at the end of the queue.
func (s *State) RaiseHand(a Actor) ([]Event, error) {
	p, err := s.admittedActor(a)
	if err != nil {
		return nil, err
	}
	if slices.Contains(s.Hands, p.ID) {
		return nil, nil
	}
	s.Hands = append(s.Hands, p.ID)
	return []Event{s.handsEvent()}, nil
}

// LowerHand takes the participant's hand down.
func (s *State) LowerHand(a Actor) ([]Event, error) {
	p, err := s.admittedActor(a)
	if err != nil {
		return nil, err
	}
	i := slices.Index(s.Hands, p.ID)
	if i < 0 {
		return nil, nil
	}
	s.Hands = slices.Delete(s.Hands, i, i+1)
	return []Event{s.handsEvent()}, nil
}

// Rename changes the participant's own name, if the room allows it.
func (s *State) Rename(a Actor, name string) ([]Event, error) {
	p, err := s.actor(a)
	if err != nil {
		return nil, err
	}
	if !p.Role.Moderates() && !s.Settings.SelfRename {
		return nil, notAllowed("the facilitator has turned off renaming")
	}
	return s.rename(p, name)
}

func (s *State) rename(p *Participant, name string) ([]Event, error) {
	name, err := CleanName(name)
	if err != nil {
		return nil, err
	}
	if name == p.Name {
		return nil, nil
	}
	p.Name = name
	return []Event{s.participantEvent(EventUpdated, p)}, nil
}

// Tick advances the share timer to now (Unix milliseconds): the warning 30
// seconds before the end, and the end itself, when the speaker's turn ends
// if the timer mutes. Any instance may call it; it does nothing twice.
func (s *State) Tick(now int64) []Event {
	t := s.Timer
	if t == nil {
		return nil
	}
	var evs []Event
	if !t.Warned && t.Seconds > 30 && now >= t.EndsAt-30_000 && now < t.EndsAt {
		t.Warned = true
		ev := s.targetEvent(EventTimerWarning, t.Speaker)
		ev.SecondsLeft = int((t.EndsAt - now + 999) / 1000)
		evs = append(evs, ev)
	}
	if now >= t.EndsAt {
		s.Timer = nil
		evs = append(evs, s.targetEvent(EventTimerEnded, t.Speaker))
		if t.AutoMute {
			if p, ok := s.Participants[t.Speaker]; ok && !p.Role.Moderates() && !p.Muted {
				p.Muted, p.MutedBy, p.AskedToUnmute = true, MutedByFacilitator, false
				evs = append(evs, s.participantEvent(EventUpdated, p))
			}
			if s.Speaker == t.Speaker {
				s.Speaker = ParticipantID{}
			}
		}
		evs = append(evs, s.roomEvent())
	}
	return evs
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
