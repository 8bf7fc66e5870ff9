package meeting

import (
	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
)

// Seat is one session's place in a meeting, from Meetings.Enter to Leave.
// Its methods only queue work for the meeting's owner.
type Seat struct {
	// static after construction
	m       *Meeting
	deliver func(room.Event)

	// owned by the meeting's run loop
	member room.ParticipantID // zero until Joined; zero for a relay
	peer   *media.Peer
	speak  func([]room.ParticipantID) // see HearSpeakers
}

// Meeting is the meeting the seat is in.
func (s *Seat) Meeting() *Meeting { return s.m }

// Joined says that the session joined the room as participant self, in
// the room's state of sequence number seq (the join's snapshot). The
// meeting takes self as the participant's state unless it already knows a
// later one, so that their tracks are gated by it even if the join's event
// is slow to arrive.
func (s *Seat) Joined(self room.Participant, seq uint64) {
	s.m.do(func() {
		s.member = self.ID
		if _, known := s.m.people[self.ID]; !known || s.m.seq < seq {
			s.m.people[self.ID] = self
		}
		s.m.countMembers()
		s.m.changed()
	})
}

// Attach adds the session's peer to the meeting: it is subscribed to the
// room's tracks that are for it, and the tracks it publishes (passed to
// Meeting.Publish) are gated by the participant's state and forwarded to
// the others.
func (s *Seat) Attach(p *media.Peer) {
	s.m.do(func() {
		s.peer = p
		s.m.attach(p, s.member)
		if s.speak != nil && len(s.m.talking) > 0 {
			s.speak(s.m.talking)
		}
	})
}

// Leave gives the seat back: no more events, the peer leaves the room's
// media. lost, when not nil, is the participant's leave that the shared
// state did not take: the meeting tries it again until it does.
func (s *Seat) Leave(lost *room.Actor, explicit bool) {
	m := s.m
	m.do(func() {
		delete(m.seats, s)
		if s.peer != nil {
			m.detach(s.peer)
		}
		m.countMembers()
		m.changed()
		if lost != nil {
			// The meeting stays while the leave is pending (see retry).
			m.leaves = append(m.leaves, pendingLeave{actor: *lost, explicit: explicit})
		}
	})
	if lost == nil {
		m.ms.release(m)
	}
}

// sit adds a seat; run by the owner.
func (m *Meeting) sit(s *Seat) { m.seats[s] = struct{}{} }

// countMembers counts the participants with a session here.
func (m *Meeting) countMembers() {
	ids := map[room.ParticipantID]bool{}
	for s := range m.seats {
		if s.member != (room.ParticipantID{}) {
			ids[s.member] = true
		}
	}
	m.members.Store(int32(len(ids)))
}
