package main

import (
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/hearth-meet/hearth/web/webtest"
)

// buttonShown is a JS expression: a visible button named name.
func buttonShown(name string) string {
	return `[...document.querySelectorAll('button')].some(b => b.textContent.trim() === ` + jsString(name) + ` && b.offsetParent !== null)`
}

// screenShownBy is a JS expression: the page shows a screen shared by
// name, large above the tiles, with a picture playing.
func screenShownBy(name string) string {
	return `(() => { const view = document.getElementById('screen-view'), v = document.getElementById('screen-video');
  return !!view && !view.hidden && view.textContent.includes(` + jsString(name) + `) &&
    v.videoWidth > 0 && !v.paused && view.getBoundingClientRect().height > document.getElementById('tiles').getBoundingClientRect().height; })()`
}

// noScreenShown is a JS expression: the page shows no shared screen.
const noScreenShown = `document.getElementById('screen-view').hidden`

// screenFrames is a JS expression: frames the page decoded of the
// screen it shows.
const screenFrames = `(() => { const v = document.getElementById('screen-video');
  return v && v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0; })()`

func jsString(s string) string { return "'" + s + "'" }

// screenState is a JS expression: what the page's screen view holds, for
// failure messages.
const screenState = `(() => { const view = document.getElementById('screen-view'), v = document.getElementById('screen-video');
  return JSON.stringify({hidden: view.hidden, text: view.textContent.trim(), width: v.videoWidth, paused: v.paused,
    hasStream: !!v.srcObject, viewHeight: view.getBoundingClientRect().height,
    tilesHeight: document.getElementById('tiles').getBoundingClientRect().height}); })()`

func screenDebug(p *webtest.Page) string {
	var s string
	p.Eval(screenState, &s)
	return s
}

// A facilitator shares her screen (Chromium's getDisplayMedia, which
// headless Chromium answers with a fake screen under
// --use-fake-ui-for-media-stream): both members decode it, shown larger
// than the tiles, and it goes when she stops. Members have no Share screen
// button until the facilitator allows members in the room settings; then
// a member shares and everyone else decodes it.
func TestBrowserScreenShare(t *testing.T) {
	ts := startServer(t)
	browser := webtest.NewBrowser(t)
	join := func(link, name string) *webtest.Page {
		p := joinPage(t, browser, link, name)
		p.WaitVisible(webtest.Button("Leave"))
		return p
	}
	fac := join(ts.facilitatorLink, "Florence")
	mateo := join(ts.memberLink, "Mateo")
	ines := join(ts.memberLink, "Ines")
	members := map[string]*webtest.Page{"Mateo": mateo, "Ines": ines}
	for name, p := range members {
		if !p.WaitFor(10*time.Second, participantsHas("Florence")) {
			t.Fatalf("%s's page does not list Florence", name)
		}
		var shown bool
		if p.Eval(buttonShown("Share screen"), &shown); shown {
			t.Errorf("%s, a member, has a Share screen button in a room that does not let members share", name)
		}
	}

	fac.Click("Share screen")
	fac.WaitVisible(webtest.Button("Stop sharing"))
	for name, p := range members {
		if !p.WaitFor(20*time.Second, screenShownBy("Florence")) {
			t.Fatalf("%s's page does not show Florence's screen playing, large, within 20 s: %s", name, screenDebug(p))
		}
		// It keeps playing: more frames decoded (waited for, not counted
		// over one second a loaded machine may spend elsewhere).
		var a int
		p.Eval(screenFrames, &a)
		if !p.WaitFor(10*time.Second, screenFrames+` > `+strconv.Itoa(a)) {
			t.Errorf("%s's page decoded no more frame of Florence's screen in 10 s (%d frames)", name, a)
		}
	}
	fac.Click("Stop sharing")
	fac.WaitVisible(webtest.Button("Share screen"))
	for name, p := range members {
		if !p.WaitFor(10*time.Second, noScreenShown) {
			t.Errorf("%s's page still shows Florence's screen 10 s after she stopped", name)
		}
	}

	// The facilitator lets members share.
	fac.Run(chromedp.Click(`//summary[normalize-space(.)="Facilitator controls"]`, chromedp.NodeVisible))
	fac.Run(chromedp.Click(`//summary[normalize-space(.)="Room settings"]`, chromedp.NodeVisible))
	fac.Run(chromedp.Click(webtest.Labelled("Members may share their screen"), chromedp.NodeVisible))
	if !mateo.WaitFor(10*time.Second, buttonShown("Share screen")) {
		t.Fatal("Mateo has no Share screen button 10 s after the facilitator let members share")
	}
	mateo.Click("Share screen")
	mateo.WaitVisible(webtest.Button("Stop sharing"))
	for name, p := range map[string]*webtest.Page{"Florence": fac, "Ines": ines} {
		if !p.WaitFor(20*time.Second, screenShownBy("Mateo")) {
			t.Errorf("%s's page does not show Mateo's screen playing within 20 s: %s", name, screenDebug(p))
		}
	}
}
