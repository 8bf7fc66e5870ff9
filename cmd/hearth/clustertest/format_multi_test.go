package clustertest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// patchRoomOn sends PATCH /api/rooms/{id} with body to an instance.
func patchRoomOn(t *testing.T, in *proctest.Instance, id, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, in.HTTP()+"/api/rooms/"+id, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("PATCH room: HTTP %d", resp.StatusCode)
	}
}

// awaitSeen waits until b has received a message that match accepts.
func awaitSeen(t *testing.T, b *signalingtest.Bot, what string, match func(client.Message) bool) {
	t.Helper()
	signalingtest.WaitFor(t, 10*time.Second, what, func() bool {
		for _, m := range b.Messages() {
			if match(m) {
				return true
			}
		}
		return false
	})
}

// mutedEvent matches an event that says participant id is muted.
func mutedEvent(id string) func(client.Message) bool {
	return func(m client.Message) bool {
		var ev protocol.Event
		return m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Participant != nil && ev.Participant.ID == id && ev.Participant.Muted
	}
}

// roomEvent matches a room event whose room ok accepts.
func roomEvent(ok func(*protocol.RoomInfo) bool) func(client.Message) bool {
	return func(m client.Message) bool {
		var ev protocol.Event
		return m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Kind == "room" && ev.Room != nil && ok(ev.Room)
	}
}

// roomEventAt matches a room event at segment i.
func roomEventAt(i int) func(client.Message) bool {
	return func(m client.Message) bool {
		var ev protocol.Event
		return m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Room != nil && ev.Room.Format != nil && ev.Room.Segment == i
	}
}

// errorSaying matches an error with the code whose message holds text.
func errorSaying(code, text string) func(client.Message) bool {
	return func(m client.Message) bool {
		var e protocol.Error
		return m.Type == protocol.TypeError && m.Decode(&e) == nil && e.Code == code && strings.Contains(e.Message, text)
	}
}

// The segment is room state shared through Redis: the format set through
// instance 2's API, the facilitator on instance 1 moves the meeting, and
// the member on instance 2 is told, is refused unmuting in the
// facilitators-only segment by instance 2, and is not heard on instance 1
// (their client keeps sending); in the sharing segment they raise a hand
// on instance 2, are called on from instance 1 with the segment's timer,
// unmute and are heard on instance 1 through the relay.
func TestMultiInstanceSegment(t *testing.T) {
	ins := proctest.Cluster(t, 2)
	in1, in2 := ins[0], ins[1]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	created, key := proctest.CreateRoom(t, in1, "Shared group")
	patchRoomOn(t, in2, created.ID, `{"settings":{"waitingRoom":false,"muteOnEntry":false,"format":{"segments":[
		{"title":"Arrival","speaking":"open","chatOpen":true},
		{"title":"Readings","speaking":"facilitators"},
		{"title":"Sharing","speaking":"called_on","shareSeconds":60,"autoMute":true}]}}}`)

	fac := signalingtest.NewBot(t, ctx, in1.WS(), protocol.Join{Room: created.ID, Name: "Facil", FacilitatorKey: key})
	mem := signalingtest.NewBot(t, ctx, in2.WS(), proctest.MemberJoin(created.MemberLink, "Mia"))
	if w := mem.P.Welcome.Room; w.Format == nil || len(w.Format.Segments) != 3 || w.Segment != 0 {
		t.Fatalf("the member's welcome on instance 2: %+v", w)
	}
	sendCtx, stop := context.WithCancel(ctx)
	defer stop()
	go mem.Send(sendCtx)
	signalingtest.WaitFor(t, 20*time.Second, "the member's audio on instance 1", func() bool { return fac.Bytes(mem.ID(), "audio") > 0 })

	send := func(b *signalingtest.Bot, v any) {
		t.Helper()
		if err := b.P.Conn.Send(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	next := protocol.Segment{Type: protocol.TypeSegment, To: protocol.SegmentNext}
	unmute, no := false, false
	send(fac, next)
	awaitSeen(t, mem, "the member on instance 2 told of the readings", roomEventAt(1))
	awaitSeen(t, mem, "the member muted", mutedEvent(mem.ID()))
	before := signalingtest.AudioSettled(t, mem.ID(), fac)[0] // the packets in flight arrive
	if err := mem.P.SetSelf(ctx, &unmute, nil); err != nil {
		t.Fatal(err)
	}
	awaitSeen(t, mem, "the unmute refused on instance 2", errorSaying(protocol.CodeNotAllowed, `only facilitators speak during "Readings"`))
	signalingtest.VideoGoesOn(t, mem.ID(), 75, fac) // 1.5 s of the member's stream, through the relay
	if got := fac.Bytes(mem.ID(), "audio") - before; got != 0 {
		t.Errorf("instance 1 forwarded %d bytes of the member's audio during the readings, want 0", got)
	}

	send(fac, next)
	awaitSeen(t, mem, "the member told of the sharing", roomEventAt(2))
	send(mem, protocol.RaiseHand{Type: protocol.TypeRaiseHand})
	awaitSeen(t, fac, "the hand seen on instance 1", func(m client.Message) bool {
		var ev protocol.Event
		return m.Decode(&ev) == nil && ev.Kind == "hands" && len(ev.Hands) == 1 && ev.Hands[0] == mem.ID()
	})
	send(fac, protocol.Moderate{Type: protocol.TypeModerate, Action: "next_speaker"})
	awaitSeen(t, mem, "the member called on with the segment's timer", func(m client.Message) bool {
		var ev protocol.Event
		return m.Decode(&ev) == nil && ev.Room != nil && ev.Room.Speaker == mem.ID() && ev.Room.Timer != nil &&
			ev.Room.Timer.Seconds == 60 && ev.Room.Timer.AutoMute
	})
	before = fac.Bytes(mem.ID(), "audio")
	if err := mem.P.SetSelf(ctx, &no, nil); err != nil {
		t.Fatal(err)
	}
	signalingtest.WaitFor(t, 10*time.Second, "the member heard on instance 1 while sharing", func() bool {
		return fac.Bytes(mem.ID(), "audio") > before
	})
}
