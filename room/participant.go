package room

import (
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

// MutedBy says who muted a participant.
type MutedBy string

// Who muted a participant.
const (
	MutedBySelf        MutedBy = "self"
	MutedByFacilitator MutedBy = "facilitator"
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
	Muted   bool    `json:"muted"`
	MutedBy MutedBy `json:"mutedBy,omitempty"`
	// Camera: the participant's camera is on (the server forwards video).
	Camera bool `json:"camera"`
	// Screen: the participant shares their screen (the server forwards
	// their screen track); see State.ShareScreen.
	Screen bool `json:"screen,omitempty"`
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
	// LinkGen is the generation of the member link a newcomer came
	// through; Invited: they came through an invite link instead. When
	// the room's links are rotated, people waiting with an older member
	// link are sent away (State.Rotate). Never sent to clients.
	LinkGen int  `json:"linkGen,omitempty"`
	Invited bool `json:"invited,omitempty"`
	// AdmittedAt is when the participant was first let into the running
	// meeting (Unix milliseconds), for their proof of attendance;
	// AttendanceConfirmed: a facilitator confirmed their attendance
	// (ActConfirmAttendance). Both go with the meeting; never sent to
	// clients as fields.
	AdmittedAt          int64 `json:"admittedAt,omitempty"`
	AttendanceConfirmed bool  `json:"attendanceConfirmed,omitempty"`
	// NewHere: they said at their join that they are new to the group.
	// Sent to facilitators only (the chair welcomes them).
	NewHere bool `json:"newHere,omitempty"`
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

// admittedActor is actor for commands that need the meeting itself:
// someone in the waiting room is refused, told (when what is set, e.g.
// "chat") that they can do it once let in.
func (s *State) admittedActor(a Actor, what string) (*Participant, error) {
	p, err := s.actor(a)
	if err == nil && p.Status != StatusAdmitted {
		if what == "" {
			return nil, notAllowed("you are still in the waiting room")
		}
		return nil, notAllowed("you are in the waiting room; you can " + what + " once a facilitator lets you in")
	}
	return p, err
}

// CleanName trims a display name and checks it: 1 to MaxNameLen
// characters, no control characters.
func CleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameLen {
		return "", ErrBadName
	}
	if !plainText(name) {
		return "", ErrBadName
	}
	return name, nil
}

// plainText reports whether s has no control and invisible format
// characters (such as U+202E, which reverses text): they have no place in
// a name others read.
func plainText(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return false
		}
	}
	return true
}
