package signaling_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// presenceEvents counts the joined and left events about id a bot received.
func presenceEvents(b *signalingtest.Bot, id string) (joined, left int) {
	for _, m := range b.Messages() {
		var ev protocol.Event
		if m.Type != protocol.TypeEvent || m.Decode(&ev) != nil {
			continue
		}
		switch {
		case ev.Kind == "joined" && ev.Participant != nil && ev.Participant.ID == id:
			joined++
		case ev.Kind == "left" && ev.ParticipantID == id:
			left++
		}
	}
	return joined, left
}

// flowing waits until b receives more of kind from publisher than it had.
func flowing(t *testing.T, b *signalingtest.Bot, publisher, kind, what string) {
	t.Helper()
	before := b.Packets(publisher, kind)
	signalingtest.WaitFor(t, 10*time.Second, what, func() bool { return b.Packets(publisher, kind) > before+10 })
}

// A participant's connection is cut (a TCP proxy resets it: no close
// frame). Their session is held: media goes on while they are away, the
// other participant sees no leave and no join, and the client takes the
// session back over a new connection with its resume token, keeping its
// peer connections, hand and mute. An ICE restart asked for afterwards
// keeps the media flowing. Cut again for longer than the grace, they
// leave (not before the grace), and come back with their identity as a
// fresh join; a close frame from the client is a leave at once.
func TestResumeAfterDroppedConnection(t *testing.T) {
	// The first cut lasts a second, and the resume after it (a dial and
	// a join through the proxy) must end within the grace: 5 s leaves
	// room for a loaded machine (3 s left under 2 s).
	const grace = 5 * time.Second
	srv := signalingtest.StartResumable(t, grace)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cut := signalingtest.NewCutter(t, strings.TrimPrefix(srv.URL, "http://"))
	cutURL := "ws://" + cut.Addr + "/ws"
	join := protocol.Join{Room: srv.Room.ID.String(), Name: "Away"}
	away := signalingtest.NewBot(t, ctx, cutURL, join)
	other := signalingtest.NewBot(t, ctx, srv.WSURL, protocol.Join{Room: srv.Room.ID.String(), Name: "Other"})
	for _, b := range []*signalingtest.Bot{away, other} {
		go b.Send(ctx)
	}
	id := away.ID()
	if err := away.P.Conn.Send(ctx, protocol.RaiseHand{Type: protocol.TypeRaiseHand}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if err := away.P.SetSelf(ctx, &yes, nil); err != nil {
		t.Fatal(err)
	}
	flowing(t, other, id, "video", "the away participant's video")
	flowing(t, away, other.ID(), "audio", "the other's audio at the away participant")
	// The hand and the mute reach the room before the cut: the resume
	// below must keep them, not race them.
	pid := mustID(t, id)
	signalingtest.WaitFor(t, 10*time.Second, "the hand and the mute in the room", func() bool {
		st, err := srv.Rooms.Snapshot(ctx, srv.Room.ID)
		return err == nil && slices.Contains(st.Hands, pid) && st.Participants[pid] != nil && st.Participants[pid].Muted
	})

	// Cut for a second: media goes on; nobody sees a leave.
	cut.Cut()
	flowing(t, other, id, "video", "video from the away participant while their connection is cut")
	time.Sleep(time.Second)
	cut.Restore()
	w, err := away.P.Resume(ctx, cutURL, join)
	if err != nil {
		t.Fatalf("resume: %v", err)
	}
	if !w.Resumed || w.Self.ID != id || !w.Self.Muted || !slices.Contains(w.Hands, id) || w.Resume == "" {
		t.Fatalf("resume welcome: resumed %v, self %+v, hands %v; want the same participant, muted, hand up", w.Resumed, w.Self, w.Hands)
	}
	flowing(t, away, other.ID(), "video", "the other's video at the resumed participant")
	flowing(t, other, id, "video", "the resumed participant's video")
	if j, l := presenceEvents(other, id); j != 0 || l != 0 {
		t.Fatalf("the other saw %d joined and %d left events about the participant who resumed; want none", j, l)
	}
	if total, held := srv.Signaling.Resumes(); total != 1 || held != 0 {
		t.Errorf("resumes %d, held %d; want 1 and 0", total, held)
	}

	// The network changed: an ICE restart of both connections.
	restarts := srv.SFU.Stats().ICERestarts.Load()
	if err := away.P.RestartICE(ctx); err != nil {
		t.Fatalf("ICE restart: %v", err)
	}
	signalingtest.WaitFor(t, 10*time.Second, "two ICE restarts counted", func() bool {
		return srv.SFU.Stats().ICERestarts.Load() >= restarts+2
	})
	flowing(t, away, other.ID(), "video", "the other's video after the ICE restart")
	flowing(t, other, id, "video", "video after the ICE restart")

	// Cut for longer than the grace: a leave, but only once the grace is over.
	cut.Cut()
	cutAt := time.Now()
	signalingtest.WaitFor(t, grace+5*time.Second, "the leave after the grace", func() bool {
		_, l := presenceEvents(other, id)
		return l == 1
	})
	if took := time.Since(cutAt); took < grace {
		t.Fatalf("left %v after the cut, before the grace of %v", took, grace)
	}
	cut.Restore()
	w, err = away.P.Resume(ctx, cutURL, join)
	if err != nil {
		t.Fatalf("join after the grace: %v", err)
	}
	if w.Resumed || w.Self.ID != id || !slices.Contains(w.Hands, id) {
		t.Fatalf("join after the grace: resumed %v, self %s, hands %v; want a join as the same participant, hand kept", w.Resumed, w.Self.ID, w.Hands)
	}
	signalingtest.WaitFor(t, 5*time.Second, "the join after the grace", func() bool {
		j, _ := presenceEvents(other, id)
		return j == 1
	})

	// A close frame from the client is a leave at once: no session held.
	held := strings.Count(srv.Logs.String(), "session held for the resume grace")
	_ = away.P.Conn.Close()
	signalingtest.WaitFor(t, 10*time.Second, "the leave after a close frame", func() bool {
		_, l := presenceEvents(other, id)
		return l == 2
	})
	if n := strings.Count(srv.Logs.String(), "session held for the resume grace"); n != held {
		t.Errorf("a close frame from the client held the session for the grace")
	}
}
