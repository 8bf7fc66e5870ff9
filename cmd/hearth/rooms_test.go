package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/web/webtest"
)

// roomLinks are a created room's two links.
type roomLinks struct{ MemberLink, FacilitatorLink string }

// createRoom creates a room through the operators' API with body and
// returns the answer's status and links.
func createRoom(t *testing.T, ts *testServer, token, body string) (int, roomLinks) {
	t.Helper()
	var links roomLinks
	req, _ := http.NewRequest(http.MethodPost, "http://"+ts.addr.String()+"/api/rooms", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusCreated {
		if err := json.NewDecoder(resp.Body).Decode(&links); err != nil {
			t.Fatal(err)
		}
	}
	return resp.StatusCode, links
}

// newRoom creates a room (body, with the admin token "tok") and returns its
// links; anything but 201 fails the test.
func newRoom(t *testing.T, ts *testServer, body string) roomLinks {
	t.Helper()
	code, links := createRoom(t, ts, "tok", body)
	if code != http.StatusCreated {
		t.Fatalf("create room %s: HTTP %d", body, code)
	}
	return links
}

// joinPage opens link in a new page of browser, types name and presses Join.
func joinPage(t *testing.T, browser *webtest.Browser, link, name string) *webtest.Page {
	t.Helper()
	p := browser.NewPage(t, link)
	p.WaitVisible(webtest.Labelled("Your name"))
	p.Type("Your name", name)
	p.Click("Join")
	return p
}
