package signalingtest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// Bot is a pion participant for tests: it publishes synthetic Opus and VP8
// RTP (Send) and counts the packets and bytes it receives per publisher
// and kind.
type Bot struct {
	P     *client.Participant
	audio *webrtc.TrackLocalStaticRTP
	video *webrtc.TrackLocalStaticRTP

	// level is the audio level (RFC 6464, -dBov) Send puts on each audio
	// packet; -1 (the default) sends none.
	level atomic.Int32

	mu       sync.Mutex
	received map[string]*counter // "<publisher>/<kind>"
	messages []client.Message
}

type counter struct{ packets, bytes atomic.Int64 }

// NewBot joins wsURL with j, publishes an audio and a video track, and
// closes when the test ends.
func NewBot(t testing.TB, ctx context.Context, wsURL string, j protocol.Join) *Bot {
	t.Helper()
	b := &Bot{received: map[string]*counter{}}
	b.level.Store(-1)
	p, err := client.Join(ctx, wsURL, j, client.MediaParams{
		LoopbackOnly: true,
		OnTrack: func(publisher string, tr *webrtc.TrackRemote) {
			c := b.counter(publisher + "/" + tr.Kind().String())
			buf := make([]byte, 1500)
			for {
				k, _, err := tr.Read(buf)
				if err != nil {
					return
				}
				c.packets.Add(1)
				c.bytes.Add(int64(k))
			}
		},
		OnMessage: func(m client.Message) {
			b.mu.Lock()
			b.messages = append(b.messages, m)
			b.mu.Unlock()
		},
	})
	if err != nil {
		t.Fatalf("join %s: %v", j.Name, err)
	}
	t.Cleanup(p.Close)
	b.P = p
	b.audio, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "bot")
	b.video, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "bot")
	if err := p.Publish(ctx, b.audio, b.video); err != nil {
		t.Fatalf("publish %s: %v", j.Name, err)
	}
	return b
}

// ID is the bot's participant id.
func (b *Bot) ID() string { return b.P.ID() }

func (b *Bot) counter(key string) *counter {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.received[key] == nil {
		b.received[key] = &counter{}
	}
	return b.received[key]
}

// Packets is how many packets of kind ("audio" or "video") arrived from publisher.
func (b *Bot) Packets(publisher, kind string) int64 {
	return b.counter(publisher + "/" + kind).packets.Load()
}

// Bytes is how many bytes of kind arrived from publisher.
func (b *Bot) Bytes(publisher, kind string) int64 {
	return b.counter(publisher + "/" + kind).bytes.Load()
}

// Messages returns the non-SDP messages received so far.
func (b *Bot) Messages() []client.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]client.Message(nil), b.messages...)
}

// SetLevel sets the audio level (RFC 6464: 0 the loudest, 127 silence)
// that Send puts on the audio packets from now on; -1 puts none.
func (b *Bot) SetLevel(level int) { b.level.Store(int32(level)) }

// Send publishes 20 ms of audio and a video packet every 20 ms until ctx
// ends, whatever the server says (a client that ignores a mute).
func (b *Bot) Send(ctx context.Context) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	payload := make([]byte, 120)
	vp8 := make([]byte, 600)
	levelID := b.P.AudioLevelID()
	var seq uint16
	var ts uint32
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		seq++
		ts += 960
		audio := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, PayloadType: 111}, Payload: payload}
		if l := b.level.Load(); l >= 0 && levelID != 0 {
			_ = audio.SetExtension(levelID, []byte{byte(l)})
		}
		_ = b.audio.WriteRTP(audio)
		// A VP8 payload descriptor (S=1, partition 0); every 50th packet
		// is marked as a keyframe.
		vp8[0], vp8[1] = 0x10, 0x01
		if i%50 == 0 {
			vp8[1] = 0x00
		}
		_ = b.video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts * 90 / 48, PayloadType: 96, Marker: true}, Payload: vp8})
	}
}

// WaitFor polls cond every 20 ms until it holds or timeout passes.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Settled waits until count stops changing while progress, a count that
// goes on rising over the same path (the same publisher's video at the
// same receiver), rises by at least n, and returns count then. It is how
// a test knows that the packets of a stream the server stopped (a muted
// microphone, a stopped screen) that were already in flight have
// arrived: a pause of fixed length is outlasted by a loaded machine,
// while the other stream slows down with it. It fails the test if count
// is still changing after timeout.
func Settled(t testing.TB, timeout time.Duration, what string, count, progress func() int64, n int64) int64 {
	t.Helper()
	return settled(t, timeout, what, []func() int64{count}, []func() int64{progress}, n)[0]
}

// settled is Settled for several pairs of counts at once.
func settled(t testing.TB, timeout time.Duration, what string, counts, progress []func() int64, n int64) []int64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last, mark := make([]int64, len(counts)), make([]int64, len(counts))
	for i := range counts {
		last[i], mark[i] = counts[i](), progress[i]()
	}
	for {
		time.Sleep(20 * time.Millisecond)
		still := 0
		for i := range counts {
			if c := counts[i](); c != last[i] {
				last[i], mark[i] = c, progress[i]()
			} else if progress[i]()-mark[i] >= n {
				still++
			}
		}
		if still == len(counts) {
			return last
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s to stop (at %v, still changing or without %d more of the stream that goes on)",
				timeout, what, last, n)
		}
	}
}

// Rises waits until count rises by at least n from what it is now: the
// positive sign that a stream went on for a while (n packets of it),
// which a check that something else did not happen waits for instead of
// a pause of fixed length.
func Rises(t testing.TB, timeout time.Duration, what string, count func() int64, n int64) {
	t.Helper()
	from := count()
	WaitFor(t, timeout, what, func() bool { return count()-from >= n })
}

// AudioSettled waits until the audio from publisher stops arriving at
// each of bots while publisher's video goes on (Settled: 25 video
// packets, half a second of the stream, with no audio among them), and
// returns the bytes of audio each received from publisher. A test calls
// it once the server stopped forwarding that audio (a mute), before it
// checks that no more arrives.
func AudioSettled(t testing.TB, publisher string, bots ...*Bot) []int64 {
	t.Helper()
	var audio, video []func() int64
	for _, b := range bots {
		audio = append(audio, func() int64 { return b.Bytes(publisher, "audio") })
		video = append(video, func() int64 { return b.Packets(publisher, "video") })
	}
	return settled(t, 15*time.Second, "the audio from "+publisher, audio, video, 25)
}

// VideoGoesOn waits until each of bots received n more video packets
// from publisher (the bots send 50 a second): how long a test watches
// for something that must not arrive, measured by the stream that goes
// on.
func VideoGoesOn(t testing.TB, publisher string, n int64, bots ...*Bot) {
	t.Helper()
	from := make([]int64, len(bots))
	for i, b := range bots {
		from[i] = b.Packets(publisher, "video")
	}
	WaitFor(t, 15*time.Second, "video from "+publisher, func() bool {
		for i, b := range bots {
			if b.Packets(publisher, "video")-from[i] < n {
				return false
			}
		}
		return true
	})
}
