package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
	"github.com/hearth-meet/hearth/web/webtest"
)

// shownTiles is a JS expression: the ids of the tiles the stage shows
// (on this page of tiles, or the one speaker), in order.
const shownTiles = `[...document.querySelectorAll('[data-tile-id]')].filter((t) => {
  const r = t.getBoundingClientRect();
  return !t.classList.contains('off-page') && r.width > 20 && r.height > 20 && t.checkVisibility();
}).map((t) => t.getAttribute('data-tile-id'))`

// pickSource is a JS expression: chooses, in the picker labelled label,
// its option number n (0 is the default device) as a person would, and
// returns the chosen device id ("" when there is no such option).
func pickSource(label string, n int) string {
	return fmt.Sprintf(`(() => {
  const s = [...document.querySelectorAll('label')].find((l) => l.textContent.trim() === %q)?.control;
  if (!s || s.options.length <= %d) return '';
  s.value = s.options[%d].value;
  s.dispatchEvent(new Event('change', { bubbles: true }));
  return s.value;
})()`, label, n, n)
}

// liveFrom is a JS expression: the page's only live track of kind comes
// from the device id.
func liveFrom(kind, id string) string {
	return fmt.Sprintf(`(() => { const live = window.__hearthTracks.filter((t) => t.kind === %q && t.readyState === 'live');
  return live.length === 1 && live[0].getSettings().deviceId === %q; })()`, kind, id)
}

// sendsFrom is a JS expression: a peer connection of the page sends a
// track of kind from the device id.
func sendsFrom(kind, id string) string {
	return fmt.Sprintf(`(window.__hearthPCs || []).some((pc) => pc.connectionState !== 'closed' && pc.getSenders().some((s) =>
  s.track && s.track.kind === %q && s.track.readyState === 'live' && s.track.getSettings().deviceId === %q))`, kind, id)
}

// The pre-join page shows the room's name in its top bar (asked of the
// server with the link's key; a link with a wrong key shows none), and
// its Camera source and Microphone source pickers choose the devices:
// Chromium is given two fake cameras (device-count=2) and fakes several
// microphones; the second of each, picked before joining, is the one
// previewed and then the one published.
func TestBrowserPrejoinNameAndSources(t *testing.T) {
	ts := startServer(t)
	b := webtest.NewBrowserWith(t, webtest.Options{Flags: map[string]any{"use-fake-device-for-media-stream": "device-count=2"}})
	const topBarHas = `document.querySelector('header').textContent.includes('Demo meeting')`
	wrong := b.NewPage(t, ts.memberLink[:strings.Index(ts.memberLink, "#")]+"#k=not-the-key")
	p := b.NewPage(t, ts.memberLink)
	p.WaitVisible(webtest.Labelled("Your name"))
	if !p.WaitFor(10*time.Second, topBarHas) {
		t.Error("the pre-join page's top bar does not show the room's name, Demo meeting")
	}
	wrong.WaitVisible(webtest.Labelled("Your name"))
	var leaked bool
	if wrong.Eval(topBarHas, &leaked); leaked {
		t.Error("a page whose link has a wrong key shows the room's name")
	}

	chosen := map[string]string{}
	for _, c := range []struct{ label, kind string }{{"Camera source", "video"}, {"Microphone source", "audio"}} {
		if !p.WaitFor(10*time.Second, fmt.Sprintf(`[...document.querySelectorAll('label')].find((l) => l.textContent.trim() === %q)?.control.options.length >= 3`, c.label)) {
			t.Fatalf("the %s picker does not offer two devices besides the default", c.label)
		}
		var id string
		p.Eval(pickSource(c.label, 2), &id)
		if id == "" || !p.WaitFor(10*time.Second, liveFrom(c.kind, id)) {
			t.Fatalf("after picking the second device in %s, the preview's %s does not come from it (only)", c.label, c.kind)
		}
		chosen[c.kind] = id
	}
	p.Type("Your name", "Pickerel")
	p.Click("Join")
	p.WaitVisible(webtest.Button("Leave"))
	for kind, id := range chosen {
		if !p.WaitFor(20*time.Second, sendsFrom(kind, id)) {
			t.Errorf("in the meeting, the page does not send its %s from the device picked before joining", kind)
		}
	}
}

// A page that arrives before its script (held back, as on a slow
// network) shows the name form, but its Join button cannot be pressed
// yet: a person who types a name and presses Join, or Enter in the name
// field, stays on the page, and their name does not go into the page's
// address (a plain form would submit it there, for any proxy's log, and
// reload the page empty). Once the script arrives, Join joins under the
// name typed before, and the address still holds no name. Until the
// script is there, "Getting the page ready… If this stays, reload the
// page." stands under Join; then it goes.
func TestBrowserJoinWaitsForTheScript(t *testing.T) {
	ts := startServer(t)
	p, release := webtest.NewBrowser(t).OpenHolding(t, ts.memberLink, "*/assets/ui.js")
	p.WaitVisible(webtest.Labelled("Your name"))
	var before struct {
		Note     string
		Disabled bool
	}
	p.Eval(`({note: document.getElementById('media-note').textContent, disabled: document.getElementById('join').disabled})`, &before)
	if before.Note != "Asking for your camera and microphone…" {
		t.Fatalf("the page's script ran although it was held (the media note says %q)", before.Note)
	}
	if !before.Disabled {
		t.Error("before the page's script runs, its Join button can be pressed")
	}
	p.WaitVisible(`//p[contains(., "Getting the page ready")]`)
	p.Type("Your name", "Wren")
	p.Run(chromedp.Click(webtest.Button("Join"), chromedp.NodeVisible))
	p.Run(chromedp.SendKeys(webtest.Labelled("Your name"), kb.Enter, chromedp.NodeVisible))
	release()
	if !p.WaitFor(10*time.Second, `!document.getElementById('join').disabled`) {
		t.Fatal("the Join button is not enabled once the page's script arrived")
	}
	var waitNote bool
	if p.Eval(`document.getElementById('join-wait').checkVisibility()`, &waitNote); waitNote {
		t.Error(`"Getting the page ready…" is still shown once the script has run`)
	}
	p.Click("Join")
	p.WaitVisible(webtest.Button("Leave"))
	if !p.WaitFor(10*time.Second, webtest.ListedWith("Wren", "(you)")) {
		t.Error("the Participants list does not show the name typed before the script arrived")
	}
	var search string
	if p.Eval(`location.search`, &search); search != "" {
		t.Errorf("the page's address has the query %q after pressing Join before its script ran, want none", search)
	}
}

// Thirteen people in a meeting (one page, twelve pion participants): more
// than a page of tiles holds (at most 12). The stage shows "Page 1 of 2"
// with Next page; Next page shows other tiles, every participant's tile
// is on one of the two pages, and Previous page shows the first ones
// again. Speaker view (under More) shows one tile, the person the
// facilitator called on, filling most of the stage, and no pager; Grid
// view brings the pages back.
func TestBrowserStagePagesAndSpeakerView(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	roomID, member := roomAndKey(ts.memberLink)
	_, facKey := roomAndKey(ts.facilitatorLink)
	wsURL := "ws://" + ts.addr.String() + "/ws"
	p := joinPage(t, webtest.NewBrowser(t), ts.memberLink, "Pagina")
	p.WaitVisible(webtest.Button("Leave"))
	p.Emulate(webtest.Desktop)
	fac := signalingtest.NewBot(t, ctx, wsURL, protocol.Join{Room: roomID, Name: "Facil", FacilitatorKey: facKey})
	for i := range 11 {
		signalingtest.NewBot(t, ctx, wsURL, protocol.Join{Room: roomID, Name: fmt.Sprintf("Bot%02d", i+1), MemberKey: member})
	}
	if !p.WaitFor(30*time.Second, `document.querySelectorAll('[data-tile-id]').length === 13`) {
		t.Fatal("the stage does not have 13 tiles")
	}
	var all, first, second, again []string
	p.Eval(`[...document.querySelectorAll('[data-tile-id]')].map((t) => t.getAttribute('data-tile-id'))`, &all)
	if !p.WaitFor(10*time.Second, textShown("Page 1 of 2")) {
		t.Fatal(`the stage does not say "Page 1 of 2" with 13 tiles`)
	}
	p.Eval(shownTiles, &first)
	p.Click("Next page")
	if !p.WaitFor(10*time.Second, textShown("Page 2 of 2")) {
		t.Fatal(`Next page does not lead to "Page 2 of 2"`)
	}
	p.Eval(shownTiles, &second)
	union := slices.Concat(first, second)
	slices.Sort(union)
	slices.Sort(all)
	if len(first) == 0 || len(second) == 0 || !slices.Equal(slices.Compact(union), all) || len(union) != len(all) {
		t.Errorf("the two pages show %v and %v, want every one of the 13 tiles exactly once", first, second)
	}
	p.Click("Previous page")
	if !p.WaitFor(10*time.Second, textShown("Page 1 of 2")) {
		t.Fatal(`Previous page does not lead back to "Page 1 of 2"`)
	}
	if p.Eval(shownTiles, &again); !slices.Equal(again, first) {
		t.Errorf("back on page 1 the stage shows %v, want %v again", again, first)
	}

	var bot string
	signalingtest.WaitFor(t, 10*time.Second, "Bot07's id", func() bool { bot = idOf(fac, "Bot07"); return bot != "" })
	if err := fac.P.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActLetSpeak), Target: bot}); err != nil {
		t.Fatal(err)
	}
	p.Click("Speaker view")
	if !p.WaitFor(10*time.Second, fmt.Sprintf(`JSON.stringify(%s) === JSON.stringify([%q])`, shownTiles, bot)) {
		var shown []string
		p.Eval(shownTiles, &shown)
		t.Fatalf("Speaker view shows %v, want only the tile of Bot07, who was called on", shown)
	}
	stage := p.Box(`document.querySelector('[data-tile-id]').parentElement`)
	tile := p.Box(fmt.Sprintf(`document.querySelector('[data-tile-id=%q]')`, bot))
	if tile.Width*tile.Height < 0.5*stage.Width*stage.Height {
		t.Errorf("the speaker's tile (%v) covers less than half the stage (%v)", tile, stage)
	}
	var pager bool
	if p.Eval(`[...document.querySelectorAll('button')].some((b) => b.textContent.trim() === 'Next page' && b.checkVisibility())`, &pager); pager {
		t.Error("Speaker view still shows Next page")
	}
	p.Click("Grid view")
	if !p.WaitFor(10*time.Second, textShown("Page 1 of 2")+` && `+shownTiles+`.length > 1`) {
		t.Error("Grid view does not bring back the pages of tiles")
	}
}

// textShown is a JS expression: the page shows text (visible) somewhere.
func textShown(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('body *')].some((e) => e.children.length === 0 && e.textContent.trim() === %q && e.checkVisibility())`, text)
}
