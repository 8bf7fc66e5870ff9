package signaling_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// bot adapts signalingtest.Bot to the tests' older names.
type bot struct {
	*signalingtest.Bot
	p *client.Participant
}

func newBot(t *testing.T, ctx context.Context, srv *testServer, name string) *bot {
	t.Helper()
	return newBotWith(t, ctx, srv, protocol.Join{Room: srv.Room.ID.String(), Name: name, MemberKey: srv.Room.MemberKey})
}

func newBotWith(t *testing.T, ctx context.Context, srv *testServer, j protocol.Join) *bot {
	t.Helper()
	b := signalingtest.NewBot(t, ctx, srv.url, j)
	return &bot{Bot: b, p: b.P}
}

func (b *bot) count(publisher, kind string) int64      { return b.Packets(publisher, kind) }
func (b *bot) countBytes(publisher, kind string) int64 { return b.Bytes(publisher, kind) }
func (b *bot) send(ctx context.Context)                { b.Send(ctx) }

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	signalingtest.WaitFor(t, timeout, what, cond)
}

// Three pion participants publish audio and video through the SFU; each
// receives both tracks of both others, and packets keep flowing.
func TestMediaFlowsBetweenParticipants(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bots := make([]*bot, 3)
	for i := range bots {
		bots[i] = newBot(t, ctx, srv, fmt.Sprintf("Bot%d", i))
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
	// Packets keep flowing: each of the six (receiver, publisher) pairs
	// gets 50 more of each kind (a second of the stream). Not a rate
	// checked against the clock, which a loaded machine misses: the
	// benchmarks measure speed.
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
	for _, rx := range bots {
		for _, tx := range bots {
			if rx == tx {
				continue
			}
			for _, kind := range []string{"audio", "video"} {
				waitFor(t, 15*time.Second, fmt.Sprintf("50 more %s packets from %s at %s", kind, tx.p.ID(), rx.p.ID()), func() bool {
					return rx.count(tx.p.ID(), kind)-before[rx.p.ID()+tx.p.ID()+kind] >= 50
				})
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
	speaker, l1, l2 := newBot(t, ctx, srv, "Speaker"), newBot(t, ctx, srv, "Listener1"), newBot(t, ctx, srv, "Listener2")
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
	// The audio already in flight arrives (while the video goes on);
	// then, over 75 more video packets (1.5 s of the stream), the video
	// still flows and no audio comes with it.
	audioBefore := signalingtest.AudioSettled(t, speaker.p.ID(), l1.Bot, l2.Bot)
	signalingtest.VideoGoesOn(t, speaker.p.ID(), 75, l1.Bot, l2.Bot)
	for i, l := range listeners {
		if got := l.countBytes(speaker.p.ID(), "audio") - audioBefore[i]; got != 0 {
			t.Errorf("listener %d received %d bytes of audio from a muted speaker, want 0", i+1, got)
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
