// Package meeting is the running meeting on one instance: for every room
// with people connected here, one goroutine (the meeting's owner) holds
// everything live about the room on this instance — the local peers and
// tracks and which track goes to whom, the forwarding gates derived from
// the room's events, the share-timer tick, the relays the room needs from
// other instances, and the delivery of the room's events to the local
// sessions. Everyone else talks to a meeting only by queueing work for its
// owner (see Meeting).
//
// Sessions (package signaling), the cluster (signaling/cluster) and the
// operators' API sit above this package; room and media below it.
package meeting

import (
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// Cluster is what a meeting's owner tells the other instances' machinery
// (package signaling/cluster).
type Cluster interface {
	// Instance is this instance's id.
	Instance() string
	// Hosting records that this instance has (on) or no longer has a
	// running meeting of the room, so that the room is cleaned up if the
	// instance dies. Hosting(id, true) is called as a meeting starts, from
	// the goroutine of the session about to join, and may wait briefly
	// for the registry; Hosting(id, false) is called from the owner's loop
	// and must not block.
	Hosting(id room.RoomID, on bool)
	// Relay says from which other instances the meeting needs the media
	// of their participants; none closes the meeting's relay links. It is
	// called from the owner's loop and must not block.
	Relay(m *Meeting, from []string)
}

// Params configures Meetings.
type Params struct {
	Rooms *room.Service
	Log   *zap.Logger
	// Cluster, when set, connects the meetings to the other instances
	// sharing their rooms; nil for a single instance.
	Cluster Cluster
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Meetings holds the running meetings of this instance, one per room
// with sessions here. It is safe for concurrent use.
type Meetings struct {
	// static after construction
	p        Params
	instance string

	mu   sync.Mutex // guards live and every Meeting's refs
	live map[room.RoomID]*Meeting

	// speakerChanges counts the sets of people talking sent to seats.
	speakerChanges atomic.Uint64
}

// New returns an empty set of meetings.
func New(p Params) *Meetings {
	if p.Now == nil {
		p.Now = time.Now
	}
	ms := &Meetings{p: p, live: map[room.RoomID]*Meeting{}}
	if p.Cluster != nil {
		ms.instance = p.Cluster.Instance()
	}
	return ms
}

// Instance is this instance's id, "" for a single instance.
func (ms *Meetings) Instance() string { return ms.instance }

// Enter gives a session a seat in the room's meeting, starting the
// meeting if it is not running here. deliver, when not nil, gets every
// later event of the room, in order, from the owner's goroutine: it must
// only queue. The session gives the seat back with Seat.Leave.
func (ms *Meetings) Enter(id room.RoomID, deliver func(room.Event)) *Seat {
	m := ms.acquire(id)
	m.start.Do(m.begin) // outside ms.mu: subscribing may wait for Redis
	s := &Seat{m: m, deliver: deliver}
	m.do(func() { m.sit(s) })
	return s
}

// acquire returns the room's running meeting, starting it, and counts
// one more user of it.
func (ms *Meetings) acquire(id room.RoomID) *Meeting {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m := ms.live[id]
	if m == nil {
		m = newMeeting(ms, id)
		ms.live[id] = m
	}
	m.refs++
	return m
}

// release counts one user less; the last one stops the meeting.
func (ms *Meetings) release(m *Meeting) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	if m.refs--; m.refs > 0 {
		return
	}
	if ms.live[m.id] == m {
		delete(ms.live, m.id)
	}
	close(m.quit)
}

// Counts returns how many rooms have participants connected here, and
// how many participants are connected here.
func (ms *Meetings) Counts() (rooms, participants int) {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	for _, m := range ms.live {
		if n := int(m.members.Load()); n > 0 {
			rooms++
			participants += n
		}
	}
	return rooms, participants
}

// Running reports whether the room has participants connected here.
func (ms *Meetings) Running(id room.RoomID) bool {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	m := ms.live[id]
	return m != nil && m.members.Load() > 0
}
