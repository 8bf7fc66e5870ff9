package signaling

import (
	"cmp"
	"slices"
	"time"

	"github.com/hearth-meet/hearth/room"
)

// coalesceInterval is how often, at most, a facilitator's session sends
// what it held back about the waiting room: a few updates a second, so
// that no visitor (who may join, leave and toggle a camera 50 times a
// second) can make a facilitator's page busy.
const coalesceInterval = 250 * time.Millisecond

// waitingBatch holds, for a session whose participant moderates, the
// events about people in the waiting room that are not yet sent: the
// latest per person, since each carries the person's whole record (or
// says they are gone). It is owned by the session's run loop; the loop
// sends what is held when its timer fires, and before any other message,
// so that the client sees events in sequence order, minus the ones that
// a later event about the same person replaced.
type waitingBatch struct {
	// static after construction
	interval time.Duration

	// owned by the run loop
	held   map[room.ParticipantID]room.Event
	last   time.Time // when held events were last sent
	merged int       // events replaced by a later one, never sent
}

func newWaitingBatch(interval time.Duration) waitingBatch {
	return waitingBatch{interval: interval, held: map[room.ParticipantID]room.Event{}}
}

// holds reports whether ev, which the viewer may see, is an event the
// batch takes: a join, update, leave or denial of someone (not the viewer)
// in the waiting room, seen by an admitted facilitator or co-facilitator.
func holds(ev room.Event, viewer room.Participant) bool {
	if viewer.Status != room.StatusAdmitted || !viewer.Role.Moderates() {
		return false
	}
	if ev.Participant.ID == viewer.ID || ev.Participant.Status != room.StatusWaiting {
		return false
	}
	switch ev.Kind {
	case room.EventJoined, room.EventUpdated, room.EventLeft, room.EventDenied, room.EventLinkRotated:
		return true
	}
	return false
}

// add takes an event at time now. When nothing is held and the last send
// was at least an interval ago, the event is not held: add returns
// sendNow and counts it as sent. Otherwise the event replaces any held
// one about the same person, and wait is how long until the held events
// are due.
func (b *waitingBatch) add(ev room.Event, now time.Time) (sendNow bool, wait time.Duration) {
	if len(b.held) == 0 && now.Sub(b.last) >= b.interval {
		b.last = now
		return true, 0
	}
	if _, ok := b.held[ev.Participant.ID]; ok {
		b.merged++
	}
	b.held[ev.Participant.ID] = ev
	return false, max(0, b.interval-now.Sub(b.last))
}

// take returns the held events in sequence order and empties the batch;
// now is when they are sent. It returns nil when nothing is held.
func (b *waitingBatch) take(now time.Time) []room.Event {
	if len(b.held) == 0 {
		return nil
	}
	out := make([]room.Event, 0, len(b.held))
	for _, ev := range b.held {
		out = append(out, ev)
	}
	clear(b.held)
	slices.SortFunc(out, func(x, y room.Event) int { return cmp.Compare(x.Seq, y.Seq) })
	b.last = now
	return out
}

// drop forgets what is held (a snapshot replaces it), counting it as merged.
func (b *waitingBatch) drop() {
	b.merged += len(b.held)
	clear(b.held)
}
