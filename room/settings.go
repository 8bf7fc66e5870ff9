package room

import (
	"strings"
	"unicode/utf8"
)

// Settings are a room's rules, set by its facilitators.
type Settings struct {
	// WaitingRoom: newcomers wait until a facilitator admits them.
	WaitingRoom bool `json:"waitingRoom"`
	// MuteOnEntry: members join muted.
	MuteOnEntry bool `json:"muteOnEntry"`
	// Mode is ModeOpen or ModeModerated.
	Mode Mode `json:"mode"`
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
	// MaxParticipants bounds the people admitted to the meeting (the
	// waiting room does not count); facilitators always get in. 0 means
	// DefaultMaxParticipants.
	MaxParticipants int `json:"maxParticipants,omitempty"`
	// MaxWaiting bounds the people in the waiting room. 0 means
	// DefaultMaxWaiting.
	MaxWaiting int `json:"maxWaiting,omitempty"`
	// PasscodeHash is the salted hash of the room's passcode (see
	// HashPasscode); empty when the room has none. Newcomers must bring
	// the passcode. It is never sent to clients: they are told only
	// whether there is one.
	PasscodeHash string `json:"passcodeHash,omitempty"`
	// Format is the room's meeting format (format.go), nil when it has
	// none. A format is never changed in place: a change replaces it.
	Format *Format `json:"format"`
	// ContributionsURL is the room's optional contributions link, shown
	// in the format's last (closing) segment; "" when none.
	ContributionsURL string `json:"contributionsUrl"`
	// AttendanceProof: members may ask for a signed proof of attendance
	// (room/attest; docs/attendance.md). Off unless an operator allows it.
	AttendanceProof bool `json:"attendanceProof"`
	// PublicLabel is what proofs of attendance call the meeting; "" means
	// the room's name (see Label).
	PublicLabel string `json:"publicLabel,omitempty"`
	// FirstNamesOnly: a display name is one word of at most
	// MaxFirstNameLen characters (see FirstName), at a join and when
	// people rename themselves; a facilitator renaming someone is not
	// held to it. New rooms have it on; a stored room without the field
	// has it off.
	FirstNamesOnly bool `json:"firstNamesOnly"`
	// MembersCanShareScreen: members may share their screen (facilitators
	// always may). Off by default.
	MembersCanShareScreen bool `json:"membersCanShareScreen"`
}

// MaxLabelLen is the longest public label, in characters.
const MaxLabelLen = 120

// Label is what proofs of attendance call a meeting of the room named
// name: its public label, or else its name.
func (s Settings) Label(name string) string {
	if s.PublicLabel != "" {
		return s.PublicLabel
	}
	return name
}

// DefaultMaxParticipants and DefaultMaxWaiting are a room's limits unless
// its settings say otherwise.
const (
	DefaultMaxParticipants = 100
	DefaultMaxWaiting      = 50
)

// The bounds of the limits a facilitator may set.
const (
	MinMaxParticipants, MaxMaxParticipants = 2, 1000
	MinMaxWaiting, MaxMaxWaiting           = 1, 500
)

// Mode is a room's speaking mode.
type Mode string

// Speaking modes.
const (
	// ModeOpen: members unmute themselves.
	ModeOpen Mode = "open"
	// ModeModerated: a member may unmute only while called on.
	ModeModerated Mode = "moderated"
)

// Valid reports whether m is a known speaking mode.
func (m Mode) Valid() bool { return m == ModeOpen || m == ModeModerated }

// DefaultGuidelines greet people in the waiting room of a new room.
const DefaultGuidelines = "Welcome. What is said here stays here. Share from your own experience, " +
	"one person at a time, and listen without interrupting or giving advice. " +
	"You may use a first name or a nickname, and keep your camera off if you prefer."

// DefaultSettings are a new room's settings: a safe default for recovery
// groups (waiting room on, everyone joins muted, open speaking).
func DefaultSettings() Settings {
	return Settings{WaitingRoom: true, MuteOnEntry: true, Mode: ModeOpen, SelfRename: true,
		Guidelines: DefaultGuidelines, ShareSeconds: 180, FirstNamesOnly: true}
}

// DemoSettings are the settings of the demo room the server creates when
// no rooms are configured: no waiting room and nobody muted on entry, so
// that trying Hearth needs no facilitator.
func DemoSettings() Settings {
	s := DefaultSettings()
	s.WaitingRoom, s.MuteOnEntry = false, false
	return s
}

// SettingsUpdate changes some of a room's settings; nil fields stay.
type SettingsUpdate struct {
	WaitingRoom  *bool   `json:"waitingRoom,omitempty"`
	MuteOnEntry  *bool   `json:"muteOnEntry,omitempty"`
	Mode         *Mode   `json:"mode,omitempty"`
	SelfRename   *bool   `json:"selfRename,omitempty"`
	PrivateChat  *bool   `json:"privateChat,omitempty"`
	Guidelines   *string `json:"guidelines,omitempty"`
	ShareSeconds *int    `json:"shareSeconds,omitempty"`
	AutoMute     *bool   `json:"autoMute,omitempty"`
	// MaxParticipants: 2 to 1000.
	MaxParticipants *int `json:"maxParticipants,omitempty"`
	// MaxWaiting: 1 to 500.
	MaxWaiting *int `json:"maxWaiting,omitempty"`
	// Passcode sets a new passcode (4 to 64 characters), or, when empty,
	// removes it. Only its salted hash is kept.
	Passcode *string `json:"passcode,omitempty"`
	// Format replaces the meeting format (null removes it).
	Format FormatChange `json:"format,omitzero"`
	// ContributionsURL sets the contributions link ("" removes it).
	ContributionsURL *string `json:"contributionsUrl,omitempty"`
	// AttendanceProof and PublicLabel (at most 120 characters; "" for the
	// room's name): operators' settings, not sent by facilitators' clients.
	AttendanceProof *bool   `json:"attendanceProof,omitempty"`
	PublicLabel     *string `json:"publicLabel,omitempty"`
	// FirstNamesOnly turns the first-names-only policy on or off (it
	// applies to names given from then on).
	FirstNamesOnly *bool `json:"firstNamesOnly,omitempty"`
	// MembersCanShareScreen allows or stops members' screen sharing;
	// turning it off stops the members who share.
	MembersCanShareScreen *bool `json:"membersCanShareScreen,omitempty"`
}

// onSettings applies c.Settings, all of it or, when a value is out of
// range, none. A facilitator's change lasts for the running meeting only:
// the room's definition (what the next meeting starts with) is the
// operators' (Service.UpdateRoom).
func (s *State) onSettings(_, _ *Participant, c ModCommand, _ int64) ([]Event, error) {
	if c.Settings == nil {
		return nil, badCommand("settings missing")
	}
	next, err := applySettings(s.Settings, *c.Settings)
	if err != nil {
		return nil, err
	}
	return append(s.setRoom(func() { s.Settings = next; s.clampSegment() }), s.settingsChanged()...), nil
}

// settingsChanged applies what follows from the settings just set: the
// members who share their screen stop when members may no longer share.
func (s *State) settingsChanged() []Event {
	if s.Settings.MembersCanShareScreen {
		return nil
	}
	return s.stopMembersScreens()
}

// applySettings returns cur changed by u, or an error naming a value out
// of range.
func applySettings(cur Settings, u SettingsUpdate) (Settings, error) {
	next := cur
	applySwitches(&next, u)
	for _, step := range []func(*Settings, SettingsUpdate) error{applyTexts, applyLimits, applyFormat, applyPasscode} {
		if err := step(&next, u); err != nil {
			return cur, err
		}
	}
	return next, nil
}

// applySwitches sets the on/off settings u names.
func applySwitches(next *Settings, u SettingsUpdate) {
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&next.WaitingRoom, u.WaitingRoom)
	set(&next.MuteOnEntry, u.MuteOnEntry)
	set(&next.SelfRename, u.SelfRename)
	set(&next.PrivateChat, u.PrivateChat)
	set(&next.AutoMute, u.AutoMute)
	set(&next.AttendanceProof, u.AttendanceProof)
	set(&next.MembersCanShareScreen, u.MembersCanShareScreen)
	set(&next.FirstNamesOnly, u.FirstNamesOnly)
}

// applyTexts sets the mode, the public label, the guidelines and the
// contributions link u names, each checked.
func applyTexts(next *Settings, u SettingsUpdate) error {
	if u.Mode != nil {
		if !u.Mode.Valid() {
			return badCommand(`mode must be "open" or "moderated"`)
		}
		next.Mode = *u.Mode
	}
	if u.PublicLabel != nil {
		l := strings.TrimSpace(*u.PublicLabel)
		if !utf8.ValidString(l) || utf8.RuneCountInString(l) > MaxLabelLen || !plainText(l) {
			return badCommand("a public label is at most 120 characters, without control characters")
		}
		next.PublicLabel = l
	}
	if u.Guidelines != nil {
		g := strings.TrimSpace(*u.Guidelines)
		if !utf8.ValidString(g) || utf8.RuneCountInString(g) > 2000 {
			return badCommand("guidelines are at most 2000 characters")
		}
		next.Guidelines = g
	}
	if u.ContributionsURL != nil {
		link, err := CleanContributionsURL(*u.ContributionsURL)
		if err != nil {
			return err
		}
		next.ContributionsURL = link
	}
	return nil
}

// applyLimits sets the numbers u names, each within its range.
func applyLimits(next *Settings, u SettingsUpdate) error {
	for _, l := range []struct {
		dst    *int
		v      *int
		lo, hi int
		msg    string
	}{
		{&next.MaxParticipants, u.MaxParticipants, MinMaxParticipants, MaxMaxParticipants, "a meeting holds 2 to 1000 people"},
		{&next.MaxWaiting, u.MaxWaiting, MinMaxWaiting, MaxMaxWaiting, "a waiting room holds 1 to 500 people"},
		{&next.ShareSeconds, u.ShareSeconds, 10, 3600, "a share lasts 10 to 3600 seconds"},
	} {
		if l.v == nil {
			continue
		}
		if *l.v < l.lo || *l.v > l.hi {
			return badCommand(l.msg)
		}
		*l.dst = *l.v
	}
	return nil
}

// applyFormat sets or removes the meeting format u names, checked.
func applyFormat(next *Settings, u SettingsUpdate) error {
	if !u.Format.Set {
		return nil
	}
	next.Format = nil
	if u.Format.Format != nil {
		f, err := u.Format.Format.Clean()
		if err != nil {
			return err
		}
		next.Format = &f
	}
	return nil
}

// applyPasscode sets (hashed) or removes ("") the passcode u names.
func applyPasscode(next *Settings, u SettingsUpdate) error {
	if u.Passcode == nil {
		return nil
	}
	next.PasscodeHash = ""
	if *u.Passcode != "" {
		h, err := HashPasscode(*u.Passcode)
		if err != nil {
			return err
		}
		next.PasscodeHash = h
	}
	return nil
}

// Apply returns s changed by u, or an ErrBadCommand naming a value out of
// range (s is unchanged then). A passcode in u is hashed.
func (s Settings) Apply(u SettingsUpdate) (Settings, error) { return applySettings(s, u) }
