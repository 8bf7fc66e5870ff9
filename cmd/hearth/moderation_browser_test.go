package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// entryHas is a JS expression: the Participants list entry of name
// contains word.
func entryHas(name, word string) string { return webtest.ListedWith(name, word) }

// handsOrder is a JS expression: the names in the Raised hands list, in order.
const handsOrder = webtest.HandsOrder

// audioFlowing returns how many audio tracks the page receives bytes on.
func audioFlowing(p *webtest.Page) int {
	a, _ := p.Flowing(1500 * time.Millisecond)
	return a
}

// awaitAudio samples the page until it receives audio on want tracks, for
// up to 10 s, and returns the last count.
func awaitAudio(p *webtest.Page, want int) int {
	n := -1
	for start := time.Now(); time.Since(start) < 10*time.Second; {
		if n = audioFlowing(p); n == want {
			break
		}
	}
	return n
}

// A facilitator and two members in real Chromium: the waiting room, hands
// in order, calling on a speaker who is then heard, a facilitator mute
// seen everywhere and enforced, and a removal that a reload cannot undo,
// whose page offers the operator's support text.
func TestBrowserModeration(t *testing.T) {
	const support = "Need to talk? Call the helpline 0800 000 000, any hour."
	ts := startServer(t, "--admin-token", "tok", "--support-text", support)
	links := newRoom(t, ts, `{"name":"Evening group"}`)

	browser := webtest.NewBrowser(t)
	join := func(link, name string) *webtest.Page { return joinPage(t, browser, link, name) }
	fac := join(links.FacilitatorLink, "Fennimore")
	fac.WaitVisible(webtest.Button("Leave"))
	a := join(links.MemberLink, "Astrid")
	b := join(links.MemberLink, "Bartholomew")
	for _, p := range []*webtest.Page{a, b} {
		if !p.WaitFor(10*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
			t.Fatal("a newcomer does not see the waiting screen")
		}
	}

	// Waiting room: the facilitator admits both.
	fac.Click("Admit Astrid")
	fac.Click("Admit Bartholomew")
	a.WaitVisible(webtest.Button("Leave"))
	b.WaitVisible(webtest.Button("Leave"))
	pages := map[string]*webtest.Page{"Fennimore": fac, "Astrid": a, "Bartholomew": b}

	// Chat reaches everyone.
	const said = "grateful-for-today-7741"
	a.Type("Message", said)
	a.Click("Send")
	for who, p := range pages {
		if !p.WaitFor(10*time.Second, `[...document.querySelectorAll('[aria-label="Chat messages"]')].some(l => l.textContent.includes("`+said+`"))`) {
			t.Errorf("%s's page does not show Astrid's chat message", who)
		}
	}

	// Hands: A then B; everyone sees A first.
	a.Click("Raise hand")
	if !a.WaitFor(10*time.Second, `[...document.querySelectorAll('[aria-label="Raised hands"] li')].length === 1`) {
		t.Fatal("Astrid's raised hand does not show")
	}
	b.Click("Raise hand")
	for who, p := range pages {
		if !p.WaitFor(10*time.Second, handsOrder+`.length === 2`) {
			t.Fatalf("%s's page does not show two raised hands", who)
		}
		var order []string
		p.Eval(handsOrder, &order)
		if !strings.Contains(order[0], "Astrid") || !strings.Contains(order[1], "Bartholomew") {
			t.Errorf("%s's page shows the hands as %q, want Astrid then Bartholomew", who, order)
		}
	}

	// Next speaker calls on A.
	fac.Click("Next speaker")
	for who, p := range pages {
		if !p.WaitFor(10*time.Second, entryHas("Astrid", "speaking")) {
			t.Errorf("%s's page does not show Astrid speaking", who)
		}
	}
	// Everyone but the facilitator joined muted: B hears only the facilitator.
	// A unmutes and is heard.
	if n := awaitAudio(b, 1); n != 1 {
		t.Errorf("before Astrid unmutes, Bartholomew's page receives %d audio tracks, want 1 (the facilitator)", n)
	}
	a.Click("Unmute")
	for who, p := range pages {
		if !p.WaitFor(10*time.Second, `!`+entryHas("Astrid", "muted")) {
			t.Errorf("%s's page still shows Astrid muted after she unmuted", who)
		}
	}
	if n := awaitAudio(b, 2); n != 2 {
		t.Errorf("after Astrid unmuted, Bartholomew's page receives %d audio tracks, want 2", n)
	}

	// Mute NAME: A is muted on every page, and B stops hearing her.
	fac.Click("Mute Astrid")
	for who, p := range pages {
		if !p.WaitFor(10*time.Second, entryHas("Astrid", "muted")) {
			t.Errorf("%s's page does not show Astrid muted", who)
		}
	}
	if !a.WaitFor(10*time.Second, `document.body.innerText.includes("muted by the facilitator")`) {
		t.Error("Astrid's page does not say she was muted by the facilitator")
	}
	if n := awaitAudio(b, 1); n != 1 {
		t.Errorf("after Mute Astrid, Bartholomew's page receives %d audio tracks, want 1", n)
	}

	// Remove NAME: B is out, says so, and a reload does not bring B back.
	fac.Click("Remove Bartholomew")
	var confirm bool
	fac.Eval(`[...document.querySelectorAll('button')].some(b => b.textContent.trim() === "Confirm remove Bartholomew")`, &confirm)
	if confirm {
		fac.Click("Confirm remove Bartholomew")
	}
	if !b.WaitFor(10*time.Second, `document.body.innerText.includes("removed from this meeting")`) {
		t.Fatal("Bartholomew's page does not say he was removed")
	}
	if !b.WaitFor(10*time.Second, `document.body.innerText.includes("`+support+`")`) {
		t.Error("the removed page does not offer the operator's support text")
	}
	if !fac.WaitFor(10*time.Second, `!`+participantsHas("Bartholomew")) {
		t.Error("the facilitator still sees Bartholomew after removing him")
	}
	b.Reload()
	b.WaitVisible(webtest.Button("Join"))
	var name string
	b.Eval(`document.getElementById(document.evaluate('//label[normalize-space(.)="Your name"]/@for', document, null, 2, null).stringValue).value`, &name)
	if name == "" {
		b.Type("Your name", "Bartholomew")
	}
	b.Click("Join")
	if !b.WaitFor(10*time.Second, `document.body.innerText.includes("removed from this meeting")`) {
		t.Error("after a reload, Bartholomew's page does not say he was removed")
	}
	time.Sleep(time.Second)
	logs := ts.logs.String()
	for _, secret := range []string{"Fennimore", "Astrid", "Bartholomew", said, "127.0.0.1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("server logs contain %q", secret)
		}
	}
	for who, p := range map[string]*webtest.Page{"Fennimore": fac, "Astrid": a} {
		var back bool
		p.Eval(participantsHas("Bartholomew"), &back)
		if back {
			t.Errorf("%s's page lists Bartholomew again after his reload", who)
		}
	}
}
