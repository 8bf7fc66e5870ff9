package main

import (
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// In real Chromium, with the keyboard only (Tab, Enter, arrow keys and
// the shortcut keys): the facilitator admits a newcomer, the member
// raises a hand, the facilitator calls the next speaker, the member
// unmutes with "m", the facilitator mutes them from their "Actions for
// NAME" menu, and the member sends a chat message.
func TestBrowserKeyboardOnly(t *testing.T) {
	ts := startServer(t, "--admin-token", "tok")
	links := newRoom(t, ts, `{"name":"Keyboard group"}`)
	browser := webtest.NewBrowser(t)
	fac := joinPage(t, browser, links.FacilitatorLink, "Octavia")
	fac.Emulate(webtest.Desktop)
	fac.WaitVisible(webtest.Button("Leave"))
	m := joinPage(t, browser, links.MemberLink, "Kit")
	m.Emulate(webtest.Desktop)
	if !m.WaitFor(10*time.Second, waitingScreen) {
		t.Fatal("the member does not reach the waiting room")
	}

	// Admit, by keyboard.
	fac.WaitVisible(webtest.Button("Admit Kit"))
	fac.TabTo("Admit Kit", 60)
	fac.Enter()
	m.WaitVisible(webtest.Button("Raise hand"))

	// Raise hand, by keyboard.
	m.TabTo("Raise hand", 60)
	m.Enter()
	if !fac.WaitFor(10*time.Second, entryHas("Kit", "hand raised")) {
		t.Fatal("Kit's hand raised by keyboard does not show")
	}

	// Next speaker, by keyboard.
	fac.TabTo("Next speaker", 60)
	fac.Enter()
	if !m.WaitFor(10*time.Second, entryHas("Kit", "speaking")) {
		t.Fatal("Next speaker by keyboard does not call on Kit")
	}

	// The m shortcut unmutes (Kit is called on, so the server allows it).
	m.Keys("m")
	if !fac.WaitFor(10*time.Second, `!`+entryHas("Kit", "muted")) {
		t.Fatal("the m key does not unmute Kit")
	}

	// Mute someone, by keyboard: the Actions for Kit menu, then Mute Kit.
	fac.TabTo("Actions for Kit", 80)
	fac.Enter()
	fac.ArrowDownTo("Mute Kit", 10)
	fac.Enter()
	if !m.WaitFor(10*time.Second, entryHas("Kit", "muted")) {
		t.Fatal("Mute Kit from the keyboard does not mute Kit")
	}
	if got := fac.Focused(); got != "Actions for Kit" {
		t.Errorf("after the menu item, the focus is on %q, want back on Actions for Kit", got)
	}

	// Send chat, by keyboard.
	const said = "keyboard-hello-3317"
	m.TabTo("Message", 80)
	m.Keys(said)
	m.Enter()
	if !fac.WaitFor(10*time.Second, chatHas(said)) {
		t.Error("a chat message sent by keyboard does not reach the facilitator")
	}
}
