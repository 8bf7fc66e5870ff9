package signaling_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// bot is a pion participant that publishes synthetic Opus and VP8 RTP
// and counts the packets it receives per publisher and kind.
type bot struct {
	p        *client.Participant
	audio    *webrtc.TrackLocalStaticRTP
	video    *webrtc.TrackLocalStaticRTP
	mu       sync.Mutex
	received map[string]*atomic.Int64 // "<publisher>/<kind>" -> packets
	bytes    map[string]*atomic.Int64
}

func newBot(t *testing.T, ctx context.Context, srv *testServer, name string) *bot {
	t.Helper()
	return newBotWith(t, ctx, srv, protocol.Join{Room: srv.Room.ID.String(), Name: name})
}

func newBotWith(t *testing.T, ctx context.Context, srv *testServer, j protocol.Join) *bot {
	t.Helper()
	name := j.Name
	b := &bot{received: map[string]*atomic.Int64{}, bytes: map[string]*atomic.Int64{}}
	p, err := client.Join(ctx, srv.url, j, client.MediaParams{
		LoopbackOnly: true,
		OnTrack: func(publisher string, tr *webrtc.TrackRemote) {
			key := publisher + "/" + tr.Kind().String()
			n, nb := b.counter(key)
			buf := make([]byte, 1500)
			for {
				k, _, err := tr.Read(buf)
				if err != nil {
					return
				}
				n.Add(1)
				nb.Add(int64(k))
			}
		},
	})
	if err != nil {
		t.Fatalf("join %s: %v", name, err)
	}
	t.Cleanup(p.Close)
	b.p = p
	b.audio, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "audio", "bot")
	b.video, _ = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "video", "bot")
	if err := p.Publish(ctx, b.audio, b.video); err != nil {
		t.Fatalf("publish %s: %v", name, err)
	}
	return b
}

func (b *bot) counter(key string) (*atomic.Int64, *atomic.Int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.received[key] == nil {
		b.received[key] = &atomic.Int64{}
		b.bytes[key] = &atomic.Int64{}
	}
	return b.received[key], b.bytes[key]
}

func (b *bot) count(publisher, kind string) int64 {
	n, _ := b.counter(publisher + "/" + kind)
	return n.Load()
}

func (b *bot) countBytes(publisher, kind string) int64 {
	_, nb := b.counter(publisher + "/" + kind)
	return nb.Load()
}

// send publishes 20 ms of audio and a video packet every tick until ctx ends.
func (b *bot) send(ctx context.Context) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	payload := make([]byte, 120)
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
		_ = b.audio.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, PayloadType: 111}, Payload: payload})
		// A VP8 payload descriptor (S=1, partition 0) then filler; every
		// 50th packet is marked as a keyframe start.
		vp8 := make([]byte, 600)
		vp8[0] = 0x10
		if i%50 != 0 {
			vp8[1] = 0x01 // inter frame
		}
		_ = b.video.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts * 90 / 48, PayloadType: 96, Marker: true}, Payload: vp8})
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three pion participants publish audio and video through the SFU; each
// receives both tracks of both others, and packets keep flowing.
func TestMediaFlowsBetweenParticipants(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bots := make([]*bot, 3)
	for i := range bots {
		bots[i] = newBot(t, ctx, srv, fmt.Sprintf("Bot %d", i))
	}
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	for _, b := range bots {
		go b.send(sendCtx)
	}
	for _, rx := range bots {
		for _, tx := range bots {
			if rx == tx {
				continue
			}
			for _, kind := range []string{"audio", "video"} {
				waitFor(t, 15*time.Second, fmt.Sprintf("%s to receive %s from %s", rx.p.ID(), kind, tx.p.ID()), func() bool {
					return rx.count(tx.p.ID(), kind) > 0
				})
			}
		}
	}
	// Over one more second, each of the six (receiver, publisher) pairs gets
	// about 50 packets per kind.
	before := map[string]int64{}
	for _, rx := range bots {
		for _, tx := range bots {
			if rx != tx {
				for _, kind := range []string{"audio", "video"} {
					before[rx.p.ID()+tx.p.ID()+kind] = rx.count(tx.p.ID(), kind)
				}
			}
		}
	}
	time.Sleep(time.Second)
	for _, rx := range bots {
		for _, tx := range bots {
			if rx == tx {
				continue
			}
			for _, kind := range []string{"audio", "video"} {
				got := rx.count(tx.p.ID(), kind) - before[rx.p.ID()+tx.p.ID()+kind]
				if got < 25 {
					t.Errorf("%s received %d %s packets from %s in 1 s; want about 50", rx.p.ID(), got, kind, tx.p.ID())
				}
			}
		}
	}
	if n := srv.SFU.Stats().PacketsForwarded.Load(); n == 0 {
		t.Error("SFU counted no forwarded packets")
	}
}

// A participant who is muted gets no audio through to anyone, even though
// their client keeps sending it; their video still flows, and unmuting
// brings the audio back.
func TestMutedAudioIsNotForwarded(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	speaker, l1, l2 := newBot(t, ctx, srv, "Speaker"), newBot(t, ctx, srv, "Listener 1"), newBot(t, ctx, srv, "Listener 2")
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	go speaker.send(sendCtx) // keeps sending audio throughout, muted or not
	listeners := []*bot{l1, l2}
	for _, l := range listeners {
		waitFor(t, 15*time.Second, "audio to reach the listeners", func() bool { return l.count(speaker.p.ID(), "audio") > 10 })
	}

	muted, unmuted := true, false
	if err := speaker.p.SetSelf(ctx, &muted, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the SFU to drop the muted audio", func() bool { return srv.SFU.Stats().PacketsMuted.Load() > 0 })
	time.Sleep(200 * time.Millisecond) // packets already in flight arrive
	audioBefore := []int64{l1.countBytes(speaker.p.ID(), "audio"), l2.countBytes(speaker.p.ID(), "audio")}
	videoBefore := []int64{l1.count(speaker.p.ID(), "video"), l2.count(speaker.p.ID(), "video")}
	time.Sleep(1500 * time.Millisecond)
	for i, l := range listeners {
		if got := l.countBytes(speaker.p.ID(), "audio") - audioBefore[i]; got != 0 {
			t.Errorf("listener %d received %d bytes of audio from a muted speaker, want 0", i+1, got)
		}
		if got := l.count(speaker.p.ID(), "video") - videoBefore[i]; got < 20 {
			t.Errorf("listener %d received %d video packets from the muted speaker in 1.5 s; video should still flow", i+1, got)
		}
	}

	if err := speaker.p.SetSelf(ctx, &unmuted, nil); err != nil {
		t.Fatal(err)
	}
	for i, l := range listeners {
		before := l.countBytes(speaker.p.ID(), "audio")
		waitFor(t, 5*time.Second, fmt.Sprintf("audio to reach listener %d after unmute", i+1), func() bool {
			return l.countBytes(speaker.p.ID(), "audio") > before
		})
	}
}
