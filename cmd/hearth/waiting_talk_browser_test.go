package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// waitingScreen is a JS expression: the page shows the waiting screen.
const waitingScreen = `document.body.innerText.includes("Waiting for the facilitator to let you in")`

// talkHas is a JS expression: the waiting screen's conversation with the
// facilitators shows text.
func talkHas(text string) string {
	return fmt.Sprintf(`!!document.getElementById("waiting-talk-log") && document.getElementById("waiting-talk-log").checkVisibility() && document.getElementById("waiting-talk-log").textContent.includes(%q)`, text)
}

// chatHas is a JS expression: the meeting's chat panel shows text.
func chatHas(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('[aria-label="Chat messages"]')].some(l => l.textContent.includes(%q))`, text)
}

// waitingTalkMeeting starts a server and a room, and opens in Chromium a
// facilitator's page, an admitted member's and a newcomer's, who waits.
func waitingTalkMeeting(t *testing.T) (fac, member, newcomer *webtest.Page) {
	ts := startServer(t, "--admin-token", "tok")
	links := newRoom(t, ts, `{"name":"Friday group"}`)

	browser := webtest.NewBrowser(t)
	join := func(link, name string) *webtest.Page { return joinPage(t, browser, link, name) }
	fac = join(links.FacilitatorLink, "Frederika")
	fac.WaitVisible(webtest.Button("Leave"))
	member = join(links.MemberLink, "Agnieszka")
	if !member.WaitFor(10*time.Second, waitingScreen) {
		t.Fatal("a newcomer does not see the waiting screen")
	}
	fac.Click("Admit Agnieszka")
	member.WaitVisible(webtest.Button("Leave"))
	newcomer = join(links.MemberLink, "Benedikt")
	if !newcomer.WaitFor(10*time.Second, waitingScreen) {
		t.Fatal("the newcomer does not see the waiting screen")
	}
	return fac, member, newcomer
}

// In real Chromium: a facilitator writes to someone in the waiting room
// (Message NAME), who reads it on the waiting screen and answers the
// facilitators, who read the answer (a member does not see the
// conversation); admitted and heard, the person is then moved back to
// the waiting room (Move NAME to waiting room): their page shows the
// waiting screen at once, the member stops receiving their audio, and
// they receive none of the meeting's; admitted again, they get the
// meeting's media back.
func TestBrowserWaitingTalkAndMoveBack(t *testing.T) {
	fac, member, newcomer := waitingTalkMeeting(t)

	// Message NAME: the facilitator asks; the newcomer reads and answers.
	const question, answer = "Is this your first meeting? q-5581", "Yes, it is. a-9043"
	fac.Click("Message Benedikt")
	fac.Type("Message to Benedikt", question)
	fac.Click("Send message")
	if !newcomer.WaitFor(10*time.Second, talkHas(question)) {
		t.Fatal("the waiting person's page does not show the facilitator's message")
	}
	newcomer.WaitVisible(webtest.Labelled("Reply to the facilitators"))
	newcomer.Type("Reply to the facilitators", answer)
	newcomer.Click("Send reply")
	if !newcomer.WaitFor(10*time.Second, talkHas(answer)) {
		t.Error("the waiting person's page does not show their answer")
	}
	if !fac.WaitFor(10*time.Second, chatHas(answer)) {
		t.Fatal("the facilitator's chat does not show the waiting person's answer")
	}
	var seen bool
	member.Eval(`document.body.textContent.includes("q-5581") || document.body.textContent.includes("a-9043")`, &seen)
	if seen {
		t.Error("a member's page shows the conversation with the waiting person")
	}

	// Admitted, the newcomer unmutes and the member hears them.
	fac.Click("Admit Benedikt")
	newcomer.WaitVisible(webtest.Button("Leave"))
	if !member.WaitFor(10*time.Second, participantsHas("Benedikt")) {
		t.Fatal("the member's page does not list the admitted newcomer")
	}
	newcomer.Click("Unmute")
	if n := awaitAudio(member, 2); n != 2 {
		t.Fatalf("after Benedikt unmuted, the member receives %d audio tracks, want 2", n)
	}
	moveBackAndAdmitAgain(t, fac, member, newcomer, question)
}

// moveBackAndAdmitAgain: Move NAME to waiting room, then Admit NAME.
func moveBackAndAdmitAgain(t *testing.T, fac, member, newcomer *webtest.Page, question string) {
	start := time.Now()
	fac.Click("Move Benedikt to waiting room")
	if !newcomer.WaitFor(10*time.Second, waitingScreen) {
		t.Fatal("the person moved back does not see the waiting screen")
	}
	t.Logf("Move to waiting room: the waiting screen shows after %v", time.Since(start).Round(time.Millisecond))
	if n := awaitAudio(member, 1); n != 1 {
		t.Errorf("after Move Benedikt to waiting room, the member receives %d audio tracks, want 1 (the facilitator)", n)
	}
	t.Logf("Move to waiting room: the member receives only the facilitator's audio after %v", time.Since(start).Round(time.Millisecond))
	if n := awaitAudio(newcomer, 0); n != 0 {
		t.Errorf("moved back to the waiting room, Benedikt's page still receives %d audio tracks", n)
	}
	if !member.WaitFor(10*time.Second, `!`+participantsHas("Benedikt")) {
		t.Error("the member's page still lists Benedikt")
	}
	if !fac.WaitFor(10*time.Second, `document.querySelectorAll('#waiting-list li').length === 1`) {
		t.Error("the facilitator's page does not show Benedikt waiting")
	}
	if !newcomer.WaitFor(10*time.Second, talkHas(question)) {
		t.Error("back in the waiting room, Benedikt's page does not show the conversation")
	}
	var seen bool
	newcomer.Eval(`document.body.innerText.includes("Agnieszka")`, &seen)
	if seen {
		t.Error("back in the waiting room, Benedikt's page still shows the meeting's participants")
	}

	// Admitted again: in the meeting, hearing the facilitator again.
	fac.Click("Admit Benedikt")
	newcomer.WaitVisible(webtest.Button("Leave"))
	if !member.WaitFor(10*time.Second, participantsHas("Benedikt")) {
		t.Error("the member's page does not list Benedikt admitted again")
	}
	if n := awaitAudio(newcomer, 1); n != 1 {
		t.Errorf("admitted again, Benedikt's page receives %d audio tracks, want 1 (the facilitator)", n)
	}
}
