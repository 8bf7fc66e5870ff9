package room

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Audience is whom a chat message is for: ChatToRoom, ChatToFacilitators,
// or one participant (ChatToParticipant). The wire's string converts to
// it as Audience(s); SendChat refuses one it does not know, and takes ""
// as ChatToRoom.
type Audience string

// Chat audiences besides one participant.
const (
	// ChatToRoom: every admitted participant.
	ChatToRoom Audience = "room"
	// ChatToFacilitators: facilitators and co-facilitators.
	ChatToFacilitators Audience = "facilitators"
)

// ChatToParticipant is the audience of a private message to id.
func ChatToParticipant(id ParticipantID) Audience { return Audience(id.String()) }

// Participant returns the participant a private message is for; ok is
// false when a is not one participant.
func (a Audience) Participant() (id ParticipantID, ok bool) {
	id, err := ParseParticipantID(string(a))
	return id, err == nil
}

// MaxChatLen is the longest chat message, in characters; MaxChatKept is
// how many messages of the running meeting are kept.
const (
	MaxChatLen  = 500
	MaxChatKept = 300
)

// ChatMessage is one message of the running meeting's chat. It lives only
// in the room's state, which ending the meeting clears.
type ChatMessage struct {
	ID       string        `json:"id"`
	From     ParticipantID `json:"from"`
	FromName string        `json:"fromName"`
	// To is ChatToRoom, ChatToFacilitators, or a participant id.
	To   Audience `json:"to"`
	Text string   `json:"text"`
	// At is in Unix milliseconds.
	At int64 `json:"at"`
}

// visibleTo reports whether viewer may read m. Someone in the waiting room
// reads only their conversation with the facilitators: the messages
// written to them and their own answers.
func (m *ChatMessage) visibleTo(viewer Participant) bool {
	if viewer.ID == m.From || ChatToParticipant(viewer.ID) == m.To {
		return true
	}
	if viewer.Status != StatusAdmitted {
		return false
	}
	switch m.To {
	case ChatToRoom:
		return true
	case ChatToFacilitators:
		return viewer.Role.Moderates()
	}
	return false
}

// VisibleChat returns the messages the viewer may see, oldest first. An
// admitted viewer sees the room's messages (also those written before they
// were let in), messages to the facilitators if they are one, and their
// private messages; someone waiting sees only their conversation with the
// facilitators.
func (s *State) VisibleChat(viewer Participant) []ChatMessage {
	out := []ChatMessage{}
	for i := range s.Chat {
		if s.Chat[i].visibleTo(viewer) {
			out = append(out, s.Chat[i])
		}
	}
	return out
}

// SendChat posts a message at time now (Unix milliseconds). Members may
// write while chat is open; privately only to facilitators, unless the
// room allows private messages between members. A facilitator may write
// privately to someone in the waiting room, who may then answer the
// facilitators (ChatToFacilitators, also while chat is closed) and
// nothing else: someone waiting who was not written to cannot chat at all.
func (s *State) SendChat(a Actor, to Audience, text string, now int64) ([]Event, error) {
	p, err := s.chatActor(a)
	if err != nil {
		return nil, err
	}
	text, err = cleanChat(text)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusAdmitted {
		if to != ChatToFacilitators {
			return nil, notAllowed("in the waiting room you can answer only the facilitators")
		}
	} else if !s.ChatOpen && !p.Role.Moderates() {
		return nil, ErrChatClosed
	}
	if to, err = s.audience(p, to); err != nil {
		return nil, err
	}
	s.NextChat++
	msg := ChatMessage{ID: "m" + strconv.FormatUint(s.NextChat, 10), From: p.ID, FromName: p.Name, To: to, Text: text, At: now}
	s.Chat = append(s.Chat, msg)
	if len(s.Chat) > MaxChatKept {
		s.Chat = append(s.Chat[:0:0], s.Chat[len(s.Chat)-MaxChatKept:]...)
	}
	ev := s.next(EventChat)
	ev.Chat = &msg
	ev.Participant = *p
	return []Event{ev}, nil
}

// chatActor is the sender of a chat message: an admitted participant, or
// someone waiting to whom a facilitator has written.
func (s *State) chatActor(a Actor) (*Participant, error) {
	p, err := s.actor(a)
	if err != nil || p.Status == StatusAdmitted || s.writtenTo(p.ID) {
		return p, err
	}
	return s.admittedActor(a, "chat")
}

// writtenTo reports whether a facilitator has written to id in the chat
// kept.
func (s *State) writtenTo(id ParticipantID) bool {
	to := ChatToParticipant(id)
	for i := range s.Chat {
		if s.Chat[i].To == to {
			if q := s.Participants[s.Chat[i].From]; q != nil && q.Role.Moderates() {
				return true
			}
		}
	}
	return false
}

// cleanChat trims a message's text and checks it.
func cleanChat(text string) (string, error) {
	text = strings.TrimSpace(text)
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxChatLen {
		return "", badCommand("a message must be 1 to 500 characters")
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return "", badCommand("a message may not contain control characters")
		}
	}
	return text, nil
}

// audience checks whom p writes to: the room, the facilitators, or one
// present participant (someone waiting only from a facilitator; between
// members only if the room allows it).
func (s *State) audience(p *Participant, to Audience) (Audience, error) {
	switch to {
	case "", ChatToRoom:
		return ChatToRoom, nil
	case ChatToFacilitators:
		return to, nil
	}
	id, ok := to.Participant()
	if !ok {
		return "", badCommand("no such participant")
	}
	q, ok := s.Participants[id]
	if !ok || !q.Present || id == p.ID {
		return "", badCommand("no such participant")
	}
	if q.Status != StatusAdmitted {
		if !p.Role.Moderates() {
			return "", badCommand("no such participant")
		}
		return ChatToParticipant(id), nil
	}
	if !p.Role.Moderates() && !q.Role.Moderates() && !s.Settings.PrivateChat {
		return "", notAllowed("private messages between members are turned off")
	}
	return ChatToParticipant(id), nil
}
