package main

import (
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// waitingControls is a JS expression: the controls of the meeting that a
// page shows (visible), by name; a waiting person should see none.
const waitingControls = `[...document.querySelectorAll('button, textarea, select')]` +
	`.filter(el => el.checkVisibility() && ["Rename me", "Raise hand", "Send", "Message", "Mute", "Unmute", "Stop camera"]` +
	`.some(n => (el.textContent.trim() || el.labels?.[0]?.textContent.trim() || "") === n)).map(el => el.textContent.trim() || el.id)`

// In real Chromium, with a room whose waiting room is on: people waiting
// are offered no rename, chat or hand; the facilitator's waiting-room
// panel has "Deny all" beside "Admit all", and Deny all sends everyone
// waiting away; the facilitator's page, reloaded, comes back as the
// facilitator (the key in the link's fragment goes with the identity).
func TestBrowserWaitingRoomDenyAll(t *testing.T) {
	ts := startServer(t, "--admin-token", "tok")
	links := newRoom(t, ts, `{"name":"Thursday group"}`)

	browser := webtest.NewBrowser(t)
	join := func(link, name string) *webtest.Page { return joinPage(t, browser, link, name) }
	fac := join(links.FacilitatorLink, "Philippa")
	fac.WaitVisible(webtest.Button("Deny all"))
	var panel []string
	fac.Eval(`[...document.querySelectorAll('#waiting-panel button')].map(b => b.textContent.trim())`, &panel)
	if len(panel) < 2 || panel[0] != "Admit all" || panel[1] != "Deny all" {
		t.Errorf("the waiting-room panel's buttons are %q, want Admit all then Deny all first", panel)
	}

	var offered []string
	fac.Eval(waitingControls, &offered)
	if len(offered) < 3 {
		t.Fatalf("the facilitator's page is offered %q: the check of controls finds nothing", offered)
	}

	waiting := []*webtest.Page{join(links.MemberLink, "Ulrich"), join(links.MemberLink, "Vesna")}
	for _, p := range waiting {
		if !p.WaitFor(10*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
			t.Fatal("a newcomer does not see the waiting screen")
		}
		var offered []string
		p.Eval(waitingControls, &offered)
		if len(offered) != 0 {
			t.Errorf("a waiting person is offered %q", offered)
		}
	}
	if !fac.WaitFor(10*time.Second, `document.querySelectorAll('#waiting-list li').length === 2`) {
		t.Fatal("the facilitator does not see two people waiting")
	}

	start := time.Now()
	fac.Click("Deny all")
	for _, p := range waiting {
		if !p.WaitFor(10*time.Second, `document.body.innerText.includes("The facilitator did not admit you.")`) {
			t.Error("a waiting person's page does not say they were not admitted")
		}
	}
	if !fac.WaitFor(10*time.Second, `document.querySelectorAll('#waiting-list li').length === 0`) {
		t.Error("the facilitator still sees people waiting after Deny all")
	}
	t.Logf("Deny all: 2 waiting pages told, the facilitator's list empty, in %v", time.Since(start).Round(time.Millisecond))

	// The facilitator reloads: back as the facilitator, and still lets people in.
	fac.Reload()
	fac.WaitVisible(webtest.Button("Join"))
	var name string
	fac.Eval(`document.getElementById('name').value`, &name)
	if name == "" {
		fac.Type("Your name", "Philippa")
	}
	fac.Click("Join")
	fac.WaitVisible(webtest.Button("Deny all"))
	if !fac.WaitFor(10*time.Second, entryHas("Philippa", "facilitator")) {
		t.Fatal("after a reload the facilitator's page does not show her as facilitator")
	}
	late := join(links.MemberLink, "Wilhelmina")
	if !late.WaitFor(10*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
		t.Fatal("a newcomer after Deny all does not see the waiting screen")
	}
	if !fac.WaitFor(10*time.Second, `document.querySelectorAll('#waiting-list li').length === 1`) {
		t.Fatal("the reloaded facilitator does not see the newcomer waiting")
	}
	fac.Click("Admit all")
	late.WaitVisible(webtest.Button("Leave"))
	if !late.WaitFor(10*time.Second, participantsHas("Wilhelmina")) {
		t.Error("the admitted newcomer's page does not list her")
	}
}
