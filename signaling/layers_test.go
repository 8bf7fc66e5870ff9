package signaling_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/protocol"
)

// A participant who shows a tile hidden, or asks for audio only, gets no
// video from it, and audio all the while; shown again (audio only off),
// the video comes back. The server answers audio_only with what holds,
// and bad sizes get bad_request while the session goes on.
func TestVideoSizesAndAudioOnly(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alice, bob := newBot(t, ctx, srv, "Alice"), newBot(t, ctx, srv, "Bob")
	sendCtx, stop := context.WithCancel(ctx)
	defer stop()
	go alice.send(sendCtx)
	a := alice.p.ID()
	flowing := func(kind string) bool {
		before := bob.count(a, kind)
		time.Sleep(500 * time.Millisecond)
		return bob.count(a, kind) > before
	}
	waitFor(t, 15*time.Second, "Bob to receive Alice's video", func() bool { return bob.count(a, "video") > 0 })
	sizes := func(w, h int) {
		m := protocol.VideoSizes{Type: protocol.TypeVideoSizes, Sizes: []protocol.VideoSize{}}
		if w >= 0 {
			m.Sizes = append(m.Sizes, protocol.VideoSize{Participant: a, Source: protocol.SourceCamera, Width: w, Height: h})
		}
		if err := bob.p.Conn.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, hidden := range []struct {
		name string
		w, h int
	}{{"absent from the list", -1, 0}, {"listed at 0x0", 0, 0}} {
		sizes(hidden.w, hidden.h)
		waitFor(t, 10*time.Second, "Alice's video to stop when "+hidden.name, func() bool { return !flowing("video") })
		// One half second without a packet is a loaded machine as often
		// as a stopped stream: wait for audio to arrive.
		waitFor(t, 10*time.Second, "audio still flowing with the video hidden ("+hidden.name+")", func() bool { return flowing("audio") })
		sizes(320, 180)
		waitFor(t, 10*time.Second, "Alice's video back when shown", func() bool { return flowing("video") })
	}

	answers := func() []bool {
		var on []bool
		for _, m := range bob.Messages() {
			if m.Type == protocol.TypeAudioOnly {
				var ao protocol.AudioOnly
				if err := m.Decode(&ao); err != nil || ao.On == nil {
					t.Fatalf("audio_only answer %s: %v", m.Raw, err)
				}
				on = append(on, *ao.On)
			}
		}
		return on
	}
	for _, on := range []bool{true, false} {
		if err := bob.p.Conn.Send(ctx, protocol.AudioOnly{Type: protocol.TypeAudioOnly, On: &on}); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, fmt.Sprintf("video flowing = %v with audio only %v", !on, on), func() bool { return flowing("video") != on })
		waitFor(t, 10*time.Second, fmt.Sprintf("audio still flowing with audio only %v", on), func() bool { return flowing("audio") })
	}
	waitFor(t, 5*time.Second, "both audio_only answers", func() bool { return slices.Equal(answers(), []bool{true, false}) })

	for _, bad := range []string{
		`{"type":"video_sizes","sizes":[{"participant":"nobody","source":"camera","width":1,"height":1}]}`,
		`{"type":"video_sizes","sizes":[{"participant":"` + a + `","source":"window","width":1,"height":1}]}`,
		`{"type":"video_sizes","sizes":[{"participant":"` + a + `","source":"camera","width":-1,"height":1}]}`,
		`{"type":"video_sizes","sizes":"big"}`,
		`{"type":"audio_only"}`,
		`{"type":"audio_only","on":"yes"}`,
	} {
		before := len(bob.Messages())
		if err := bob.p.Conn.SendRaw(ctx, []byte(bad)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 5*time.Second, "bad_request for "+bad, func() bool {
			for _, m := range bob.Messages()[before:] {
				var e protocol.Error
				if m.Type == protocol.TypeError && m.Decode(&e) == nil && e.Code == protocol.CodeBadRequest {
					return true
				}
			}
			return false
		})
	}
	for _, kind := range []string{"video", "audio"} {
		waitFor(t, 10*time.Second, kind+" still flowing after bad input", func() bool { return flowing(kind) })
	}
}
