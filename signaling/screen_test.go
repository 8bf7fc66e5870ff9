package signaling_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// sendScreen writes a VP8 packet to track every 20 ms until ctx ends.
func sendScreen(ctx context.Context, track *webrtc.TrackLocalStaticRTP) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	payload := []byte{0x10, 0x00, 1, 2, 3, 4}
	for seq := uint16(1); ; seq++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_ = track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 1800,
			PayloadType: 96, Marker: true}, Payload: payload})
	}
}

// errorsWith counts the error messages with code the bot received.
func errorsWith(b *bot, code string) int {
	n := 0
	for _, m := range b.Messages() {
		var e protocol.Error
		if m.Type == protocol.TypeError && m.Decode(&e) == nil && e.Code == code {
			n++
		}
	}
	return n
}

// A member whose client publishes a screen track (its id starts with
// "screen") and keeps sending gets none of it to anyone, and its
// screen_share is refused with forbidden, until a facilitator lets
// members share; then it reaches the others, in a stream of its own.
// A malformed screen_share gets bad_request.
func TestMemberScreenForwardedOnlyWhenAllowed(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fac := newFacilitatorBot(t, ctx, srv)
	member, viewer := newBot(t, ctx, srv, "Member"), newBot(t, ctx, srv, "Viewer")
	screen, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000},
		media.ScreenTrackPrefix+"-1", "bot")
	if err != nil {
		t.Fatal(err)
	}
	if err := member.p.Publish(ctx, screen); err != nil {
		t.Fatal(err)
	}
	sendCtx, stop := context.WithCancel(ctx)
	defer stop()
	go sendScreen(sendCtx, screen)
	go member.send(sendCtx)
	screenOf := member.p.ID() + media.ScreenStreamSuffix
	waitFor(t, 15*time.Second, "the member's camera to reach the viewer", func() bool { return viewer.count(member.p.ID(), "video") > 10 })

	on, off := true, false
	if err := member.p.Conn.Send(ctx, protocol.ScreenShare{Type: protocol.TypeScreenShare, On: &on}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "screen_share to be refused with forbidden", func() bool { return errorsWith(member, protocol.CodeForbidden) == 1 })
	if err := member.p.Conn.SendRaw(ctx, []byte(`{"type":"screen_share","on":"yes"}`)); err != nil {
		t.Fatal(err)
	}
	if err := member.p.Conn.SendRaw(ctx, []byte(`{"type":"screen_share"}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "malformed screen_share to get bad_request", func() bool { return errorsWith(member, protocol.CodeBadRequest) == 2 })
	// A second of the member's stream (50 camera packets) reaches each.
	signalingtest.VideoGoesOn(t, member.p.ID(), 50, viewer.Bot, fac.Bot)
	for name, b := range map[string]*bot{"viewer": viewer, "facilitator": fac} {
		if n := b.count(screenOf, "video"); n != 0 {
			t.Fatalf("the %s received %d packets of a member's screen the room does not allow", name, n)
		}
	}

	allow := true
	if err := fac.p.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "settings",
		Settings: &protocol.Settings{MembersCanShareScreen: &allow}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the room to let members share", func() bool {
		st, err := srv.Rooms.Snapshot(ctx, srv.Room.ID)
		return err == nil && st.Settings.MembersCanShareScreen
	})
	if err := member.p.Conn.Send(ctx, protocol.ScreenShare{Type: protocol.TypeScreenShare, On: &on}); err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*bot{"viewer": viewer, "facilitator": fac} {
		waitFor(t, 10*time.Second, "the member's screen to reach the "+name, func() bool { return b.count(screenOf, "video") > 10 })
	}
	if n := errorsWith(member, protocol.CodeForbidden); n != 1 {
		t.Errorf("the member got %d forbidden errors, want 1 (the share before it was allowed)", n)
	}
	var sawScreen bool
	for _, m := range viewer.Messages() {
		sawScreen = sawScreen || (m.Type == protocol.TypeEvent && strings.Contains(string(m.Raw), `"screen":true`))
	}
	if !sawScreen {
		t.Error("no event told the viewer that the member shares their screen")
	}

	// Stopping: the screen stops at the server, the client's packets or not.
	seen := len(viewer.Messages())
	if err := member.p.Conn.Send(ctx, protocol.ScreenShare{Type: protocol.TypeScreenShare, On: &off}); err != nil {
		t.Fatal(err)
	}
	// The stop reaches the meeting (the viewer is told), and the packets
	// in flight arrive while the member's camera goes on; then, over 50
	// more camera packets (a second of the stream), no screen.
	waitFor(t, 10*time.Second, "an event telling the viewer the screen share stopped", func() bool {
		for _, m := range viewer.Messages()[seen:] {
			var ev protocol.Event
			if m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Participant != nil &&
				ev.Participant.ID == member.p.ID() && !ev.Participant.Screen {
				return true
			}
		}
		return false
	})
	before := signalingtest.Settled(t, 15*time.Second, "the stopped screen at the viewer",
		func() int64 { return viewer.count(screenOf, "video") }, func() int64 { return viewer.count(member.p.ID(), "video") }, 25)
	signalingtest.VideoGoesOn(t, member.p.ID(), 50, viewer.Bot)
	if n := viewer.count(screenOf, "video") - before; n != 0 {
		t.Errorf("the viewer received %d packets of a stopped screen share", n)
	}
}
