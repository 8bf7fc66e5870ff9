package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// participantsHas is a JS expression: the Participants list shows name.
func participantsHas(name string) string { return webtest.ParticipantsHas(name) }

// remoteVideosPlaying is a JS expression: how many remote video elements
// have a picture.
const remoteVideosPlaying = `[...document.querySelectorAll('video[data-participant-id]')].filter(v => v.videoWidth > 0 && !v.paused).length`

// Three people join the demo room from the member link in real Chromium
// with fake cameras and microphones; each sees and hears the two others.
// One leaves; the two others see them gone within 2 s and keep receiving
// each other. The server's logs never carry a name or an address.
func TestBrowserMeeting(t *testing.T) {
	ts := startServer(t)
	browser := webtest.NewBrowser(t)
	names := []string{"Zephyrine", "Quillon", "Marisol"}
	pages := make([]*webtest.Page, len(names))
	for i, name := range names {
		p := browser.NewPage(t, ts.memberLink)
		p.WaitVisible(webtest.Labelled("Your name"))
		p.WaitVisible(webtest.Button("Join"))
		p.Type("Your name", name)
		p.Click("Join")
		p.WaitVisible(webtest.Button("Leave"))
		pages[i] = p
	}
	for i, p := range pages {
		for _, name := range names {
			if !p.WaitFor(10*time.Second, participantsHas(name)) {
				t.Fatalf("%s's page does not list %s in Participants", names[i], name)
			}
		}
		if !p.WaitFor(20*time.Second, remoteVideosPlaying+` >= 2`) {
			var n int
			p.Eval(remoteVideosPlaying, &n)
			t.Fatalf("%s's page shows %d playing remote videos, want 2", names[i], n)
		}
	}
	for i, p := range pages {
		audio, video := p.Flowing(2 * time.Second)
		if audio < 2 || video < 2 {
			t.Errorf("%s's page: %d audio and %d video tracks flowing, want 2 and 2", names[i], audio, video)
		}
	}

	// Marisol leaves.
	pages[2].Click("Leave")
	for i, p := range pages[:2] {
		if !p.WaitFor(10*time.Second, `!`+participantsHas("Marisol")) {
			t.Errorf("%s's page still lists Marisol 10 s after she left", names[i])
		}
	}
	for i, p := range pages[:2] {
		audio, video := p.Flowing(2 * time.Second)
		if audio < 1 || video < 1 {
			t.Errorf("after Marisol left, %s's page has %d audio and %d video tracks flowing, want 1 and 1", names[i], audio, video)
		}
	}

	// /metrics shows the load, and nobody's name.
	resp, err := http.Get("http://" + ts.addr.String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	metrics := string(body)
	for _, want := range []string{"hearth_participants 2", "hearth_rooms 1", "hearth_forwarded_packets_total "} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %q", want)
		}
	}
	if strings.Contains(metrics, "hearth_forwarded_packets_total 0\n") {
		t.Error("/metrics counts no forwarded packets")
	}
	// A sender report a second for each stream a page received: at least
	// one for each of the twelve (each page received four for 2 s).
	reports := metric(t, "http://"+ts.addr.String()+"/metrics", "hearth_sender_reports_sent_total")
	if reports < 12 {
		t.Errorf("/metrics counts %v sender reports sent, want at least 12", reports)
	}
	t.Logf("%v sender reports sent", reports)
	for _, name := range names {
		if strings.Contains(metrics, name) {
			t.Errorf("/metrics names %s", name)
		}
	}

	logs := ts.logs.String()
	if !strings.Contains(logs, "participant joined") {
		t.Fatalf("the captured logs look empty:\n%s", logs)
	}
	for _, secret := range append(names, "127.0.0.1", "::1", "[::") {
		if strings.Contains(logs, secret) {
			t.Errorf("server logs contain %q", secret)
		}
	}
}
