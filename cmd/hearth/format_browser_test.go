package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// shortTwelveStep is a short 12-step style format for the browser test:
// welcome by the chair, sharing (raise a hand, 10 s shares that mute),
// closing with the contributions link.
const shortTwelveStep = `{"name":"Short 12-step","segments":[
 {"title":"Welcome","speaking":"facilitators","chatOpen":true,"text":"Welcome. The chair reads the preamble."},
 {"title":"Sharing","speaking":"called_on","chatOpen":false,"text":"Raise your hand to share. No cross-talk.",
  "shareSeconds":10,"autoMute":true},
 {"title":"Closing","speaking":"facilitators","chatOpen":true,"text":"Thank you for coming."}]}`

// recordWireErrors makes the page keep the error messages the server
// sends on any WebSocket it opens from now on, in window.__wireErrors.
func recordWireErrors(p *webtest.Page) {
	var ok bool
	p.Eval(`(() => {
  const Orig = window.WebSocket, errs = window.__wireErrors = [];
  window.WebSocket = function(url, ...rest) {
    const ws = new Orig(url, ...rest);
    ws.addEventListener('message', (e) => {
      try { const m = JSON.parse(e.data); if (m.type === 'error') errs.push(m); } catch {}
    });
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  Object.setPrototypeOf(window.WebSocket, Orig);
  return true;
})()`, &ok)
}

// forceMicOn turns the page's microphone tracks on behind the page's
// back, as a modified client could: only the server can keep it unheard.
func forceMicOn(p *webtest.Page) {
	var n int
	p.Eval(`window.__hearthTracks.filter(t => t.kind === 'audio').map(t => { t.enabled = true; return 1; }).length`, &n)
}

// A short 12-step format in real Chromium (issue 14's Done-when). The
// facilitator advances through the segments with Next segment and goes
// back with Previous segment; both pages show each segment's title and
// text, and the member what they may do now. In the facilitators-only
// welcome the member's Unmute is refused by the server (the error on the
// wire, its message on the page), and with its microphone forced on
// behind the page's back the facilitator still receives none of its audio.
// In the sharing segment the member raises a hand, is called on, shares
// under the segment's 10-second timer and is heard, and the timer mutes
// them (the server stops their audio). The closing segment shows the
// room's contributions link. axe-core finds nothing serious or critical
// on either page with the segment shown.
func TestBrowserMeetingFormat(t *testing.T) {
	ts := startServer(t, "--admin-token", "tok")
	links := newRoom(t, ts, `{"name":"Friday group","settings":{"waitingRoom":false,"muteOnEntry":false,
		"format":`+shortTwelveStep+`,"contributionsUrl":"https://example.org/give"}}`)

	browser := webtest.NewBrowser(t)
	fac := joinPage(t, browser, links.FacilitatorLink, "Fennimore")
	fac.WaitVisible(webtest.Button("Leave"))
	mem := browser.NewPage(t, links.MemberLink)
	mem.WaitVisible(webtest.Labelled("Your name"))
	recordWireErrors(mem)
	mem.Type("Your name", "Astrid")
	mem.Click("Join")
	mem.WaitVisible(webtest.Button("Leave"))

	hintIs := func(p *webtest.Page, want string) bool {
		return p.WaitFor(10*time.Second, `document.getElementById('segment-hint').textContent === `+jsQuote(want))
	}
	segmentShown := func(p *webtest.Page, title, place, text string) bool {
		return p.WaitFor(10*time.Second, `(() => { const s = document.getElementById('segment');
			return !s.hidden && document.getElementById('segment-title').textContent === `+jsQuote(title)+
			` && document.getElementById('segment-place').textContent === `+jsQuote(place)+
			` && document.getElementById('segment-text').textContent === `+jsQuote(text)+`; })()`)
	}

	// Welcome: only facilitators speak.
	for who, p := range map[string]*webtest.Page{"facilitator": fac, "member": mem} {
		if !segmentShown(p, "Welcome", "Segment 1 of 3", "Welcome. The chair reads the preamble.") {
			t.Fatalf("the %s's page does not show the welcome segment", who)
		}
	}
	if !hintIs(mem, "Welcome: facilitators are speaking; your microphone stays off.") {
		t.Error("the member is not told what they may do in the welcome")
	}
	if !fac.WaitFor(10*time.Second, `!document.getElementById('segment-next').hidden && document.getElementById('segment-prev').hidden`) {
		t.Error("the facilitator does not see Next segment (and no Previous segment) in the first segment")
	}
	var memberButtons bool
	mem.Eval(`!document.getElementById('segment-next').hidden || !document.getElementById('segment-prev').hidden`, &memberButtons)
	if memberButtons {
		t.Error("the member sees the segment buttons")
	}
	memberRefusedUnmute(t, mem, fac, "Welcome")

	// Sharing: raise a hand, be called on, share under the timer.
	fac.Click("Next segment")
	for who, p := range map[string]*webtest.Page{"facilitator": fac, "member": mem} {
		if !segmentShown(p, "Sharing", "Segment 2 of 3", "Raise your hand to share. No cross-talk.") {
			t.Fatalf("the %s's page does not show the sharing segment", who)
		}
	}
	if !hintIs(mem, "Sharing: raise your hand to share. Chat is closed.") {
		t.Error("the member is not told to raise a hand to share")
	}
	axe := webtest.AxeSource(t)
	axeClean(t, mem, axe, "format, member")
	axeClean(t, fac, axe, "format, facilitator")
	mem.Click("Raise hand")
	if !hintIs(mem, "Sharing: your hand is raised; wait to be called on. Chat is closed.") {
		t.Error("the member's page does not say the hand is raised")
	}
	if !fac.WaitFor(10*time.Second, handsOrder+`.length === 1`) {
		t.Fatal("the facilitator does not see the raised hand")
	}
	fac.Click("Next speaker")
	if !hintIs(mem, "Sharing: you have the floor, unmute to share. Chat is closed.") {
		t.Fatal("the member called on is not told to unmute")
	}
	if !mem.WaitFor(10*time.Second, `/^0:(0[5-9]|10) left for Astrid$/.test(document.getElementById('share-timer').textContent)`) {
		var got string
		mem.Eval(`document.getElementById('share-timer').textContent`, &got)
		t.Errorf("the share timer shows %q, want the segment's 10 seconds for Astrid", got)
	}
	mem.Click("Unmute")
	if n := awaitAudio(fac, 1); n != 1 {
		t.Fatalf("the member called on unmuted, and the facilitator receives %d audio tracks, want 1", n)
	}
	if !mem.WaitFor(15*time.Second, `document.body.innerText.includes("Your share time is up")`) {
		t.Fatal("the member's page does not say the share time is up")
	}
	if !mem.WaitFor(10*time.Second, `document.getElementById('mute').textContent.startsWith('Unmute')`) {
		t.Error("the timer did not mute the member's page")
	}
	forceMicOn(mem)
	if n := awaitAudio(fac, 0); n != 0 {
		t.Errorf("after the timer muted the member (microphone forced on), the facilitator receives %d audio tracks, want 0", n)
	}

	// Closing: facilitators only again; the contributions link.
	fac.Click("Next segment")
	if !segmentShown(mem, "Closing", "Segment 3 of 3", "Thank you for coming.") {
		t.Fatal("the member's page does not show the closing segment")
	}
	if !mem.WaitFor(10*time.Second, `(() => { const a = document.getElementById('contributions-link');
		return !document.getElementById('contributions').hidden && a.href === 'https://example.org/give' &&
			a.rel.includes('noopener'); })()`) {
		t.Error("the closing segment does not show the contributions link")
	}
	if !fac.WaitFor(10*time.Second, `document.getElementById('segment-next').hidden && !document.getElementById('segment-prev').hidden`) {
		t.Error("the facilitator sees Next segment in the last segment, or no Previous segment")
	}
	fac.Click("Previous segment")
	if !segmentShown(mem, "Sharing", "Segment 2 of 3", "Raise your hand to share. No cross-talk.") {
		t.Error("Previous segment does not bring the member's page back to the sharing")
	}
	var linkShown bool
	mem.Eval(`!document.getElementById('contributions').hidden`, &linkShown)
	if linkShown {
		t.Error("the contributions link shows outside the closing segment")
	}
}

// memberRefusedUnmute: in a facilitators-only segment the member presses
// Unmute; the server answers not_allowed naming the segment, the page
// shows that message and keeps Unmute; with the microphone forced on the
// facilitator receives none of the member's audio though the member's
// browser sends it.
func memberRefusedUnmute(t *testing.T, mem, fac *webtest.Page, segment string) {
	t.Helper()
	var before int
	mem.Eval(`window.__wireErrors.length`, &before)
	mem.Click("Unmute")
	want := `only facilitators speak during "` + segment + `"`
	if !mem.WaitFor(10*time.Second, `window.__wireErrors.slice(`+jsInt(before)+`).some(e => e.code === 'not_allowed' && e.message.includes(`+jsQuote(want)+`))`) {
		var errs []map[string]any
		mem.Eval(`window.__wireErrors`, &errs)
		b, _ := json.Marshal(errs)
		t.Fatalf("the server did not refuse the member's unmute with not_allowed %q; errors on the wire: %s", want, b)
	}
	if !mem.WaitFor(10*time.Second, webtest.StatusSays(want)) {
		t.Error("the page does not show the server's refusal")
	}
	var label string
	mem.Eval(`document.getElementById('mute').textContent`, &label)
	if !strings.HasPrefix(label, "Unmute") {
		t.Errorf("after the refusal the microphone button says %q, want Unmute", label)
	}
	forceMicOn(mem)
	sent := mem.SentBytes("audio")
	if n := awaitAudio(fac, 0); n != 0 {
		t.Errorf("in %q the facilitator receives %d audio tracks from a member whose microphone is on, want 0", segment, n)
	}
	if mem.SentBytes("audio") <= sent {
		t.Errorf("the member's browser sent no audio; the test proves nothing")
	}
}

func jsInt(n int) string { b, _ := json.Marshal(n); return string(b) }
