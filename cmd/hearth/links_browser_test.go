package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// In real Chromium: a member waiting for the facilitator is told kindly,
// when an operator rotates the room's links, that the link was replaced;
// the old link, opened again, says it is no longer valid; the new one
// lets people in; and an invite link works once.
func TestBrowserRotatedLink(t *testing.T) {
	ts := startServer(t, "--admin-token", "tok")
	links := newRoom(t, ts, `{"name":"Wednesday group"}`)
	id, _ := roomAndKey(links.MemberLink)
	browser := webtest.NewBrowser(t)

	waiting := joinPage(t, browser, links.MemberLink, "Ulrich")
	if !waiting.WaitFor(10*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
		t.Fatal("the member did not reach the waiting room")
	}
	var rotated roomLinks
	if code := apiCall(t, ts, http.MethodPost, "/api/rooms/"+id+"/rotate-links", "", &rotated); code != http.StatusOK {
		t.Fatalf("rotate: HTTP %d", code)
	}
	if !waiting.WaitFor(10*time.Second, `document.body.innerText.includes("This link has been replaced.")`+
		` && document.body.innerText.includes("Ask the group's facilitator for the new link.")`) {
		t.Error("the waiting member's page does not say the link was replaced")
	}

	again := joinPage(t, browser, links.MemberLink, "Vesna")
	if !again.WaitFor(10*time.Second, `document.body.innerText.includes("This link is not valid any more.")`+
		` && document.body.innerText.includes("Ask the group's facilitator for the current link.")`) {
		t.Error("the old link does not say it is no longer valid")
	}
	fresh := joinPage(t, browser, rotated.MemberLink, "Wilhelmina")
	if !fresh.WaitFor(10*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
		t.Error("the new member link does not let people in")
	}

	var inv struct{ Link string }
	if code := apiCall(t, ts, http.MethodPost, "/api/rooms/"+id+"/invites", `{"uses":1,"expires":"1h"}`, &inv); code != http.StatusCreated ||
		!strings.Contains(inv.Link, "#i=") {
		t.Fatalf("invite: HTTP %d %+v", code, inv)
	}
	invited := joinPage(t, browser, inv.Link, "Xaver")
	if !invited.WaitFor(10*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
		t.Error("the invite link does not let its person in")
	}
	second := joinPage(t, browser, inv.Link, "Yusuf")
	if !second.WaitFor(10*time.Second, `document.body.innerText.includes("This link is not valid any more.")`+
		` && document.body.innerText.includes("invite link is used up or has expired")`) {
		t.Error("a single-use invite let a second person in, or said nothing clear")
	}
}
