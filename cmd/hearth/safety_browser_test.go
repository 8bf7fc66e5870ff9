package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearth-meet/hearth/web/webtest"
)

// visibleText is a JS expression: the page shows text (in an element
// that is not hidden).
func visibleText(text string) string {
	return fmt.Sprintf(`document.body.innerText.includes(%q)`, text)
}

// Issue 14's safety items in real Chromium, in the demo room (first names
// only, as every new room): a two-word name and a 22-character one are
// refused with a clear message on the pre-join page; "I'm new here" is
// shown to the facilitator and to no member; a member's report of a chat
// message reaches the facilitator's page at once and no member's page;
// "Get help now" (--crisis-text) opens from the pre-join page, the meeting
// and the removed page; both pages say "This meeting is not recorded by
// Hearth".
func TestBrowserSafety(t *testing.T) {
	const crisis = "Crisis line: call 988\nOn-call counsellor: 555-0100"
	ts := startServer(t, "--crisis-text", crisis)
	browser := webtest.NewBrowser(t)
	const notRecorded = "This meeting is not recorded by Hearth"

	nova := browser.NewPage(t, ts.memberLink)
	nova.WaitVisible(webtest.Labelled("Your name"))
	if !nova.WaitFor(10*time.Second, visibleText(notRecorded)) {
		t.Error("the pre-join page does not say it is not recorded")
	}
	checkHelp(t, nova, "pre-join")
	for _, name := range []string{"Nova Quinn", "Novabellatrixandrinaxx"} {
		nova.Eval(`document.getElementById('name').value = ''`, new(string))
		nova.Type("Your name", name)
		nova.Click("Join")
		if !nova.WaitFor(10*time.Second, `(document.getElementById('name-error')?.textContent || '').includes('first names only') && !document.getElementById('name-error').hidden && document.body.dataset.view === 'prejoin'`) {
			var view, msg string
			nova.Eval(`document.body.dataset.view`, &view)
			nova.Eval(`document.getElementById('name-error')?.textContent || ''`, &msg)
			t.Fatalf("joining as %q: view %q, name error %q; want the first-names-only message on the pre-join page", name, view, msg)
		}
	}
	nova.Eval(`document.getElementById('name').value = ''`, new(string))
	nova.Type("Your name", "Nova")
	nova.Eval(`document.getElementById('new-here').click(), true`, new(bool))
	nova.Click("Join")
	nova.WaitVisible(webtest.Button("Leave"))

	fac := joinPage(t, browser, ts.facilitatorLink, "Fennel")
	rex := joinPage(t, browser, ts.memberLink, "Rex")
	for _, p := range []*webtest.Page{fac, rex, nova} {
		for _, name := range []string{"Nova", "Rex", "Fennel"} {
			if !p.WaitFor(15*time.Second, participantsHas(name)) {
				t.Fatalf("a page does not list %s", name)
			}
		}
	}
	if !fac.WaitFor(10*time.Second, webtest.ListedWith("Nova", "new here")) {
		t.Error("the facilitator's list does not say Nova is new here")
	}
	for who, p := range map[string]*webtest.Page{"Rex": rex, "Nova": nova} {
		var shown bool
		p.Eval(`document.body.innerText.includes('new here')`, &shown)
		if shown {
			t.Errorf("%s's page says someone is new here", who)
		}
	}
	if !nova.WaitFor(10*time.Second, visibleText(notRecorded)) {
		t.Error("the meeting does not say it is not recorded")
	}
	checkHelp(t, nova, "meeting")

	// Rex writes; Nova reports the message.
	rex.Type("Message", "Canarytext you are all weak")
	rex.Click("Send")
	if !nova.WaitFor(10*time.Second, visibleText("Canarytext you are all weak")) {
		t.Fatal("Nova's chat does not show Rex's message")
	}
	const reason = "Canaryreason this is not okay"
	nova.Click("Report message from Rex")
	nova.WaitVisible(webtest.Labelled("What happened (optional)"))
	nova.Type("What happened (optional)", reason)
	nova.Click("Send report")
	if !nova.WaitFor(10*time.Second, webtest.StatusSays("Your report was sent to the facilitators")) {
		t.Error("Nova's page does not say the report was sent")
	}
	reported := `[...document.querySelectorAll('ul[aria-label="Reports"] li')].some(li => li.textContent.includes('Nova reported Rex') && li.textContent.includes(` + fmt.Sprintf("%q", reason) + `))`
	if !fac.WaitFor(10*time.Second, reported) {
		t.Fatal("the facilitator's page does not show Nova's report")
	}
	// Rex writes again: once the members' pages show that, the report
	// (sent before it) would be there too.
	rex.Type("Message", "Canarymarker")
	rex.Click("Send")
	for who, p := range map[string]*webtest.Page{"Rex": rex, "Nova": nova} {
		if !p.WaitFor(10*time.Second, visibleText("Canarymarker")) {
			t.Fatalf("%s's page does not show the marker", who)
		}
		var got string
		p.Eval(`document.getElementById('reports-list').textContent + (document.getElementById('reports-panel').hidden ? '' : 'PANEL') + (document.body.innerText.includes('Canaryreason') ? 'REASON' : '')`, &got)
		if got != "" {
			t.Errorf("%s's page shows a report: %q", who, got)
		}
	}
	fac.Click("Dismiss report about Rex")
	if !fac.WaitFor(10*time.Second, `document.getElementById('reports-panel').hidden`) {
		t.Error("the dismissed report stays on the facilitator's page")
	}

	// Rex is removed: the removed page still has Get help now.
	fac.Click("Remove Rex")
	var confirm bool
	fac.Eval(`[...document.querySelectorAll('button')].some(b => b.textContent.trim() === "Confirm remove Rex")`, &confirm)
	if confirm {
		fac.Click("Confirm remove Rex")
	}
	if !rex.WaitFor(10*time.Second, `document.body.dataset.view === 'ended'`) {
		t.Fatal("Rex's page did not end")
	}
	checkHelp(t, rex, "removed")
	if strings.Contains(ts.logs.String(), "Canary") {
		t.Error("the server's log holds chat or report text")
	}
}

// checkHelp opens and closes "Get help now" on p, which must show the
// operator's crisis text.
func checkHelp(t *testing.T, p *webtest.Page, where string) {
	t.Helper()
	p.Click("Get help now")
	if !p.WaitFor(10*time.Second, `!document.getElementById('help-panel').hidden && document.getElementById('help-text').innerText.includes('call 988') && document.getElementById('help-text').innerText.includes('555-0100')`) {
		t.Errorf("%s: Get help now does not show the crisis text", where)
		return
	}
	p.Click("Close help")
	if !p.WaitFor(10*time.Second, `document.getElementById('help-panel').hidden`) {
		t.Errorf("%s: Close help leaves the panel open", where)
	}
}

// checkerY4M writes a Y4M video of one 640x360 frame, a black and white
// checkerboard of 10-pixel squares, for Chromium's fake camera
// (--use-file-for-fake-video-capture): a background full of edges.
func checkerY4M(t *testing.T) string {
	t.Helper()
	const w, h, sq = 640, 360, 10
	var b bytes.Buffer
	fmt.Fprintf(&b, "YUV4MPEG2 W%d H%d F30:1 Ip A1:1 C420jpeg\nFRAME\n", w, h)
	for y := range h {
		for x := range w {
			if (x/sq+y/sq)%2 == 0 {
				b.WriteByte(235)
			} else {
				b.WriteByte(16)
			}
		}
	}
	b.Write(bytes.Repeat([]byte{128}, w*h/2)) // U and V: grey
	path := filepath.Join(t.TempDir(), "checker.y4m")
	if err := os.WriteFile(path, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// edgesJS is a JS function: the mean difference between horizontal
// neighbours (of the red channel) in the top-left quarter of a video's
// current frame, drawn on a canvas at its own size: high for a sharp
// checkerboard, low once blurred; -1 when the frame is black (a blurred
// checkerboard is mid-grey), which is not a blurred picture.
const edgesJS = `(v => { const c = document.createElement('canvas'); c.width = v.videoWidth; c.height = v.videoHeight;
  const x = c.getContext('2d'); x.drawImage(v, 0, 0); const w = Math.floor(c.width / 4), h = Math.floor(c.height / 4);
  const d = x.getImageData(0, 0, w, h).data; let s = 0, n = 0, sum = 0;
  for (let y = 0; y < h; y++) for (let i = 1; i < w; i++) { const a = (y * w + i) * 4; s += Math.abs(d[a] - d[a - 4]); sum += d[a]; n++; }
  return n && sum / n > 60 ? s / n : -1; })`

// Background blur (issue 14): the camera shows a checkerboard. Without
// blur, the facilitator receives the member's picture sharp; with "Blur
// background" on (the More menu in the meeting, the switch on the
// pre-join page), the frame received (or previewed) differs from the raw
// camera frame in the background: its edges are mostly gone. No request
// leaves the page for a model (or anything but the server itself).
func TestBrowserBlur(t *testing.T) {
	ts := startServer(t)
	browser := webtest.NewBrowserWith(t, webtest.Options{Flags: map[string]any{"use-file-for-fake-video-capture": checkerY4M(t)}})
	fac := joinPage(t, browser, ts.facilitatorLink, "Fennel")
	fac.WaitVisible(webtest.Button("Leave"))
	mem := joinPage(t, browser, ts.memberLink, "Mira")
	mem.WaitVisible(webtest.Button("Leave"))

	// The raw camera frame, opened by the test in the facilitator's page.
	var raw float64
	fac.Eval(`(async () => { const s = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 360}});
	  const v = document.createElement('video'); v.muted = true; v.srcObject = s; await v.play();
	  await new Promise(r => setTimeout(r, 500)); const e = (`+edgesJS+`)(v); s.getTracks().forEach(t => t.stop()); return e; })()`, &raw)
	received := func() float64 {
		var e float64
		fac.Eval(`(async () => { const v = [...document.querySelectorAll('video[data-participant-id]')].find(v => v.videoWidth > 0);
		  if (!v) return -1; await new Promise(r => setTimeout(r, 300)); return (`+edgesJS+`)(v); })()`, &e)
		return e
	}
	var sharp float64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if sharp = received(); sharp >= raw/2 {
			break
		}
	}
	t.Logf("edges in the top-left quarter: raw camera %.1f, received without blur %.1f", raw, sharp)
	if raw < 15 || sharp < raw/2 {
		t.Fatalf("without blur the received frame is not sharp: raw %.1f, received %.1f", raw, sharp)
	}

	// In the meeting the switch is the More menu's item (the pre-join
	// page's, of the same name, is hidden).
	mem.Click("More")
	mem.Run(chromedp.Click(`//button[@role="menuitem" and normalize-space(.)="Blur background"]`, chromedp.NodeVisible))
	var blurred float64
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if blurred = received(); blurred >= 0 && blurred < raw/4 {
			break
		}
	}
	t.Logf("received with blur %.1f", blurred)
	if blurred < 0 || blurred >= raw/4 {
		t.Errorf("with blur on, the received frame's background still has edges: %.1f (raw %.1f)", blurred, raw)
	}

	// The pre-join switch: the preview is blurred.
	pre := browser.NewPage(t, ts.memberLink)
	pre.WaitVisible(webtest.Labelled("Your name"))
	pre.Run(chromedp.Click(`//button[@role="switch" and normalize-space(.)="Blur background"]`, chromedp.NodeVisible))
	var preview float64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		var on string
		pre.Eval(`document.getElementById('blur-switch').getAttribute('aria-checked')`, &on)
		pre.Eval(`(async () => { const v = document.getElementById('preview'); if (!v.videoWidth) return -1;
		  await new Promise(r => setTimeout(r, 300)); return (`+edgesJS+`)(v); })()`, &preview)
		if on == "true" && preview >= 0 && preview < raw/4 {
			break
		}
	}
	t.Logf("pre-join preview with blur %.1f", preview)
	if preview < 0 || preview >= raw/4 {
		t.Errorf("with the pre-join switch on, the preview still has edges: %.1f (raw %.1f)", preview, raw)
	}

	// What the pages fetched: nothing but the server's own page and assets.
	origin := "http://" + ts.addr.String()
	for who, p := range map[string]*webtest.Page{"member": mem, "pre-join": pre, "facilitator": fac} {
		var urls []string
		p.Eval(`[location.href, ...performance.getEntriesByType('resource').map(e => e.name)]`, &urls)
		for _, u := range urls {
			if !strings.HasPrefix(u, origin+"/") || strings.HasSuffix(u, ".tflite") || strings.HasSuffix(u, ".wasm") ||
				strings.HasSuffix(u, ".task") || strings.HasSuffix(u, ".binarypb") {
				t.Errorf("the %s page fetched %s", who, u)
			}
		}
		t.Logf("the %s page fetched %d resources, all from %s", who, len(urls), origin)
	}
}
