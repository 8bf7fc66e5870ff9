package clustertest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"

	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// Two instances on a Redis primary watched by three Sentinels
// (--redis-url redis-sentinel://...), a meeting across them. The primary
// is killed: media between the instances goes on every second while the
// Sentinels promote the replica; 15 s after the kill a hand raised on one
// instance reaches everyone on both, with no retry; no instance exits.
func TestSentinelFailover(t *testing.T) {
	set := redistest.StartSentinels(t)
	bin := proctest.Build(t)
	a := proctest.StartWith(t, bin, "--redis-url", set.URL())
	b := proctest.StartWith(t, bin, "--redis-url", set.URL())
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	roomID, key := proctest.RoomAndKey(a.FacilitatorLink)
	_, mkey := proctest.RoomAndKey(a.MemberLink)
	fac := signalingtest.NewBot(t, ctx, a.WS(), protocol.Join{Room: roomID, Name: "Facil", FacilitatorKey: key})
	m1 := signalingtest.NewBot(t, ctx, a.WS(), protocol.Join{Room: roomID, Name: "Memb1", MemberKey: mkey})
	m2 := signalingtest.NewBot(t, ctx, b.WS(), protocol.Join{Room: roomID, Name: "Memb2", MemberKey: mkey})
	bots := []*signalingtest.Bot{fac, m1, m2}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for name, in := range map[string]*proctest.Instance{"A": a, "B": b} {
			for _, line := range strings.Split(in.Logs.String(), "\n") {
				if !strings.Contains(line, `"level":"debug"`) {
					t.Logf("instance %s: %s", name, line)
				}
			}
		}
		for i, bot := range bots {
			for _, m := range bot.Messages() {
				if m.Type != protocol.TypeSpeakers {
					t.Logf("bot %d (%s) got %s", i, bot.ID(), strings.TrimSpace(string(m.Raw)[:min(len(m.Raw), 300)]))
				}
			}
		}
	})
	for _, bot := range bots {
		go bot.Send(ctx)
	}
	for _, pair := range [][2]*signalingtest.Bot{{fac, m2}, {m2, fac}} {
		signalingtest.WaitFor(t, 30*time.Second, "media between the instances", func() bool {
			return pair[0].Bytes(pair[1].ID(), "audio") > 0 && pair[0].Bytes(pair[1].ID(), "video") > 0
		})
	}

	promoted := set.KillPrimary()
	killed := time.Now()
	// Media between the instances goes on, second by second. One second
	// without a byte is tolerated (a bot stalled on a busy machine under
	// the race detector); more fails. Before the registry held back its
	// judgement of dead instances while its own heartbeats were failing,
	// each instance took the other for dead during the failover and media
	// stopped for good.
	last := [2]int64{fac.Bytes(m2.ID(), "audio"), m2.Bytes(fac.ID(), "audio")}
	stalled := 0
	for sec := 1; sec <= 14; sec++ {
		time.Sleep(time.Until(killed.Add(time.Duration(sec) * time.Second)))
		now := [2]int64{fac.Bytes(m2.ID(), "audio"), m2.Bytes(fac.ID(), "audio")}
		if now[0] <= last[0] || now[1] <= last[1] {
			stalled++
			t.Logf("no media between the instances in second %d after the primary was killed", sec)
		}
		last = now
	}
	if stalled > 1 {
		t.Fatalf("media between the instances stopped for %d of the 14 seconds after the primary was killed", stalled)
	}
	if p, err := set.Primary(ctx); err != nil || p != promoted {
		t.Fatalf("14 s after the kill the Sentinels name %q as primary (%v), want the replica %s", p, err, promoted)
	}

	time.Sleep(time.Until(killed.Add(15 * time.Second)))
	if err := m2.P.Conn.Send(ctx, protocol.RaiseHand{Type: protocol.TypeRaiseHand}); err != nil {
		t.Fatal(err)
	}
	raised := time.Now()
	for _, bot := range bots {
		signalingtest.WaitFor(t, 10*time.Second, "the hand raised 15 s after the failover to reach everyone", func() bool {
			return slices.Contains(lastHands(bot), m2.ID())
		})
	}
	t.Logf("the hand raised 15 s after the kill reached everyone in %v", time.Since(raised).Round(time.Millisecond))
	for _, m := range m2.Messages() {
		var e protocol.Error
		if m.Type == protocol.TypeError && m.Decode(&e) == nil {
			t.Errorf("member 2 got an error: %s %s", e.Code, e.Message)
		}
	}
	for name, in := range map[string]*proctest.Instance{"A": a, "B": b} {
		select {
		case <-in.Done:
			t.Fatalf("instance %s exited during the failover:\n%s", name, in.Logs)
		default:
		}
		for _, secret := range []string{"Facil", "Memb1", "Memb2", "127.0.0.1"} {
			if strings.Contains(in.Logs.String(), secret) {
				t.Errorf("instance %s logged %q", name, secret)
			}
		}
	}
}
