package room

import (
	"errors"
	"fmt"
)

// Errors returned by room commands. Callers map them to wire errors
// (signaling/wire.go); errors.Is tells them apart, and the error text is
// fit to show to the person who sent the command.
var (
	// ErrNotFound: the room does not exist.
	ErrNotFound = errors.New("room not found")
	// ErrExists: a room with this id already exists.
	ErrExists = errors.New("room already exists")
	// ErrBadName: the display name is empty, too long or has control characters.
	ErrBadName = errors.New("display name must be 1 to 40 characters without control characters")
	// ErrNotFirstName: the room takes first names only (Settings.
	// FirstNamesOnly) and the name is not one word of at most
	// MaxFirstNameLen characters.
	ErrNotFirstName = errors.New("this meeting uses first names only: please use one word of at most 20 characters, " +
		"such as your first name or a nickname")
	// ErrForbidden: the facilitator key is wrong.
	ErrForbidden = errors.New("credential not accepted")
	// ErrUnknownIdentity: the identity token belongs to no participant of
	// the running meeting.
	ErrUnknownIdentity = errors.New("identity not known in this meeting")
	// ErrNotPresent: the participant is not in the meeting (or the command
	// came from a connection that was replaced).
	ErrNotPresent = errors.New("you are not in the meeting")
	// ErrNotAllowed: the actor's role or the room's rules forbid the command.
	ErrNotAllowed = errors.New("not allowed")
	// ErrLocked: the room is locked and admits only facilitators.
	ErrLocked = errors.New("this room is locked; only facilitators can come in")
	// ErrRemoved: the participant was removed from this meeting.
	ErrRemoved = errors.New("you were removed from this meeting")
	// ErrDenied: a facilitator did not admit the participant.
	ErrDenied = errors.New("the facilitator did not admit you to this meeting")
	// ErrFull: the meeting has as many participants as it may hold.
	ErrFull = errors.New("this meeting is full")
	// ErrWaitingRoomFull: the waiting room holds as many people as it may.
	ErrWaitingRoomFull = errors.New("the waiting room is full; please try again later")
	// ErrChatClosed: chat is closed for members.
	ErrChatClosed = errors.New("chat is closed")
	// ErrKeyRequired: the identity is a facilitator's, and the join did
	// not bring the facilitator key. It is an ErrForbidden.
	ErrKeyRequired = fmt.Errorf("%w: this identity belongs to a facilitator of the meeting; "+
		"come back through your facilitator link", ErrForbidden)
	// ErrBadCommand: the command is malformed (unknown action, missing or
	// unknown target, value out of range).
	ErrBadCommand = errors.New("bad command")
)

func notAllowed(why string) error { return fmt.Errorf("%w: %s", ErrNotAllowed, why) }

func badCommand(why string) error { return fmt.Errorf("%w: %s", ErrBadCommand, why) }
