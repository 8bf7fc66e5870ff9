package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/signalingtest"
	"github.com/hearth-meet/hearth/web/webtest"
)

// statusSays is a JS expression: the page's live status region holds text.
func statusSays(text string) string { return webtest.StatusSays(text) }

// watchListFor makes window.__lostAt of the page say when its
// Participants list first lost name (webtest.Page.WatchListFor).
func watchListFor(p *webtest.Page, name string) { p.WatchListFor(name) }

// logSockets makes the page log its new WebSockets in window.__sockets.
func logSockets(p *webtest.Page) { p.LogSockets() }

// Three people in the demo room. Ruthanne's page reaches the server
// through a TCP proxy, which the test cuts for 3 s: every connection of
// hers is reset and new ones are refused, as when a bus goes through a
// tunnel. Her page says "Reconnecting…" and comes back by itself with
// its resume token; the two others' Participants lists never lose her
// (watched every 50 ms from within their pages), her hand stays raised
// and her microphone muted, and audio and video flow again both ways.
// The time from the end of the cut to her page being back is printed.
func TestBrowserResumeAfterCut(t *testing.T) {
	ts := startServer(t)
	cut := signalingtest.NewCutter(t, ts.addr.String())
	viaCut := strings.Replace(ts.memberLink, ts.addr.String(), cut.Addr, 1)
	browser := webtest.NewBrowser(t)
	names := []string{"Ruthanne", "Osgood", "Philippa"}
	pages := []*webtest.Page{joinPage(t, browser, viaCut, names[0]),
		joinPage(t, browser, ts.memberLink, names[1]), joinPage(t, browser, ts.memberLink, names[2])}
	ruth, others := pages[0], pages[1:]
	for i, p := range pages {
		p.WaitVisible(webtest.Button("Leave"))
		if !p.WaitFor(40*time.Second, remoteVideosPlaying+` >= 2`) {
			var dbg any
			p.Eval(`[document.querySelector('[role="status"]')?.textContent, (window.__hearthPCs||[]).map(pc => [pc.connectionState, pc.iceConnectionState, pc.signalingState, pc.getReceivers().length]), `+remoteVideosPlaying+`, document.querySelectorAll('video').length]`, &dbg)
			t.Fatalf("%s's page does not show the two others' videos: %v", names[i], dbg)
		}
	}
	ruth.Click("Raise hand")
	ruth.Click("Mute")
	for _, p := range others {
		if !p.WaitFor(10*time.Second, entryHas("Ruthanne", "muted")+` && `+handsOrder+`.some(n => n.includes("Ruthanne"))`) {
			t.Fatal("the others do not see Ruthanne muted with her hand up")
		}
		watchListFor(p, "Ruthanne")
	}

	logSockets(ruth)
	cutAt := time.Now()
	cut.Cut()
	if !ruth.WaitFor(3*time.Second, statusSays("Reconnecting…")) {
		t.Error(`Ruthanne's page does not say "Reconnecting…" while she is cut off`)
	}
	time.Sleep(time.Until(cutAt.Add(3 * time.Second)))
	cut.Restore()
	restored := time.Now()
	if !ruth.WaitFor(20*time.Second, statusSays("You are connected again")) {
		var sockets any
		ruth.Eval(`window.__sockets`, &sockets)
		t.Fatalf("Ruthanne's page does not come back after the cut; its sockets (ms after the cut): %v", sockets)
	}
	t.Logf("Ruthanne's page back %v after a 3 s cut ended", time.Since(restored).Round(10*time.Millisecond))

	for i, p := range others {
		var lostAt float64
		p.Eval(`window.__lostAt`, &lostAt)
		if lostAt != 0 {
			t.Errorf("%s's Participants list lost Ruthanne during the cut", names[i+1])
		}
		if !p.WaitFor(10*time.Second, entryHas("Ruthanne", "muted")+` && `+handsOrder+`.some(n => n.includes("Ruthanne"))`) {
			t.Errorf("%s's page no longer shows Ruthanne muted with her hand up", names[i+1])
		}
		if _, v := p.Flowing(2 * time.Second); v < 2 {
			t.Errorf("%s's page decodes %d videos after the cut, want 2", names[i+1], v)
		}
	}
	ruth.WaitVisible(webtest.Button("Unmute"))
	ruth.WaitVisible(webtest.Button("Lower hand"))
	if a, v := ruth.Flowing(2 * time.Second); a < 2 || v < 2 {
		t.Errorf("Ruthanne's page has %d audio and %d video tracks flowing after the cut, want 2 and 2", a, v)
	}

	resp, err := http.Get("http://" + ts.addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "hearth_resumes_total 1\n") {
		t.Errorf("/metrics does not count the resume:\n%s", grepLines(string(body), "hearth_resumes"))
	}
}

// grepLines returns the lines of s that contain word.
func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
