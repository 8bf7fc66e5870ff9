package roomtest

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// testChat checks that a room's chat is kept as the rules leave it,
// whatever a backend does to store it apart: messages appended one or
// many at a time through either store, the oldest dropped beyond
// room.MaxChatKept, the chat cleared, and a room created with a chat.
func testChat(t *testing.T, newStore func() room.Store) {
	a, b := newStore(), newStore()
	st := NewRoom(t, a, "Chatty group")
	want := []room.ChatMessage(nil)
	check := func(step string) {
		t.Helper()
		for i, s := range []room.Store{a, b} {
			if got := mustGet(t, s, st.ID).Chat; !slices.Equal(got, want) {
				t.Fatalf("%s, store %d: chat has %d messages %v..., want %d", step, i, len(got), head(got), len(want))
			}
		}
	}
	next := 0
	add := func(n int) func(*room.State) ([]room.Event, error) {
		var msgs []room.ChatMessage
		for range n {
			next++
			msgs = append(msgs, room.ChatMessage{ID: fmt.Sprintf("m%d", next), To: room.ChatToRoom, Text: fmt.Sprintf("message %d", next), At: int64(next)})
		}
		want = append(want, msgs...)
		want = want[max(0, len(want)-room.MaxChatKept):]
		return func(s *room.State) ([]room.Event, error) {
			s.Chat = append(s.Chat, msgs...)
			s.Chat = s.Chat[max(0, len(s.Chat)-room.MaxChatKept):]
			return nil, nil
		}
	}
	for _, n := range []int{1, 9, room.MaxChatKept, 1} {
		mustUpdate(t, a, st.ID, add(n))
		check(fmt.Sprintf("after %d more", n))
	}
	mustUpdate(t, b, st.ID, func(s *room.State) ([]room.Event, error) { return nil, nil })
	check("after an update without chat")
	mustUpdate(t, b, st.ID, add(3))
	check("after 3 more through the other store")
	mustUpdate(t, a, st.ID, add(1))
	check("after 1 more through the first store")

	want = nil
	mustUpdate(t, a, st.ID, func(s *room.State) ([]room.Event, error) {
		s.Chat = nil
		return nil, nil
	})
	check("after clearing")
	mustUpdate(t, a, st.ID, add(2))
	check("after clearing and two more")

	withChat := room.NewState(room.NewRoomID(), "Created with chat", "key")
	withChat.Chat = []room.ChatMessage{{ID: "m1", Text: "one"}, {ID: "m2", Text: "two"}}
	if err := a.Create(context.Background(), withChat); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if got := mustGet(t, b, withChat.ID).Chat; !slices.Equal(got, withChat.Chat) {
		t.Errorf("created with chat, got %v", got)
	}
}

func head(msgs []room.ChatMessage) []room.ChatMessage { return msgs[:min(len(msgs), 3)] }
