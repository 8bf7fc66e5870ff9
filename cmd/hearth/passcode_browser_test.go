package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// In real Chromium, a room created with a passcode through the operators'
// API: the facilitator link needs none; a member's page asks for it after
// Join (a field whose accessible name is "Passcode"), refuses a wrong one
// with a clear message, and lets the member into the waiting room with
// the right one. The passcode is in no log line.
func TestBrowserPasscode(t *testing.T) {
	const pass = "just for today"
	ts := startServer(t, "--admin-token", "tok")
	if code, _ := createRoom(t, ts, "tok", `{"name":"Short","passcode":"abc"}`); code != http.StatusBadRequest {
		t.Errorf("a passcode of 3 characters: HTTP %d, want 400", code)
	}
	code, links := createRoom(t, ts, "tok", `{"name":"Friday group","passcode":"`+pass+`"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: HTTP %d", code)
	}

	browser := webtest.NewBrowser(t)
	join := func(link, name string) *webtest.Page { return joinPage(t, browser, link, name) }
	fac := join(links.FacilitatorLink, "Philippa")
	fac.WaitVisible(webtest.Button("Admit all"))
	var asked bool
	fac.Eval(`!!document.getElementById('passcode')`, &asked)
	if asked {
		t.Error("the facilitator's page asked for the passcode")
	}

	m := join(links.MemberLink, "Ulrich")
	m.WaitVisible(webtest.Labelled("Passcode"))
	var name string
	m.Eval(`(() => { const i = document.getElementById('passcode'); return i.labels.length === 1 && document.activeElement === i ? i.labels[0].textContent : ''; })()`, &name)
	if name != "Passcode" {
		t.Errorf("the passcode field's label is %q (or it has no focus), want Passcode", name)
	}
	if !m.WaitFor(10*time.Second, `document.body.innerText.includes("This meeting needs a passcode.")`) {
		t.Error("the page does not say the meeting needs a passcode")
	}

	m.Type("Passcode", "just for tomorrow")
	m.Click("Join")
	if !m.WaitFor(10*time.Second, `document.body.innerText.includes("That passcode is not right. Please check it and try again.")`+
		` && document.getElementById('passcode').getAttribute('aria-invalid') === 'true'`) {
		t.Fatal("a wrong passcode is not refused with a clear message")
	}

	var cleared string
	m.Eval(`document.getElementById('passcode').value = ''`, &cleared)
	m.Type("Passcode", pass)
	m.Click("Join")
	if !m.WaitFor(10*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
		t.Fatal("the right passcode does not bring the member to the waiting room")
	}
	fac.Click("Admit all")
	if !m.WaitFor(10*time.Second, `document.body.innerText.includes("The facilitator let you in")`) {
		t.Error("the member was not let into the meeting")
	}
	if strings.Contains(ts.logs.String(), pass) || strings.Contains(ts.logs.String(), "just for tomorrow") {
		t.Error("a passcode is in the logs")
	}
}
