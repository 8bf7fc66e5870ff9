package room_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// chat sends text from name to to at t0, with run's checks.
func (c *cast) chat(t testing.TB, name string, to room.Audience, text string) ([]room.Event, error) {
	t.Helper()
	return c.chatAs(t, c.act(name), to, text)
}

func (c *cast) chatAs(t testing.TB, a room.Actor, to room.Audience, text string) ([]room.Event, error) {
	t.Helper()
	return run(t, c.s, func(s *room.State) ([]room.Event, error) { return s.SendChat(a, to, text, t0) })
}

// sent checks that evs is the one chat event of msg and returns msg.
func sent(t testing.TB, evs []room.Event, want room.ChatMessage) room.ChatMessage {
	t.Helper()
	if len(evs) != 1 || evs[0].Kind != room.EventChat || evs[0].Chat == nil {
		t.Fatalf("events = %v, want one chat", describe(evs))
	}
	if *evs[0].Chat != want {
		t.Errorf("message = %+v, want %+v", *evs[0].Chat, want)
	}
	if evs[0].Participant.ID != want.From {
		t.Errorf("chat event participant %v, want the sender %v", evs[0].Participant.ID, want.From)
	}
	return *evs[0].Chat
}

func TestSendChat(t *testing.T) {
	c := newCast(t)
	mia, fran := c.id("Mia"), c.id("Fran")
	next := 2 // m1 is the cast's
	msg := func(from string, to room.Audience, text string) room.ChatMessage {
		m := room.ChatMessage{ID: fmt.Sprintf("m%d", next), From: c.id(from), FromName: c.p(from).Name, To: to, Text: text, At: t0}
		next++
		return m
	}
	tests := []struct {
		name, from string
		to         room.Audience
		text       string
		// wantTo is the message's To; wantText its text.
		wantTo   room.Audience
		wantText string
	}{
		{"to the room", "Mia", room.ChatToRoom, "Thank you for sharing", room.ChatToRoom, "Thank you for sharing"},
		{"to the room by default", "Bob", "", "Hi all", room.ChatToRoom, "Hi all"},
		{"trimmed", "Bob", "", "  Hi all \n", room.ChatToRoom, "Hi all"},
		{"lines and tabs kept", "Bob", "", "one\ntwo\tthree", room.ChatToRoom, "one\ntwo\tthree"},
		{"500 characters", "Bob", "", strings.Repeat("ü", room.MaxChatLen), room.ChatToRoom, strings.Repeat("ü", room.MaxChatLen)},
		{"to the facilitators", "Mia", room.ChatToFacilitators, "Can I share next?", room.ChatToFacilitators, "Can I share next?"},
		{"member to a facilitator", "Mia", room.ChatToParticipant(fran), "I need to leave early", room.ChatToParticipant(fran), "I need to leave early"},
		{"member to a co-facilitator", "Mia", room.ChatToParticipant(c.id("Cora")), "Thanks", room.ChatToParticipant(c.id("Cora")), "Thanks"},
		{"facilitator to a member", "Fran", room.ChatToParticipant(mia), "Are you OK?", room.ChatToParticipant(mia), "Are you OK?"},
		{"co-facilitator to a member", "Cora", room.ChatToParticipant(mia), "Welcome", room.ChatToParticipant(mia), "Welcome"},
		{"id in capitals", "Fran", room.Audience(strings.ToUpper(mia.String())), "Hello", room.ChatToParticipant(mia), "Hello"},
		{"facilitators to the facilitators", "Cora", room.ChatToFacilitators, "Break at 8?", room.ChatToFacilitators, "Break at 8?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := msg(tt.from, tt.wantTo, tt.wantText)
			evs, err := c.chat(t, tt.from, tt.to, tt.text)
			if err != nil {
				t.Fatalf("SendChat: %v", err)
			}
			sent(t, evs, want)
			if last := c.s.Chat[len(c.s.Chat)-1]; last != want {
				t.Errorf("stored %+v, want %+v", last, want)
			}
			if c.s.NextChat != uint64(next-1) {
				t.Errorf("NextChat = %d, want %d", c.s.NextChat, next-1)
			}
		})
	}
}

func TestSendChatRefused(t *testing.T) {
	tests := []struct {
		name string
		prep func(t *testing.T, c *cast)
		// from sends unless actor is set.
		from    string
		actor   func(c *cast) room.Actor
		to      func(c *cast) room.Audience
		text    string
		wantErr error
	}{
		{name: "empty", from: "Mia", text: "", wantErr: room.ErrBadCommand},
		{name: "spaces only", from: "Mia", text: " \n\t ", wantErr: room.ErrBadCommand},
		{name: "501 characters", from: "Mia", text: strings.Repeat("a", room.MaxChatLen+1), wantErr: room.ErrBadCommand},
		{name: "501 two-byte characters", from: "Mia", text: strings.Repeat("é", room.MaxChatLen+1), wantErr: room.ErrBadCommand},
		{name: "NUL", from: "Mia", text: "hi\x00there", wantErr: room.ErrBadCommand},
		{name: "escape", from: "Mia", text: "\x1b[2Jhi", wantErr: room.ErrBadCommand},
		{name: "carriage return", from: "Mia", text: "hi\rthere", wantErr: room.ErrBadCommand},
		{name: "DEL", from: "Mia", text: "hi\x7f", wantErr: room.ErrBadCommand},
		{name: "C1 control", from: "Mia", text: "hi\u0085there", wantErr: room.ErrBadCommand},
		{name: "invalid UTF-8", from: "Mia", text: "hi\xff", wantErr: room.ErrBadCommand},
		{name: "bad text from a facilitator", from: "Fran", text: "", wantErr: room.ErrBadCommand},
		{name: "member to member, private chat off", from: "Mia", to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Bob")) }, text: "psst", wantErr: room.ErrNotAllowed},
		{name: "to themselves", from: "Mia", to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Mia")) }, text: "me", wantErr: room.ErrBadCommand},
		{name: "facilitator to themselves", from: "Fran", to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Fran")) }, text: "me", wantErr: room.ErrBadCommand},
		{name: "to an unknown id", from: "Fran", to: func(*cast) room.Audience { return room.ChatToParticipant(room.NewParticipantID()) }, text: "hi", wantErr: room.ErrBadCommand},
		{name: "to the zero id", from: "Fran", to: func(*cast) room.Audience { return room.ChatToParticipant(room.ParticipantID{}) }, text: "hi", wantErr: room.ErrBadCommand},
		{name: "to something that is not an id", from: "Fran", to: func(*cast) room.Audience { return "everyone" }, text: "hi", wantErr: room.ErrBadCommand},
		{name: "to a waiting person", from: "Mia", to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Will")) }, text: "hi", wantErr: room.ErrBadCommand},
		{name: "to someone who left", from: "Fran", to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Abe")) }, text: "hi", wantErr: room.ErrBadCommand},
		{name: "to someone removed", from: "Fran", prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActRemove, c, "Bob")) },
			to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Bob")) }, text: "hi", wantErr: room.ErrBadCommand},
		{name: "from a waiting person", from: "Will", text: "hello?", wantErr: room.ErrNotAllowed},
		{name: "from a waiting person to the facilitators", from: "Will", to: func(*cast) room.Audience { return room.ChatToFacilitators }, text: "let me in", wantErr: room.ErrNotAllowed},
		{name: "from a stale connection", actor: func(c *cast) room.Actor { return room.Actor{ID: c.id("Stan"), Conn: 1} }, text: "hi", wantErr: room.ErrNotPresent},
		{name: "from someone who left", from: "Abe", text: "hi", wantErr: room.ErrNotPresent},
		{name: "from a stranger", actor: func(*cast) room.Actor { return room.Actor{ID: room.NewParticipantID(), Conn: 1} }, text: "hi", wantErr: room.ErrNotPresent},
		{name: "member while chat is closed", from: "Mia", prep: closeChat, text: "hi", wantErr: room.ErrChatClosed},
		{name: "member to a facilitator while chat is closed", from: "Mia", prep: closeChat,
			to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Fran")) }, text: "hi", wantErr: room.ErrChatClosed},
		{name: "member to the facilitators while chat is closed", from: "Mia", prep: closeChat,
			to: func(*cast) room.Audience { return room.ChatToFacilitators }, text: "hi", wantErr: room.ErrChatClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCast(t)
			if tt.prep != nil {
				tt.prep(t, c)
			}
			var a room.Actor
			if tt.actor != nil {
				a = tt.actor(c)
			} else {
				a = c.act(tt.from)
			}
			to := room.ChatToRoom
			if tt.to != nil {
				to = tt.to(c)
			}
			before := c.s.Clone()
			evs, err := c.chatAs(t, a, to, tt.text)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			if evs != nil {
				t.Errorf("events = %v, want none", describe(evs))
			}
			assertUnchanged(t, before, c.s)
		})
	}
}

func closeChat(t *testing.T, c *cast) {
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActCloseChat})
}

func TestChatClosedAndReopened(t *testing.T) {
	c := newCast(t)
	closeChat(t, c)
	for _, name := range []string{"Fran", "Cora"} {
		wantEvents(t, ok(t)(c.chat(t, name, room.ChatToRoom, "Chat is closed for now")), "chat:"+name)
		wantEvents(t, ok(t)(c.chat(t, name, room.ChatToParticipant(c.id("Mia")), "Still there?")), "chat:"+name)
	}
	if _, err := c.chat(t, "Mia", room.ChatToRoom, "hi"); !errors.Is(err, room.ErrChatClosed) {
		t.Errorf("member: %v, want ErrChatClosed", err)
	}
	c.mustMod(t, "Cora", room.ModCommand{Action: room.ActOpenChat})
	wantEvents(t, ok(t)(c.chat(t, "Mia", room.ChatToRoom, "hi")), "chat:Mia")
}

func TestPrivateChatBetweenMembers(t *testing.T) {
	c := newCast(t)
	bob := room.ChatToParticipant(c.id("Bob"))
	if _, err := c.chat(t, "Mia", bob, "psst"); !errors.Is(err, room.ErrNotAllowed) {
		t.Fatalf("private chat off: %v, want ErrNotAllowed", err)
	}
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{PrivateChat: ptr(true)}})
	m := sent(t, ok(t)(c.chat(t, "Mia", bob, "psst")),
		room.ChatMessage{ID: "m2", From: c.id("Mia"), FromName: "Mia", To: bob, Text: "psst", At: t0})
	wantEvents(t, ok(t)(c.chat(t, "Bob", room.ChatToParticipant(c.id("Mia")), "yes?")), "chat:Bob")
	// A promoted member may write privately to anyone, whatever the setting.
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{PrivateChat: ptr(false)}})
	c.mustMod(t, "Fran", target(room.ActPromote, c, "Stan"))
	wantEvents(t, ok(t)(c.chat(t, "Stan", bob, "hello from your co-facilitator")), "chat:Stan")
	wantEvents(t, ok(t)(c.chat(t, "Bob", room.ChatToParticipant(c.id("Stan")), "hi Stan")), "chat:Bob")
	if _, err := c.chat(t, "Bob", room.ChatToParticipant(c.id("Mia")), "again?"); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("private chat turned off again: %v, want ErrNotAllowed", err)
	}
	// The message sent while allowed stays.
	if !slices.Contains(c.s.Chat, m) {
		t.Error("turning private chat off deleted a message")
	}
}

func TestChatKeptBounded(t *testing.T) {
	s := newDemoState()
	a := mustJoin(t, s, "A", "")
	total := room.MaxChatKept + 25
	for i := 1; i <= total; i++ {
		evs := mustRun(t, s, func(s *room.State) ([]room.Event, error) {
			return s.SendChat(act(s, a.Self.ID), room.ChatToRoom, fmt.Sprintf("message %d", i), t0+int64(i))
		})
		if got, want := evs[0].Chat.ID, fmt.Sprintf("m%d", i); got != want {
			t.Fatalf("message %d has id %q, want %q", i, got, want)
		}
		if len(s.Chat) > room.MaxChatKept {
			t.Fatalf("%d messages kept, want at most %d", len(s.Chat), room.MaxChatKept)
		}
	}
	if len(s.Chat) != room.MaxChatKept {
		t.Fatalf("%d messages kept, want %d", len(s.Chat), room.MaxChatKept)
	}
	// The newest are kept, oldest first.
	for i, m := range s.Chat {
		if want := fmt.Sprintf("message %d", total-room.MaxChatKept+1+i); m.Text != want {
			t.Fatalf("Chat[%d] = %q, want %q", i, m.Text, want)
		}
	}
	if got := s.VisibleChat(*s.Participants[a.Self.ID]); len(got) != room.MaxChatKept {
		t.Errorf("VisibleChat has %d messages", len(got))
	}
	// A message no longer kept cannot be deleted.
	f := mustJoin(t, s, "F", testKey)
	if _, err := mod(t, s, act(s, f.Self.ID), room.ModCommand{Action: room.ActDeleteChat, MessageID: "m1"}); !errors.Is(err, room.ErrBadCommand) {
		t.Errorf("delete a dropped message: %v, want ErrBadCommand", err)
	}
	wantEvents(t, mustMod(t, s, act(s, f.Self.ID), room.ModCommand{Action: room.ActDeleteChat, MessageID: fmt.Sprintf("m%d", total)}),
		fmt.Sprintf("chat_deleted:m%d", total))
	if len(s.Chat) != room.MaxChatKept-1 {
		t.Errorf("%d messages after delete", len(s.Chat))
	}
}

// chatScene is a cast in which every kind of message was sent:
//
//	m1 Mia → room (the cast's)
//	m2 Mia → facilitators
//	m3 Mia → Fran
//	m4 Fran → Bob
//	m5 Bob → Mia (private chat on)
//	m6 Cora → facilitators
//	m7 Cora → Stan
func chatScene(t *testing.T) *cast {
	t.Helper()
	c := newCast(t)
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{PrivateChat: ptr(true)}})
	for _, m := range []struct {
		from string
		to   room.Audience
	}{
		{"Mia", room.ChatToFacilitators},
		{"Mia", room.ChatToParticipant(c.id("Fran"))},
		{"Fran", room.ChatToParticipant(c.id("Bob"))},
		{"Bob", room.ChatToParticipant(c.id("Mia"))},
		{"Cora", room.ChatToFacilitators},
		{"Cora", room.ChatToParticipant(c.id("Stan"))},
	} {
		ok(t)(c.chat(t, m.from, m.to, "from "+m.from))
	}
	if len(c.s.Chat) != 7 {
		t.Fatalf("scene has %d messages", len(c.s.Chat))
	}
	return c
}

func chatIDs(ms []room.ChatMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestVisibleChat(t *testing.T) {
	tests := []struct {
		viewer string
		want   []string
	}{
		{"Fran", []string{"m1", "m2", "m3", "m4", "m6"}},
		{"Cora", []string{"m1", "m2", "m6", "m7"}},
		{"Mia", []string{"m1", "m2", "m3", "m5"}},
		{"Bob", []string{"m1", "m4", "m5"}},
		{"Stan", []string{"m1", "m7"}},
		{"Abe", []string{"m1"}}, // admitted, though away
		{"Will", []string{}},    // waiting
		{"Wendy", []string{}},   // waiting
	}
	c := chatScene(t)
	for _, tt := range tests {
		t.Run(tt.viewer, func(t *testing.T) {
			viewer := *c.p(tt.viewer)
			got := c.s.VisibleChat(viewer)
			if got == nil {
				t.Fatal("VisibleChat returned nil, want an empty list")
			}
			if ids := chatIDs(got); !slices.Equal(ids, tt.want) {
				t.Errorf("VisibleChat(%s) = %v, want %v", tt.viewer, ids, tt.want)
			}
			// The events said the same when the messages were sent.
			for _, m := range c.s.Chat {
				ev := room.Event{Kind: room.EventChat, Chat: &m, Participant: *c.s.Participants[m.From]}
				if vis := ev.VisibleTo(viewer); vis != slices.Contains(tt.want, m.ID) {
					t.Errorf("chat event %s visible to %s: %v", m.ID, tt.viewer, vis)
				}
			}
		})
	}

	t.Run("admitted later, sees the room's messages", func(t *testing.T) {
		c := chatScene(t)
		c.mustMod(t, "Fran", target(room.ActAdmit, c, "Will"))
		if ids := chatIDs(c.s.VisibleChat(*c.p("Will"))); !slices.Equal(ids, []string{"m1"}) {
			t.Errorf("VisibleChat(Will) = %v, want [m1]", ids)
		}
	})
	t.Run("promoted later, sees messages to the facilitators", func(t *testing.T) {
		c := chatScene(t)
		c.mustMod(t, "Fran", target(room.ActPromote, c, "Bob"))
		if ids := chatIDs(c.s.VisibleChat(*c.p("Bob"))); !slices.Equal(ids, []string{"m1", "m2", "m4", "m5", "m6"}) {
			t.Errorf("VisibleChat(Bob) = %v", ids)
		}
	})
	t.Run("deleted messages are gone for everyone", func(t *testing.T) {
		c := chatScene(t)
		wantEvents(t, c.mustMod(t, "Cora", room.ModCommand{Action: room.ActDeleteChat, MessageID: "m3"}), "chat_deleted:m3")
		for _, name := range []string{"Fran", "Mia"} {
			if slices.Contains(chatIDs(c.s.VisibleChat(*c.p(name))), "m3") {
				t.Errorf("%s still sees m3", name)
			}
		}
	})
	t.Run("ending the meeting deletes the chat", func(t *testing.T) {
		c := chatScene(t)
		viewer := *c.p("Fran")
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActEndMeeting})
		if got := c.s.VisibleChat(viewer); len(got) != 0 || len(c.s.Chat) != 0 {
			t.Errorf("chat after the end: %v", chatIDs(got))
		}
	})
}
