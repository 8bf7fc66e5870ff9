package room

import "slices"

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
	// EventHands: the hand queue changed (Hands).
	EventHands EventKind = "hands"
	// EventRoom: the room's state or settings changed (Info).
	EventRoom EventKind = "room"
	// EventChat: a chat message (Chat).
	EventChat EventKind = "chat"
	// EventChatDeleted: a facilitator deleted a message (MessageID).
	EventChatDeleted EventKind = "chat_deleted"
	// EventAskUnmute: a facilitator asks Participant to unmute.
	EventAskUnmute EventKind = "ask_unmute"
	// EventTimerWarning: SecondsLeft in Participant's share.
	EventTimerWarning EventKind = "timer_warning"
	// EventTimerEnded: Participant's share timer ran out.
	EventTimerEnded EventKind = "timer_ended"
	// EventRemoved: a facilitator removed Participant.
	EventRemoved EventKind = "removed"
	// EventDenied: a facilitator did not admit Participant.
	EventDenied EventKind = "denied"
	// EventLinkRotated: the room's links were replaced and Participant,
	// waiting with an old one, was sent away.
	EventLinkRotated EventKind = "link_rotated"
	// EventAttendanceConfirmed: a facilitator confirmed Participant's
	// attendance; seen only by them and the facilitators.
	EventAttendanceConfirmed EventKind = "attendance_confirmed"
	// EventReport: a participant reported someone or a chat message to
	// the facilitators (Report); only they see it.
	EventReport EventKind = "report"
	// EventReportDismissed: a facilitator dismissed the report ReportID.
	EventReportDismissed EventKind = "report_dismissed"
	// EventEnded: the meeting ended; its state is gone.
	EventEnded EventKind = "ended"
	// EventProbe is internal (no client sees it): a join brought the
	// identity of Participant, who is present; the session holding their
	// connection (Participant.Conn) is asked whether it is alive (Probe).
	EventProbe EventKind = "probe"
	// EventAlive is internal: Participant's connection answered Probe.
	EventAlive EventKind = "alive"
	// EventResync is delivered by a Store, not produced by a command: the
	// subscriber may have missed events (e.g. the backend reconnected) and
	// must reload the state with Get and continue from its Seq. Only Room
	// and Seq (the sequence number when detected) are set.
	EventResync EventKind = "resync"
)

// Event is one change in a room. Events of a room are numbered by Seq,
// consecutive from 1, and delivered to subscribers in that order. Which
// fields are set depends on Kind.
type Event struct {
	Room RoomID    `json:"room"`
	Seq  uint64    `json:"seq"`
	Kind EventKind `json:"kind"`
	// Participant is the participant's state after the change, or the
	// target of the event.
	Participant Participant     `json:"participant"`
	Hands       []ParticipantID `json:"hands"`
	Info        *Info           `json:"info,omitempty"`
	Chat        *ChatMessage    `json:"chat,omitempty"`
	MessageID   string          `json:"messageId,omitempty"`
	SecondsLeft int             `json:"secondsLeft,omitempty"`
	// Report (EventReport), ReportID (EventReportDismissed).
	Report   *Report `json:"report,omitempty"`
	ReportID string  `json:"reportId,omitempty"`
	// Probe is the id of a liveness probe (EventProbe, EventAlive).
	Probe string `json:"probe,omitempty"`
}

func (s *State) next(kind EventKind) Event {
	s.Seq++
	return Event{Room: s.ID, Seq: s.Seq, Kind: kind}
}

func (s *State) participantEvent(kind EventKind, p *Participant) Event {
	ev := s.next(kind)
	ev.Participant = *p
	return ev
}

// targetEvent is an event about a participant, who may be gone.
func (s *State) targetEvent(kind EventKind, id ParticipantID) Event {
	ev := s.next(kind)
	if p, ok := s.Participants[id]; ok {
		ev.Participant = *p
	} else {
		ev.Participant = Participant{ID: id}
	}
	return ev
}

func (s *State) handsEvent() Event {
	ev := s.next(EventHands)
	ev.Hands = slices.Clone(s.Hands)
	if ev.Hands == nil {
		ev.Hands = []ParticipantID{}
	}
	return ev
}

func (s *State) roomEvent() Event {
	ev := s.next(EventRoom)
	info := s.Info.clone()
	ev.Info = &info
	return ev
}

// VisibleTo reports whether the participant viewer may see the event.
// People in the waiting room are seen only by facilitators (and
// themselves) and see only the room, themselves and their conversation
// with the facilitators; private chat goes to its sender and recipients
// only; reports go to admitted facilitators only. The liveness probe's events (EventProbe, EventAlive) are seen by
// nobody.
func (e *Event) VisibleTo(viewer Participant) bool {
	if e.Kind == EventProbe || e.Kind == EventAlive {
		return false // internal: between sessions, never shown
	}
	self := e.Participant.ID == viewer.ID
	if viewer.Status != StatusAdmitted {
		switch e.Kind {
		case EventRoom, EventEnded, EventResync:
			return true
		case EventJoined, EventUpdated, EventLeft, EventRemoved, EventDenied, EventLinkRotated:
			return self
		case EventChat:
			return e.Chat.visibleTo(viewer)
		}
		return false
	}
	mod := viewer.Role.Moderates()
	switch e.Kind {
	case EventReport, EventReportDismissed:
		return mod
	case EventJoined, EventUpdated, EventLeft, EventRemoved:
		return self || mod || e.Participant.Status == StatusAdmitted
	case EventDenied, EventAskUnmute, EventLinkRotated, EventAttendanceConfirmed:
		return self || mod
	case EventChat:
		return e.Chat.visibleTo(viewer)
	}
	return true
}
