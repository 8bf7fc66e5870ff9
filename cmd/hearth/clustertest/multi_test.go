// Package clustertest holds the tests that run several hearth processes:
// instances sharing rooms through a real redis-server (and Sentinels),
// drains, and what crosses instances. They are a package apart from
// cmd/hearth so that they run beside its tests, not after them.
package clustertest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"

	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
	"github.com/hearth-meet/hearth/web/webtest"
)

// lastHands returns the hand queue as a bot last heard it (from a hands
// event, or a snapshot after a resynchronisation).
func lastHands(b *signalingtest.Bot) []string {
	var hands []string
	for _, m := range b.Messages() {
		switch m.Type {
		case protocol.TypeEvent:
			var ev protocol.Event
			if m.Decode(&ev) == nil && ev.Kind == "hands" {
				hands = ev.Hands
			}
		case protocol.TypeSnapshot:
			var s protocol.Welcome
			if m.Decode(&s) == nil {
				hands = s.Hands
			}
		}
	}
	return hands
}

// Three hearth processes share a room through a real redis-server: media
// crosses instances, hands and mutes are the same everywhere, 50
// concurrent hands keep one order, a killed instance's members come back
// through another with their state, and a Redis outage stops neither media
// nor the instances.
func TestMultiInstance(t *testing.T) {
	rs := redistest.Start(t)
	bin := proctest.Build(t)
	ins := []*proctest.Instance{proctest.Start(t, bin, rs.Addr()), proctest.Start(t, bin, rs.Addr()), proctest.Start(t, bin, rs.Addr())}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// A room made on instance 1.
	created, key := proctest.CreateRoom(t, ins[0], "Shared group")
	_, mkey := proctest.RoomAndKey(created.MemberLink)

	// The facilitator on instance 1 lets people straight in.
	fac := signalingtest.NewBot(t, ctx, ins[0].WS(), protocol.Join{Room: created.ID, Name: "Facil", FacilitatorKey: key})
	no := false
	if err := fac.P.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "settings",
		Settings: &protocol.Settings{WaitingRoom: &no, MuteOnEntry: &no}}); err != nil {
		t.Fatal(err)
	}
	// The members must not join before the settings are taken (they
	// would wait in the waiting room).
	awaitSeen(t, fac, "the settings taken", roomEvent(func(r *protocol.RoomInfo) bool { return !r.WaitingRoom && !r.MuteOnEntry }))
	m2 := signalingtest.NewBot(t, ctx, ins[1].WS(), protocol.Join{Room: created.ID, Name: "Memb2", MemberKey: mkey})
	m3 := signalingtest.NewBot(t, ctx, ins[2].WS(), protocol.Join{Room: created.ID, Name: "Memb3", MemberKey: mkey})
	bots := []*signalingtest.Bot{fac, m2, m3}
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	for _, b := range bots {
		go b.Send(sendCtx)
	}

	// A real browser through a load balancer that sends it to instance 2.
	lb := &proctest.Balancer{}
	lb.Set(ins[1])
	front := httptest.NewServer(lb)
	defer front.Close()
	browser := webtest.NewBrowser(t)
	page := browser.NewPage(t, front.URL+"/r/"+created.ID+"#k="+mkey)
	page.WaitVisible(webtest.Labelled("Your name"))
	page.Type("Your name", "Browsie")
	page.Click("Join")
	page.WaitVisible(webtest.Button("Leave"))

	// Audio and video cross instances in every direction.
	for _, rx := range bots {
		for _, tx := range bots {
			if rx == tx {
				continue
			}
			for _, kind := range []string{"audio", "video"} {
				signalingtest.WaitFor(t, 20*time.Second, fmt.Sprintf("%s from %s", kind, tx.ID()), func() bool {
					return rx.Packets(tx.ID(), kind) > 0
				})
			}
		}
	}
	var browserID string
	signalingtest.WaitFor(t, 20*time.Second, "the browser's media at the bots", func() bool {
		for _, m := range fac.Messages() {
			var ev protocol.Event
			if m.Decode(&ev) == nil && ev.Participant != nil && ev.Participant.Name == "Browsie" {
				browserID = ev.Participant.ID
			}
		}
		return browserID != "" && fac.Packets(browserID, "video") > 0 && m2.Packets(browserID, "audio") > 0
	})
	if !page.WaitFor(20*time.Second, `document.querySelectorAll('video[data-participant-id]').length >= 3`) {
		t.Fatal("the browser does not show the three others")
	}
	if a, v := page.ReceivingBytes(2 * time.Second); a < 3 || v < 3 {
		t.Logf("the browser receives %d audio and %d video tracks so far", a, v)
	}
	for start := time.Now(); ; {
		a, v := page.ReceivingBytes(time.Second)
		if a >= 3 && v >= 3 {
			break
		}
		if time.Since(start) > 15*time.Second {
			var dbg any
			page.Eval(`(async () => { const out = []; for (const pc of window.__hearthPCs) { const st = await pc.getStats(); st.forEach(s => { if (s.type === 'inbound-rtp') out.push([s.kind, s.trackIdentifier, s.bytesReceived, s.packetsReceived]); }); out.push(pc.getTransceivers().map(t => [t.mid, t.direction, t.currentDirection, t.receiver.track.kind])); } return out; })()`, &dbg)
			t.Logf("browser stats: %v; ids fac=%s m2=%s m3=%s", dbg, fac.ID(), m2.ID(), m3.ID())
			t.Fatalf("the browser on instance 2 receives %d audio and %d video tracks, want 3 and 3", a, v)
		}
	}

	// A hand raised on instance 3 is seen on instances 1 and 2.
	if err := m3.P.Conn.Send(ctx, protocol.RaiseHand{Type: protocol.TypeRaiseHand}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*signalingtest.Bot{fac, m2} {
		signalingtest.WaitFor(t, 5*time.Second, "the hand raised on instance 3", func() bool {
			return slices.Contains(lastHands(b), m3.ID())
		})
	}

	// The facilitator's mute on instance 1 stops member 2's audio for everyone.
	if err := fac.P.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "mute", Target: m2.ID()}); err != nil {
		t.Fatal(err)
	}
	if err := m2.P.Conn.Send(ctx, protocol.RaiseHand{Type: protocol.TypeRaiseHand}); err != nil {
		t.Fatal(err)
	}
	// The mute reaches the instance member 2 publishes through, then the
	// audio in flight arrives while the video goes on (no fixed pause,
	// which Redis and a loaded machine outlast); over 75 more video
	// packets, no audio.
	awaitSeen(t, m2, "member 2 told of the mute", mutedEvent(m2.ID()))
	before := signalingtest.AudioSettled(t, m2.ID(), fac, m3)
	signalingtest.VideoGoesOn(t, m2.ID(), 75, fac, m3)
	for i, b := range []*signalingtest.Bot{fac, m3} {
		if got := b.Bytes(m2.ID(), "audio") - before[i]; got != 0 {
			t.Errorf("after the mute, %s received %d bytes of member 2's audio, want 0", b.ID(), got)
		}
	}

	// 50 hands raised at once across the instances: one order everywhere.
	var wg sync.WaitGroup
	raisers := make([]*client.Conn, 50)
	for i := range raisers {
		c, err := client.DialConn(ctx, ins[i%3].WS())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		if _, err := c.Join(ctx, protocol.Join{Room: created.ID, Name: fmt.Sprintf("Hand%02d", i), MemberKey: mkey}); err != nil {
			t.Fatal(err)
		}
		raisers[i] = c
		go func() { // drain
			for {
				if _, err := c.Recv(ctx); err != nil {
					return
				}
			}
		}()
	}
	for _, c := range raisers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Send(ctx, protocol.RaiseHand{Type: protocol.TypeRaiseHand})
		}()
	}
	wg.Wait()
	for _, b := range bots {
		signalingtest.WaitFor(t, 15*time.Second, "52 hands", func() bool { return len(lastHands(b)) == 52 })
	}
	order := lastHands(fac)
	for _, b := range bots[1:] {
		if got := lastHands(b); !slices.Equal(got, order) {
			t.Errorf("hand order differs between instances:\n%v\n%v", order, got)
		}
	}
	m2Pos := slices.Index(order, m2.ID())

	// Kill instance 2: member 2 comes back through instance 3 with role,
	// hand position and mute intact; the others' media never stops.
	fac3, m3fac := fac.Packets(m3.ID(), "audio"), m3.Packets(fac.ID(), "audio")
	killed := time.Now()
	_ = ins[1].Cmd.Process.Signal(syscall.SIGKILL)
	<-ins[1].Done
	lb.Set(ins[2], ins[0]) // the balancer notices
	// Member 2 comes back meanwhile (their join waits up to 2.5 s for
	// their old connection, on the dead instance, to answer a ping).
	var back protocol.Welcome
	var backErr error
	backDone := make(chan struct{})
	go func() {
		defer close(backDone)
		for {
			c, err := client.DialConn(ctx, ins[2].WS())
			if err == nil {
				back, err = c.Join(ctx, protocol.Join{Room: created.ID, Name: "Memb2", Identity: m2.P.Welcome.Identity, MemberKey: mkey})
				_ = c.CloseNow()
			}
			if err == nil {
				break
			}
			if time.Since(killed) > 10*time.Second {
				backErr = fmt.Errorf("member 2 not back within 10 s: %w", err)
				return
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("member 2 back through instance 3 %v after the kill", time.Since(killed).Round(time.Millisecond))
	}()
	// Media between instances 1 and 3 goes on: more packets in each of
	// the two seconds after the kill.
	for sec := 1; sec <= 2; sec++ {
		time.Sleep(time.Until(killed.Add(time.Duration(sec) * time.Second)))
		f, m := fac.Packets(m3.ID(), "audio"), m3.Packets(fac.ID(), "audio")
		if f <= fac3 || m <= m3fac {
			t.Errorf("media between instances 1 and 3 stopped in second %d after instance 2 died", sec)
		}
		fac3, m3fac = f, m
	}
	<-backDone
	if backErr != nil {
		t.Fatal(backErr)
	}
	if back.Self.ID != m2.ID() || back.Self.Role != "member" || !back.Self.Muted || back.Self.MutedBy != "facilitator" {
		t.Errorf("member 2 came back as %+v, want the same id, member, muted by the facilitator", back.Self)
	}
	if got := slices.Index(back.Hands, m2.ID()); got != m2Pos {
		t.Errorf("member 2's hand is at %d after failover, was %d", got, m2Pos)
	}
	// The browser reconnects by itself through the balancer, and hears
	// and sees the others again.
	joinedAgain := func() bool {
		n := 0
		for _, m := range fac.Messages() {
			var ev protocol.Event
			if m.Decode(&ev) == nil && ev.Kind == "joined" && ev.Participant != nil && ev.Participant.ID == browserID {
				n++
			}
		}
		return n >= 2
	}
	signalingtest.WaitFor(t, 10*time.Second, "the browser to rejoin through another instance", joinedAgain)
	t.Logf("the browser is back %v after the kill", time.Since(killed).Round(time.Millisecond))
	for start := time.Now(); ; {
		a, v := page.ReceivingBytes(time.Second)
		if a >= 2 && v >= 2 {
			break
		}
		if time.Since(start) > 15*time.Second {
			t.Fatalf("after failover the browser receives %d audio and %d video tracks, want 2 and 2", a, v)
		}
	}
	// The raisers that were on instance 2 are cleaned from presence.
	// (16 of the 50 raisers, and member 2's old connection, which came
	// back: 16 left events at least.)
	signalingtest.WaitFor(t, 20*time.Second, "presence of instance 2's members to be cleaned", func() bool {
		return countLeft(fac) >= 16
	})

	// Redis stops for 15 s: media goes on, no instance exits, joins are
	// refused clearly; afterwards state reconciles by itself.
	rs.Stop()
	stopped := time.Now()
	c, err := client.DialConn(ctx, ins[0].WS())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Join(ctx, protocol.Join{Room: created.ID, Name: "Latecomer", MemberKey: mkey})
	_ = c.CloseNow()
	if perr, ok := err.(*protocol.Error); !ok || perr.Code != protocol.CodeUnavailable {
		t.Errorf("a join while Redis is down: %v, want error unavailable", err)
	}
	for time.Since(stopped) < 15*time.Second {
		f, m := fac.Packets(m3.ID(), "audio"), m3.Packets(fac.ID(), "video")
		time.Sleep(time.Second)
		if fac.Packets(m3.ID(), "audio") <= f || m3.Packets(fac.ID(), "video") <= m {
			t.Fatal("media between instances stopped while Redis was down")
		}
	}
	for i, in := range []*proctest.Instance{ins[0], ins[2]} {
		select {
		case <-in.Done:
			t.Fatalf("instance %d exited while Redis was down:\n%s", i, in.Logs)
		default:
		}
	}
	rs.Start()
	restarted := time.Now()
	if err := m3.P.Conn.Send(ctx, protocol.RaiseHand{Type: protocol.TypeLowerHand}); err != nil {
		t.Fatal(err)
	}
	signalingtest.WaitFor(t, 10*time.Second, "a hand lowered after Redis returned to reach instance 1", func() bool {
		if slices.Contains(lastHands(fac), m3.ID()) {
			// The first try may have failed while the client reconnected.
			_ = m3.P.Conn.Send(ctx, protocol.RaiseHand{Type: protocol.TypeLowerHand})
			time.Sleep(200 * time.Millisecond)
			return false
		}
		return true
	})
	t.Logf("state reconciled %v after Redis returned", time.Since(restarted).Round(time.Millisecond))

	for i, in := range ins {
		logs := in.Logs.String()
		for _, secret := range []string{"Facil", "Memb2", "Memb3", "Browsie", "Hand0", "127.0.0.1"} {
			if strings.Contains(logs, secret) {
				t.Errorf("instance %d logged %q", i+1, secret)
			}
		}
	}
}

// countLeft counts the left events a bot received.
func countLeft(b *signalingtest.Bot) int {
	n := 0
	for _, m := range b.Messages() {
		var ev protocol.Event
		if m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Kind == "left" {
			n++
		}
	}
	return n
}
