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

func (m *ChatMessage) visibleTo(viewer Participant) bool {
	switch m.To {
	case ChatToRoom:
		return true
	case ChatToFacilitators:
		return viewer.Role.Moderates() || viewer.ID == m.From
	}
	return viewer.ID == m.From || ChatToParticipant(viewer.ID) == m.To
}

// VisibleChat returns the messages the viewer may see, oldest first.
func (s *State) VisibleChat(viewer Participant) []ChatMessage {
	out := []ChatMessage{}
	if viewer.Status != StatusAdmitted {
		return out
	}
	for i := range s.Chat {
		if s.Chat[i].visibleTo(viewer) {
			out = append(out, s.Chat[i])
		}
	}
	return out
}

// SendChat posts a message at time now (Unix milliseconds). Members may
// write while chat is open; privately only to facilitators, unless the
// room allows private messages between members.
func (s *State) SendChat(a Actor, to Audience, text string, now int64) ([]Event, error) {
	p, err := s.admittedActor(a, "chat")
	if err != nil {
		return nil, err
	}
	text = strings.TrimSpace(text)
	if text == "" || !utf8.ValidString(text) || utf8.RuneCountInString(text) > MaxChatLen {
		return nil, badCommand("a message must be 1 to 500 characters")
	}
	for _, r := range text {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return nil, badCommand("a message may not contain control characters")
		}
	}
	if !s.ChatOpen && !p.Role.Moderates() {
		return nil, ErrChatClosed
	}
	switch to {
	case "", ChatToRoom:
		to = ChatToRoom
	case ChatToFacilitators:
	default:
		id, ok := to.Participant()
		if !ok {
			return nil, badCommand("no such participant")
		}
		q, ok := s.Participants[id]
		if !ok || !q.Present || q.Status != StatusAdmitted || id == p.ID {
			return nil, badCommand("no such participant")
		}
		if !p.Role.Moderates() && !q.Role.Moderates() && !s.Settings.PrivateChat {
			return nil, notAllowed("private messages between members are turned off")
		}
		to = ChatToParticipant(id)
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
