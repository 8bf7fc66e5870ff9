package signaling_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// awaitMessage waits until b has a message after the first from that
// match says is the one, and returns how many b has up to it.
func awaitMessage(t *testing.T, b *bot, from int, what string, match func(client.Message) bool) int {
	t.Helper()
	n := 0
	waitFor(t, 10*time.Second, what, func() bool {
		ms := b.Messages()
		for i := from; i < len(ms); i++ {
			if match(ms[i]) {
				n = i + 1
				return true
			}
		}
		return false
	})
	return n
}

// wireErr matches an error message with the code whose text holds want.
func wireErr(t *testing.T, code, want string) func(client.Message) bool {
	return func(m client.Message) bool {
		var e protocol.Error
		if m.Type != protocol.TypeError || m.Decode(&e) != nil || e.Code != code {
			return false
		}
		if !strings.Contains(e.Message, want) {
			t.Errorf("error %s says %q, want it to say %q", code, e.Message, want)
		}
		return true
	}
}

// roomAt matches a room event at segment i.
func roomAt(i int) func(client.Message) bool {
	return func(m client.Message) bool {
		var ev protocol.Event
		return m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Kind == "room" && ev.Room != nil &&
			ev.Room.Format != nil && ev.Room.Segment == i
	}
}

// TestSegmentOverTheWire runs a room with a format through the server
// with two pion participants: the facilitator moves through the segments
// with the segment message; the member's client is told each segment; in
// the facilitators-only segment the member's unmute, hand and chat are
// refused on the wire and the SFU forwards none of the member's audio,
// though the member keeps sending it; in the sharing segment the member
// raises a hand, is called on with the segment's share timer, unmutes and
// is heard again. Bad segment messages get bad_request, a member's
// not_allowed.
func TestSegmentOverTheWire(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	f := room.Format{Name: "Short", Segments: []room.Segment{
		{Title: "Welcome", Speaking: room.SpeakOpen, ChatOpen: true, Text: "Hello."},
		{Title: "Readings", Speaking: room.SpeakFacilitators, Text: "Please listen."},
		{Title: "Sharing", Speaking: room.SpeakCalledOn, ShareSeconds: 30, AutoMute: true},
	}}
	link := "https://example.org/give"
	if _, err := srv.Rooms.UpdateRoom(ctx, srv.Room.ID, room.RoomChange{Settings: &room.SettingsUpdate{
		Format: room.FormatChange{Set: true, Format: &f}, ContributionsURL: &link}}); err != nil {
		t.Fatal(err)
	}
	fac := newBotWith(t, ctx, srv, protocol.Join{Room: srv.Room.ID.String(), Name: "Fran", FacilitatorKey: srv.Room.FacilitatorKey})
	mem := newBot(t, ctx, srv, "Mia")
	if w := mem.p.Welcome.Room; w.Format == nil || len(w.Format.Segments) != 3 || w.Segment != 0 ||
		w.Format.Segments[1].Speaking != "facilitators" || w.ContributionsURL != link || !w.ChatOpen {
		t.Fatalf("welcome's room: %+v", w)
	}
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	go mem.send(sendCtx) // the member's microphone sends all along
	waitFor(t, 15*time.Second, "the member's audio to reach the facilitator", func() bool { return fac.count(mem.p.ID(), "audio") > 10 })

	raw := func(b *bot, s string) {
		t.Helper()
		if err := b.p.Conn.SendRaw(ctx, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	// Bad segment messages, and a member's.
	n := len(fac.Messages())
	raw(fac, `{"type":"segment","to":"sideways","id":1}`)
	n = awaitMessage(t, fac, n, "bad_request for sideways", wireErr(t, protocol.CodeBadRequest, `"next" or "previous"`))
	raw(fac, `{"type":"segment","to":2}`)
	n = awaitMessage(t, fac, n, "bad_request for a number", wireErr(t, protocol.CodeBadRequest, "malformed"))
	raw(fac, `{"type":"segment","to":"previous"}`)
	awaitMessage(t, fac, n, "bad_request at the first segment", wireErr(t, protocol.CodeBadRequest, "first segment"))
	m := len(mem.Messages())
	raw(mem, `{"type":"segment","to":"next"}`)
	awaitMessage(t, mem, m, "not_allowed for a member", wireErr(t, protocol.CodeNotAllowed, "only a facilitator"))

	// Readings: only facilitators speak.
	m = len(mem.Messages())
	raw(fac, `{"type":"segment","to":"next"}`)
	m = awaitMessage(t, mem, m, "the member told of the readings", roomAt(1))
	waitFor(t, 5*time.Second, "the SFU to drop the member's audio", func() bool { return srv.SFU.Stats().PacketsMuted.Load() > 0 })
	before := signalingtest.AudioSettled(t, mem.p.ID(), fac.Bot)[0] // the packets already in flight arrive
	raw(mem, `{"type":"set_self","muted":false}`)
	m = awaitMessage(t, mem, m, "the member's unmute refused", wireErr(t, protocol.CodeNotAllowed, `only facilitators speak during "Readings"`))
	raw(mem, `{"type":"raise_hand"}`)
	m = awaitMessage(t, mem, m, "the member's hand refused", wireErr(t, protocol.CodeNotAllowed, "Readings"))
	raw(mem, `{"type":"chat","text":"hi"}`)
	m = awaitMessage(t, mem, m, "the member's chat refused", wireErr(t, protocol.CodeChatClosed, "closed"))
	signalingtest.VideoGoesOn(t, mem.p.ID(), 75, fac.Bot) // 1.5 s of the stream
	if got := fac.countBytes(mem.p.ID(), "audio") - before; got != 0 {
		t.Errorf("the facilitator received %d bytes of the member's audio during the readings, want 0", got)
	}

	// Sharing: hand, called on with the segment's timer, unmute, heard.
	raw(fac, `{"type":"segment","to":"next"}`)
	m = awaitMessage(t, mem, m, "the member told of the sharing", roomAt(2))
	raw(mem, `{"type":"raise_hand"}`)
	waitFor(t, 5*time.Second, "the hand to go up", func() bool {
		st, err := srv.Rooms.Snapshot(ctx, srv.Room.ID)
		return err == nil && len(st.Hands) == 1
	})
	raw(fac, `{"type":"moderate","action":"next_speaker"}`)
	m = awaitMessage(t, mem, m, "the member called on with the share timer", func(msg client.Message) bool {
		var ev protocol.Event
		return msg.Type == protocol.TypeEvent && msg.Decode(&ev) == nil && ev.Room != nil && ev.Room.Speaker == mem.p.ID() &&
			ev.Room.Timer != nil && ev.Room.Timer.Seconds == 30 && ev.Room.Timer.AutoMute
	})
	before = fac.countBytes(mem.p.ID(), "audio")
	raw(mem, `{"type":"set_self","muted":false}`)
	waitFor(t, 5*time.Second, "the member heard while sharing", func() bool { return fac.countBytes(mem.p.ID(), "audio") > before })
	for _, msg := range mem.Messages()[m:] {
		if msg.Type == protocol.TypeError {
			t.Errorf("unexpected error: %s", msg.Raw)
		}
	}
}
