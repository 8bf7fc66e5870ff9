package labtest

import (
	"os"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/internal/netlab"
	"github.com/hearth-meet/hearth/web/webtest"
)

// labPair starts hearth in a Star and joins Ruthanne (from alice's
// namespace) and Osgood (from bob's); each receives the other's media.
// Ruthanne raises her hand and mutes; Osgood's page watches its
// Participants list for her (window.__lostAt).
func labPair(t *testing.T) (alice *netlab.Host, h *netlab.Hearth, ruth, osgood *webtest.Page) {
	t.Helper()
	s := netlab.NewStar(t)
	alice, bob := s.Host("alice"), s.Host("bob")
	h = startLabHearth(t, s, "--ice-networks", netlab.StarNetworks)
	ruth = joinAs(t, labChromium(t, alice, webtest.Options{}), h.MemberLink, "Ruthanne")
	osgood = joinAs(t, labChromium(t, bob, webtest.Options{}), h.MemberLink, "Osgood")
	awaitFlowing(t, ruth, "Ruthanne", 1)
	awaitFlowing(t, osgood, "Osgood", 1)
	ruth.Click("Raise hand")
	ruth.Click("Mute")
	if !osgood.WaitFor(5*time.Second, handAndMute("Ruthanne")) {
		t.Fatal("Osgood does not see Ruthanne muted with her hand up")
	}
	osgood.WatchListFor("Ruthanne")
	ruth.LogSockets()
	var ok bool
	ruth.Eval(logICE, &ok)
	return alice, h, ruth, osgood
}

// logICE is a JS expression: the page keeps, in window.__ice, each ICE
// state change of its peer connections (index, state, ms from now), as
// window.__sockets keeps its sockets: what the test reports.
const logICE = `(() => {
  const t0 = window.__t0 || Date.now(); window.__ice = [];
  (window.__hearthPCs || []).forEach((pc, i) => pc.addEventListener('iceconnectionstatechange',
    () => window.__ice.push([i, pc.iceConnectionState, Date.now() - t0])));
  return true;
})()`

// handAndMute is a JS expression: name is listed muted, with a raised hand.
func handAndMute(name string) string {
	return webtest.ListedWith(name, "muted") + ` && ` + webtest.HandsOrder + `.some(n => n.includes(` + "`" + name + "`" + `))`
}

// checkUnchanged checks, after a network trouble of Ruthanne's, that
// Osgood's list never lost her and still shows her hand and mute, that
// her page shows them too, and that media flows both ways (Osgood hears
// nothing of hers: she is muted).
func checkUnchanged(t *testing.T, ruth, osgood *webtest.Page) {
	t.Helper()
	var lostAt float64
	if osgood.Eval(`window.__lostAt`, &lostAt); lostAt != 0 {
		t.Error("Osgood's Participants list lost Ruthanne")
	}
	if !osgood.WaitFor(2*time.Second, handAndMute("Ruthanne")) {
		t.Error("Osgood's page no longer shows Ruthanne muted with her hand up")
	}
	ruth.WaitVisible(webtest.Button("Unmute"))
	ruth.WaitVisible(webtest.Button("Lower hand"))
	awaitFlowing(t, ruth, "Ruthanne", 1)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, v := osgood.Flowing(time.Second); v >= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Error("Osgood's page does not decode Ruthanne's video again within 10 s")
			return
		}
	}
}

// socketsOf returns what the test reports of Ruthanne's page: its
// sockets and ICE states since labPair (ms), and its status line.
func socketsOf(p *webtest.Page) any {
	var dbg any
	p.Eval(`({sockets: window.__sockets, ice: window.__ice, status: document.querySelector('[role="status"]')?.textContent})`, &dbg)
	return dbg
}

// Ruthanne's TCP to the server is blocked for 3 s inside her namespace,
// silently (packets dropped, as on a dead network: her WebSocket stalls
// rather than closes), while Osgood raises his hand. Her page finds the
// socket silent (its pings go unanswered), says "Reconnecting…", and
// once the block is lifted comes back on a new socket, resuming her
// session: Osgood's Participants list never loses her (watched every
// 50 ms in his page), her hand and mute stay, media flows again both
// ways, and his hand, raised while she was cut off, shows on her page.
func TestLabResumeAfterTCPCut(t *testing.T) {
	t.Parallel()
	alice, h, ruth, osgood := labPair(t)
	resumes := labMetric(t, h, "hearth_resumes_total")

	block := alice.BlockTCPPort(8080)
	cutAt := time.Now()
	var ok bool
	ruth.Eval(`window.__ice.push(['cut', Date.now() - window.__t0]) > 0`, &ok)
	osgood.Click("Raise hand")
	reconnecting := ruth.WaitFor(time.Until(cutAt.Add(3*time.Second)), webtest.StatusSays("Reconnecting…"))
	time.Sleep(time.Until(cutAt.Add(3 * time.Second)))
	block.Remove()
	restored := time.Now()
	if !reconnecting {
		t.Errorf(`Ruthanne's page did not say "Reconnecting…" within the 3 s cut: %v`, socketsOf(ruth))
	}
	if !ruth.WaitFor(20*time.Second, webtest.StatusSays("You are connected again")) {
		t.Fatalf("Ruthanne's page does not come back after the cut: %v", socketsOf(ruth))
	}
	t.Logf("Ruthanne's page back %v after a 3 s cut ended", time.Since(restored).Round(10*time.Millisecond))
	if !ruth.WaitFor(2*time.Second, webtest.HandsOrder+`.some(n => n.includes("Osgood"))`) {
		t.Error("Ruthanne's page does not show the hand Osgood raised while she was cut off")
	}
	checkUnchanged(t, ruth, osgood)
	// One resume; a second is tolerated: on a machine starved by the
	// full suite, the page's ping can go unanswered for 2 s once more
	// after the cut, and the page then resumes again (seen once in a
	// clean-clone make test). A rejoin instead of a resume counts none.
	if n := labMetric(t, h, "hearth_resumes_total"); n < resumes+1 || n > resumes+2 {
		t.Errorf("/metrics counts %v resumes after the cut, want %v (or one more)", n-resumes, 1)
	}
}

// Ruthanne's address changes mid-meeting: her namespace's addresses move
// from 203.0.113.10 and 2001:db8:113::10 to .77 and ::77, as when a phone
// changes networks. Her page notices (its socket goes silent, or ICE
// disconnects), resumes on a new socket and restarts ICE on both peer
// connections (the server counts two ICE restarts). The time from the
// change until media flows again both ways (her page receives Osgood's
// audio and decodes his video, his decodes hers) is printed with her
// page's sockets and ICE states; the 5 s bound is
// checked in make test's quiet timed run (HEARTH_TIMED=1). Her hand and
// mute stay, and Osgood's list never loses her.
func TestLabAddressChange(t *testing.T) {
	t.Parallel()
	alice, h, ruth, osgood := labPair(t)
	restarts := labMetric(t, h, "hearth_ice_restarts_total")

	var ok bool
	ruth.Eval(`window.__ice.push(['moving', Date.now() - window.__t0]) > 0`, &ok)
	moved := time.Now()
	alice.DelAddr(alice.Ifname(), alice.IPv4+"/24")
	alice.DelAddr(alice.Ifname(), alice.IPv6+"/64")
	alice.AddAddr(alice.Ifname(), "203.0.113.77/24")
	alice.AddAddr(alice.Ifname(), "2001:db8:113::77/64")
	alice.DefaultRoute(netlab.ServerIPv4)
	alice.DefaultRoute(netlab.ServerIPv6)
	var back time.Duration
	rBefore, oBefore := ruth.InboundStats(), osgood.InboundStats()
	for {
		time.Sleep(100 * time.Millisecond)
		rNow, oNow := ruth.InboundStats(), osgood.InboundStats()
		ra, rv := webtest.Moved(rBefore, rNow)
		_, ov := webtest.Moved(oBefore, oNow)
		if ra >= 1 && rv >= 1 && ov >= 1 &&
			labMetric(t, h, "hearth_ice_restarts_total") >= restarts+2 {
			back = time.Since(moved)
			break
		}
		rBefore, oBefore = rNow, oNow
		if time.Since(moved) > 30*time.Second {
			t.Fatalf("media not back 30 s after Ruthanne's address changed (ICE restarts: %v); her page: %v",
				labMetric(t, h, "hearth_ice_restarts_total")-restarts, socketsOf(ruth))
		}
	}
	t.Logf("media back both ways %v after Ruthanne's address changed (ICE restarted); her page: %v", back.Round(10*time.Millisecond), socketsOf(ruth))
	switch {
	case os.Getenv("HEARTH_TIMED") == "":
		t.Log("the 5 s bound is checked in make test's quiet timed run (HEARTH_TIMED=1)")
	case back > 5*time.Second:
		t.Errorf("media back %v after the address changed, want within 5 s", back)
	}
	checkUnchanged(t, ruth, osgood)
}
