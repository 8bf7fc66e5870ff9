package main

import (
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// switchIs is a JS expression: the switch with the accessible name is on
// (on = true) or off.
func switchIs(name string, on bool) string {
	want := "false"
	if on {
		want = "true"
	}
	return `[...document.querySelectorAll('[role="switch"]')].some(s => s.checkVisibility() && s.textContent.trim() === "` + name + `" && s.getAttribute('aria-checked') === "` + want + `")`
}

// noVideoSent samples the page's outbound video for d and fails the test
// if any byte of video left it, or if it has a camera open.
func noVideoSent(t *testing.T, p *webtest.Page, when string, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if n := p.SentBytes("video"); n > 0 {
			t.Fatalf("%s: the page sent %v bytes of video", when, n)
		}
		var open int
		p.Eval(webtest.LiveTracks("video"), &open)
		if open > 0 {
			t.Fatalf("%s: the page has %d camera tracks open", when, open)
		}
	}
}

// In real Chromium: a member turns the Camera switch off before joining.
// From then on the page has no camera open and sends no video, in the
// waiting room (Camera switch still off there), at admission and after;
// the facilitator sees no video of them. Start camera then opens the
// camera and publishes it: the facilitator sees it. A second member
// switches both off and joins to listen.
func TestBrowserCameraOff(t *testing.T) {
	ts := startServer(t, "--admin-token", "tok")
	links := newRoom(t, ts, `{"name":"Tuesday group"}`)
	browser := webtest.NewBrowser(t)
	fac := joinPage(t, browser, links.FacilitatorLink, "Rosalind")
	fac.WaitVisible(webtest.Button("Leave"))

	m := browser.NewPage(t, links.MemberLink)
	m.WaitVisible(webtest.Labelled("Your name"))
	if !m.WaitFor(10*time.Second, switchIs("Camera", true)+` && `+switchIs("Microphone", true)) {
		t.Fatal("the pre-join page has no Camera and Microphone switches, on")
	}
	m.Click("Camera")
	if !m.WaitFor(10*time.Second, switchIs("Camera", false)+` && `+webtest.LiveTracks("video")+` === 0`) {
		t.Fatal("turning the Camera switch off does not close the camera")
	}
	m.Type("Your name", "Imogen")
	m.Click("Join")
	if !m.WaitFor(10*time.Second, waitingScreen) {
		t.Fatal("the member does not reach the waiting room")
	}
	if !m.WaitFor(10*time.Second, switchIs("Camera", false)) {
		t.Error("the waiting room's Camera switch is not off")
	}
	noVideoSent(t, m, "in the waiting room", 2*time.Second)

	fac.Click("Admit Imogen")
	m.WaitVisible(webtest.Button("Start camera"))
	noVideoSent(t, m, "after admission", 4*time.Second)
	var playing int
	fac.Eval(remoteVideosPlaying, &playing)
	if playing != 0 {
		t.Errorf("the facilitator sees %d remote videos before Imogen starts her camera", playing)
	}

	m.Click("Start camera")
	if !m.WaitFor(10*time.Second, webtest.LiveTracks("video")+` === 1`) {
		t.Fatal("Start camera does not open the camera")
	}
	m.WaitVisible(webtest.Button("Stop camera"))
	if !fac.WaitFor(20*time.Second, remoteVideosPlaying+` >= 1`) {
		t.Fatal("the facilitator does not see Imogen's camera after Start camera")
	}
	if n := m.SentBytes("video"); n == 0 {
		t.Error("the page sends no video after Start camera")
	}

	// Listen only: neither device is opened.
	l := browser.NewPage(t, links.MemberLink)
	l.WaitVisible(webtest.Labelled("Your name"))
	if !l.WaitFor(10*time.Second, switchIs("Camera", true)) {
		t.Fatal("the second member's switches do not come on")
	}
	l.Click("Camera")
	l.Click("Microphone")
	if !l.WaitFor(10*time.Second, webtest.LiveTracks("video")+` + `+webtest.LiveTracks("audio")+` === 0`) {
		t.Fatal("with both switches off, a device is still open")
	}
	l.Type("Your name", "Lysander")
	l.Click("Join")
	fac.Click("Admit Lysander")
	l.WaitVisible(webtest.Button("Unmute"))
	l.WaitVisible(webtest.Button("Start camera"))
	if !l.WaitFor(20*time.Second, remoteVideosPlaying+` >= 1`) {
		t.Error("listening only, Lysander does not see Imogen's camera")
	}
	var open int
	l.Eval(webtest.LiveTracks("video")+` + `+webtest.LiveTracks("audio"), &open)
	if open != 0 || l.SentBytes("audio")+l.SentBytes("video") > 0 {
		t.Errorf("listening only, Lysander's page has %d devices open or sends media", open)
	}
}
