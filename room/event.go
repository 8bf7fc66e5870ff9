package room

// EventKind says what changed.
type EventKind string

// The kinds of event.
const (
	// EventJoined: a participant is present (first join or comeback, or a
	// new connection replacing the previous one: Participant.Conn tells).
	EventJoined EventKind = "joined"
	// EventUpdated: a participant's state changed.
	EventUpdated EventKind = "updated"
	// EventLeft: a participant is no longer present.
	EventLeft EventKind = "left"
	// EventResync is delivered by a Store, not produced by a command: the
	// subscriber may have missed events (e.g. the backend reconnected) and
	// must reload the state with Get and continue from its Seq. Only Room
	// and Seq (the sequence number when detected) are set.
	EventResync EventKind = "resync"
)

// Event is one change in a room. Events of a room are numbered by Seq,
// consecutive from 1, and delivered to subscribers in that order.
type Event struct {
	Room RoomID    `json:"room"`
	Seq  uint64    `json:"seq"`
	Kind EventKind `json:"kind"`
	// Participant is the participant's state after the change.
	Participant Participant `json:"participant"`
}
