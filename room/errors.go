package room

import "errors"

// Errors returned by room commands. Callers map them to wire errors.
var (
	// ErrNotFound: the room does not exist.
	ErrNotFound = errors.New("room not found")
	// ErrExists: a room with this id already exists.
	ErrExists = errors.New("room already exists")
	// ErrBadName: the display name is empty, too long or has control characters.
	ErrBadName = errors.New("display name must be 1 to 40 characters without control characters")
	// ErrForbidden: the facilitator key is wrong.
	ErrForbidden = errors.New("credential not accepted")
	// ErrUnknownIdentity: the identity token belongs to no participant of
	// the running meeting.
	ErrUnknownIdentity = errors.New("identity not known in this meeting")
	// ErrNotPresent: the participant is not in the meeting.
	ErrNotPresent = errors.New("participant is not in the meeting")
)
