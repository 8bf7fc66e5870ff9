package signaling_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// speakerTrace is what one participant's client was told, in order: the
// speakers messages, whether each came after the event muting the talker,
// and whether that event came.
type speakerTrace struct {
	sets      [][]string
	afterMute []bool
	muted     bool
}

// trace reads b's messages so far.
func trace(t *testing.T, b *bot, talker string) speakerTrace {
	t.Helper()
	var tr speakerTrace
	for _, m := range b.Messages() {
		switch m.Type {
		case protocol.TypeSpeakers:
			var s protocol.Speakers
			if err := m.Decode(&s); err != nil {
				t.Fatal(err)
			}
			if s.Talking == nil {
				t.Errorf("speakers message %s: talking is null, want a list", m.Raw)
			}
			tr.sets = append(tr.sets, s.Talking)
			tr.afterMute = append(tr.afterMute, tr.muted)
		case protocol.TypeEvent:
			var ev protocol.Event
			if err := m.Decode(&ev); err != nil {
				t.Fatal(err)
			}
			if ev.Participant != nil && ev.Participant.ID == talker && ev.Participant.Muted {
				tr.muted = true
			}
		}
	}
	return tr
}

func (tr speakerTrace) last() []string {
	if len(tr.sets) == 0 {
		return nil
	}
	return tr.sets[len(tr.sets)-1]
}

// Pion participants publish audio with the audio level extension: one
// loud after a moment of silence, one very quiet. Every participant (the
// talker too) is told the loud one is talking, never the quiet one; only
// changes are sent. Muted by the facilitator, the talker (whose client
// ignores it and keeps sending loud audio) leaves the set, and no
// speakers message after the mute event names them.
func TestSpeakersFromAudioLevels(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	fac := newFacilitatorBot(t, ctx, srv)
	talker, quiet, listener := newBot(t, ctx, srv, "Talker"), newBot(t, ctx, srv, "Quiet"), newBot(t, ctx, srv, "Listener")
	everyone := []*bot{fac, talker, quiet, listener}
	sendCtx, stop := context.WithCancel(ctx)
	defer stop()
	for _, b := range everyone {
		b.SetLevel(127) // silence
		go b.send(sendCtx)
	}
	waitFor(t, 15*time.Second, "audio from the talker", func() bool { return listener.count(talker.ID(), "audio") > 0 })
	time.Sleep(500 * time.Millisecond) // a background of silence
	talker.SetLevel(20)                // -20 dBov: a voice
	quiet.SetLevel(75)                 // -75 dBov: a far-away murmur
	start := time.Now()
	want := []string{talker.ID()}
	for _, b := range everyone {
		waitFor(t, 5*time.Second, "the talker reported talking", func() bool { return slices.Equal(trace(t, b, talker.ID()).last(), want) })
	}
	t.Logf("every client told the talker talks %v after they started", time.Since(start).Round(10*time.Millisecond))
	time.Sleep(time.Second) // talking on: nothing new to say

	if err := fac.p.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActMute), Target: talker.ID()}); err != nil {
		t.Fatal(err)
	}
	for _, b := range everyone {
		waitFor(t, 5*time.Second, "the muted talker taken out", func() bool {
			tr := trace(t, b, talker.ID())
			return tr.muted && len(tr.last()) == 0
		})
	}
	time.Sleep(1500 * time.Millisecond) // the talker's client still sends loud audio
	for i, b := range everyone {
		tr := trace(t, b, talker.ID())
		for j, set := range tr.sets {
			if slices.Contains(set, quiet.ID()) {
				t.Errorf("client %d was told the quiet participant talks: %v", i, set)
			}
			if tr.afterMute[j] && slices.Contains(set, talker.ID()) {
				t.Errorf("client %d was told the talker talks after they were muted: %v", i, tr.sets)
			}
			if j > 0 && slices.Equal(set, tr.sets[j-1]) {
				t.Errorf("client %d was sent the same set twice in a row: %v", i, tr.sets)
			}
		}
		if len(tr.sets) > 4 {
			t.Errorf("client %d got %d speakers messages for one talker starting and being muted: %v", i, len(tr.sets), tr.sets)
		}
	}
	if n := srv.Signaling.SpeakerChanges(); n < 2 {
		t.Errorf("SpeakerChanges() = %d, want at least 2", n)
	}
}
