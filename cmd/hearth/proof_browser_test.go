package main

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// The member's Get attendance proof and the proof page, and the
// facilitator's Confirm attendance for NAME, in real Chromium: the page
// shows what the proof states, its code and QR code; the code checks at
// /verify with the name; after the facilitator confirms, the member's page
// shows the confirmed proof; no other member is offered a proof in a room
// that gives none.
func TestBrowserAttendanceProof(t *testing.T) {
	ts := startServer(t, "--admin-token", "tok")
	links := newRoom(t, ts, `{"name":"Evening group","settings":{"waitingRoom":false,"attendanceProof":true,"publicLabel":"Thursday evening meeting"}}`)
	browser := webtest.NewBrowser(t)
	fac := joinPage(t, browser, links.FacilitatorLink, "Fennimore")
	fac.WaitVisible(webtest.Button("Leave"))
	member := joinPage(t, browser, links.MemberLink, "Astrid")
	member.WaitVisible(webtest.Button("Leave"))

	member.Click("Get attendance proof")
	member.Type("Name on the proof (optional)", "Astrid B.")
	member.Click("Make proof")
	doc := `(document.querySelector('#proof article:not([hidden])') || {innerText: ''}).innerText`
	if !member.WaitFor(10*time.Second, doc+`.includes("Thursday evening meeting") && `+doc+`.includes("Astrid B.") && `+
		doc+`.includes("Not confirmed by a facilitator")`) {
		var text string
		member.Eval(doc, &text)
		t.Fatalf("the proof page does not show what was attested: %q", text)
	}
	var code, qr string
	member.Eval(`document.querySelector('#proof .proof-code').textContent.replace('Code: ', '')`, &code)
	member.Eval(`document.querySelector('#proof img').src`, &qr)
	if !strings.HasPrefix(qr, "data:image/png;base64,") {
		t.Errorf("QR code %.40q", qr)
	}
	member.WaitVisible(webtest.Button("Print or save as PDF"))
	if genuine, facts := checkProof(t, ts, url.Values{"code": {code}, "name": {"Astrid B."}}); !genuine || facts["confirmed"] != false {
		t.Errorf("the code %q on the page checks as %v %v", code, genuine, facts)
	}

	fac.Click("Confirm attendance for Astrid")
	if !member.WaitFor(10*time.Second, doc+`.includes("Confirmed by a facilitator of the meeting")`) {
		t.Error("the member's proof does not show the facilitator's confirmation")
	}
	member.Eval(`document.querySelector('#proof .proof-code').textContent.replace('Code: ', '')`, &code)
	if genuine, facts := checkProof(t, ts, url.Values{"code": {code}, "name": {"astrid b."}}); !genuine || facts["confirmed"] != true {
		t.Errorf("the confirmed code %q checks as %v %v", code, genuine, facts)
	}

	// The proof stays on the page after leaving, to print or save.
	member.Click("Leave")
	if !member.WaitFor(10*time.Second, `!document.getElementById('proof').hidden && `+doc+`.includes("Thursday evening meeting")`) {
		t.Error("the proof is gone after leaving")
	}

	// In a room that gives no proofs, nobody is offered one.
	other := newRoom(t, ts, `{"name":"Morning group","settings":{"waitingRoom":false}}`)
	p := joinPage(t, browser, other.MemberLink, "Bertil")
	p.WaitVisible(webtest.Button("Leave"))
	var offered bool
	p.Eval(`!document.getElementById('get-proof').hidden`, &offered)
	if offered {
		t.Error("Get attendance proof is offered in a room that gives no proofs")
	}
}
