package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
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

// roomAndKey splits a room's link (BASE/r/<id>#k=<key>, #f= or #i=) into
// the room id and the key.
func roomAndKey(link string) (roomID, key string) {
	base, frag, _ := strings.Cut(link, "#")
	_, key, _ = strings.Cut(frag, "=")
	return base[strings.LastIndex(base, "/")+1:], key
}

// memberJoin is the join of name through a member link.
func memberJoin(link, name string) protocol.Join {
	id, key := roomAndKey(link)
	return protocol.Join{Room: id, Name: name, MemberKey: key}
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

// Rooms survive a restart (issue 10): run twice on one data directory,
// the server prints the same demo links (made once, derived again) and
// keeps a room made through the API, whose member link still lets people
// in; a second server on a data directory in use says to use --server.
func TestRoomsSurviveARestart(t *testing.T) {
	dataDir := t.TempDir()
	first := startServer(t, "--admin-token", "tok", "--data-dir", dataDir)
	links := newRoom(t, first, `{"name":"Tuesday group"}`)

	err := run(context.Background(), nil, []string{"--addr", "127.0.0.1:0", "--ice-udp-port", "0", "--data-dir", dataDir},
		func(string) string { return "" }, io.Discard, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "--server") {
		t.Errorf("a second server on the data directory in use: %v; want it to say to use --server", err)
	}
	first.stop()

	second := startServer(t, "--admin-token", "tok", "--data-dir", dataDir)
	path := func(link string) string { return link[strings.Index(link, "/r/"):] } // the port changed
	if path(second.memberLink) != path(first.memberLink) || path(second.facilitatorLink) != path(first.facilitatorLink) {
		t.Errorf("demo links changed across a restart:\n%s\n%s\nthen\n%s\n%s",
			first.memberLink, first.facilitatorLink, second.memberLink, second.facilitatorLink)
	}
	var list struct {
		Rooms []struct{ Name, MemberLink string }
	}
	if code := apiCall(t, second, http.MethodGet, "/api/rooms", "", &list); code != http.StatusOK || len(list.Rooms) != 2 {
		t.Fatalf("rooms after the restart: %d %+v, want the demo room and Tuesday group", code, list)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.DialConn(ctx, "ws://"+second.addr.String()+"/ws")
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	// The port changed with the restart; the room and key did not.
	if w, err := c.Join(ctx, memberJoin(links.MemberLink, "Sam")); err != nil || w.Room.Name != "Tuesday group" {
		t.Errorf("a join through the member link made before the restart: %v %+v", err, w.Room)
	}
}

// apiCall sends an operators' API request with the token "tok" and
// decodes the answer into out; it returns the status.
func apiCall(t *testing.T, ts *testServer, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, "http://"+ts.addr.String()+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// Rooms are shared by two instances on one Redis (issue 10): both print
// the same demo room's links; a room made on one is seen, with the same
// links, on the other; links rotated on the second are refused at once on
// the first.
func TestRoomsSharedByTwoInstances(t *testing.T) {
	rs := redistest.Start(t)
	args := []string{"--redis-url", "redis://" + rs.Addr() + "/0", "--admin-token", "tok"}
	a := startServer(t, args...)
	b := startServer(t, args...)
	path := func(link string) string { return link[strings.Index(link, "/r/"):] }
	if path(a.memberLink) != path(b.memberLink) || path(a.facilitatorLink) != path(b.facilitatorLink) {
		t.Errorf("the instances print different demo rooms: %s and %s", a.memberLink, b.memberLink)
	}
	links := newRoom(t, a, `{"name":"Tuesday group"}`)
	id, oldKey := roomAndKey(links.MemberLink)
	var seen roomLinks
	if code := apiCall(t, b, http.MethodGet, "/api/rooms/"+id, "", &seen); code != http.StatusOK ||
		path(seen.MemberLink) != path(links.MemberLink) || path(seen.FacilitatorLink) != path(links.FacilitatorLink) {
		t.Fatalf("the room on the other instance: %d %+v", code, seen)
	}
	var rotated roomLinks
	if code := apiCall(t, b, http.MethodPost, "/api/rooms/"+id+"/rotate-links", "", &rotated); code != http.StatusOK {
		t.Fatalf("rotate on the second instance: %d", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	join := func(key string) error {
		c, err := client.DialConn(ctx, "ws://"+a.addr.String()+"/ws")
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		_, err = c.Join(ctx, protocol.Join{Room: id, Name: "Sam", MemberKey: key})
		return err
	}
	var perr *protocol.Error
	if err := join(oldKey); !errors.As(err, &perr) || perr.Code != protocol.CodeBadLink {
		t.Errorf("the old member link on the first instance: %v, want bad_link", err)
	}
	_, newKey := roomAndKey(rotated.MemberLink)
	if err := join(newKey); err != nil {
		t.Errorf("the new member link on the first instance: %v", err)
	}
}
