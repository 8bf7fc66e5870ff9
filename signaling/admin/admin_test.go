package admin_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling/admin"
)

const token = "test-token"

type apiWorld struct {
	srv   *httptest.Server
	rooms *room.Service
	now   time.Time
}

func newAPI(t *testing.T) *apiWorld {
	t.Helper()
	w := &apiWorld{now: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return w.now }
	w.rooms = room.NewServiceWith(room.ServiceParams{Store: memory.New(), Directory: memory.NewDirectory(), Now: clock})
	// Each request comes from an address of its own: the limit of wrong
	// tokens per address is TestWrongTokensLimited's.
	var n atomic.Uint32
	client := func(*http.Request) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, 0, byte(n.Add(1))}) }
	w.srv = httptest.NewServer(admin.Handler(admin.Params{Rooms: w.rooms, Token: token, BaseURL: "https://meet.example.org/",
		Version: "v1.2.3", Instance: "single", Now: clock, ClientAddr: client}))
	t.Cleanup(w.srv.Close)
	return w
}

// do sends a request with the token and body, and decodes a JSON answer
// into out (when not nil); it returns the status.
func (w *apiWorld) do(t *testing.T, method, path, body string, out any) int {
	t.Helper()
	return w.doAs(t, token, method, path, body, out)
}

func (w *apiWorld) doAs(t *testing.T, tok, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, w.srv.URL+path, strings.NewReader(body))
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %q is not JSON: %v", method, path, b, err)
		}
	}
	return resp.StatusCode
}

// wantError checks an error answer's status and code.
func (w *apiWorld) wantError(t *testing.T, method, path, body string, status int, code string) {
	t.Helper()
	var e admin.Error
	if got := w.do(t, method, path, body, &e); got != status || e.Error.Code != code || e.Error.Message == "" {
		t.Errorf("%s %s %s: %d %+v, want %d %s with a message", method, path, body, got, e, status, code)
	}
}

func (w *apiWorld) create(t *testing.T, body string) admin.Room {
	t.Helper()
	var r admin.Room
	if got := w.do(t, http.MethodPost, "/api/rooms", body, &r); got != http.StatusCreated {
		t.Fatalf("POST /api/rooms %s: %d", body, got)
	}
	return r
}

// Every route refuses a missing or wrong token with 401 unauthorized.
func TestAPIRefusesWithoutTheToken(t *testing.T) {
	w := newAPI(t)
	id := room.NewRoomID().String()
	for _, route := range []struct{ method, path string }{
		{"GET", "/api/rooms"}, {"POST", "/api/rooms"}, {"GET", "/api/rooms/" + id}, {"PATCH", "/api/rooms/" + id},
		{"DELETE", "/api/rooms/" + id}, {"POST", "/api/rooms/" + id + "/rotate-links"},
		{"POST", "/api/rooms/" + id + "/invites"}, {"POST", "/api/rooms/" + id + "/end"},
		{"GET", "/api/meetings"}, {"GET", "/api/health"}, {"GET", "/api/formats"},
	} {
		for _, tok := range []string{"", "wrong", token + "x"} {
			var e admin.Error
			if got := w.doAs(t, tok, route.method, route.path, `{"name":"x"}`, &e); got != http.StatusUnauthorized || e.Error.Code != admin.CodeUnauthorized {
				t.Errorf("%s %s with token %q: %d %+v, want 401 unauthorized", route.method, route.path, tok, got, e)
			}
		}
	}
	if rooms, _ := w.rooms.ListRooms(context.Background()); len(rooms) != 0 {
		t.Errorf("refused requests made %d rooms", len(rooms))
	}
	off := httptest.NewServer(admin.Handler(admin.Params{Rooms: w.rooms}))
	defer off.Close()
	if resp, err := http.Get(off.URL + "/api/rooms"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("without a token configured: %v %v, want 404", resp.StatusCode, err)
	}
}

// Create, get, list, update and delete a room; links carry their keys in
// the fragment; passcodes are never sent back.
func TestAPIRooms(t *testing.T) {
	w := newAPI(t)
	r := w.create(t, `{"name":" Tuesday group ","passcode":"open sesame","settings":{"muteOnEntry":false,"guidelines":"Be kind."},
		"schedule":{"days":["tuesday"],"time":"19:00","durationMinutes":90,"timeZone":"Europe/Berlin"}}`)
	prefix := "https://meet.example.org/r/" + r.ID
	if r.Name != "Tuesday group" || !r.PasscodeRequired || r.Settings.MuteOnEntry || !r.Settings.WaitingRoom ||
		r.Settings.Guidelines != "Be kind." || r.Schedule == nil || r.Schedule.Time != "19:00" ||
		!strings.HasPrefix(r.MemberLink, prefix+"#k=") || !strings.HasPrefix(r.FacilitatorLink, prefix+"#f=") ||
		!r.CreatedAt.Equal(w.now) {
		t.Errorf("created: %+v", r)
	}
	var raw map[string]any
	w.do(t, http.MethodGet, "/api/rooms/"+r.ID, "", &raw)
	if b, _ := json.Marshal(raw); strings.Contains(string(b), "asscodeHash") || strings.Contains(string(b), "argon") ||
		strings.Contains(string(b), "open sesame") {
		t.Errorf("the room's JSON shows its passcode: %s", b)
	}
	var got admin.Room
	if w.do(t, http.MethodGet, "/api/rooms/"+r.ID, "", &got); got.MemberLink != r.MemberLink || got.FacilitatorLink != r.FacilitatorLink {
		t.Errorf("GET shows other links: %+v", got)
	}
	w.now = w.now.Add(time.Minute) // listed oldest first
	w.create(t, `{"name":"Saturday group"}`)
	var list admin.RoomList
	if w.do(t, http.MethodGet, "/api/rooms", "", &list); len(list.Rooms) != 2 || list.Rooms[0].ID != r.ID {
		t.Errorf("list: %+v", list)
	}
	var patched admin.Room
	if status := w.do(t, http.MethodPatch, "/api/rooms/"+r.ID, `{"name":"Tuesday evening","passcode":"","settings":{"mode":"moderated"},"schedule":null}`, &patched); status != http.StatusOK ||
		patched.Name != "Tuesday evening" || patched.PasscodeRequired || patched.Settings.Mode != room.ModeModerated ||
		patched.Schedule != nil || patched.MemberLink != r.MemberLink {
		t.Errorf("PATCH: %d %+v", status, patched)
	}
	if status := w.do(t, http.MethodDelete, "/api/rooms/"+r.ID, "", nil); status != http.StatusNoContent {
		t.Errorf("DELETE: %d", status)
	}
	w.wantError(t, http.MethodGet, "/api/rooms/"+r.ID, "", http.StatusNotFound, admin.CodeNotFound)
	if w.do(t, http.MethodGet, "/api/rooms", "", &list); len(list.Rooms) != 1 {
		t.Errorf("list after delete: %+v", list)
	}
}

// Bad requests get 400 bad_request with a message, unknown rooms 404
// not_found; nothing is changed.
func TestAPIErrors(t *testing.T) {
	w := newAPI(t)
	r := w.create(t, `{"name":"Group"}`)
	missing := "/api/rooms/" + room.NewRoomID().String()
	for _, tc := range []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/api/rooms", `{"name":""}`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms", `{"name":"x","colour":"red"}`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms", `not json`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms", `{"name":"x","passcode":"ab"}`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms", `{"name":"x","settings":{"mode":"loud"}}`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms", `{"name":"x","schedule":{"days":["someday"],"time":"19:00","durationMinutes":60}}`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms", `{"name":"` + strings.Repeat("x", 70000) + `"}`, 400, admin.CodeBadRequest},
		{"PATCH", "/api/rooms/" + r.ID, `{"settings":{"shareSeconds":1}}`, 400, admin.CodeBadRequest},
		{"PATCH", "/api/rooms/" + r.ID, `{"schedule":{"days":[]}}`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms/" + r.ID + "/invites", `{"uses":0,"expires":"24h"}`, 400, admin.CodeBadRequest},
		{"POST", "/api/rooms/" + r.ID + "/invites", `{"uses":1,"expires":"tomorrow"}`, 400, admin.CodeBadRequest},
		{"GET", missing, "", 404, admin.CodeNotFound},
		{"GET", "/api/rooms/not-a-uuid", "", 404, admin.CodeNotFound},
		{"PATCH", missing, `{"name":"x"}`, 404, admin.CodeNotFound},
		{"DELETE", missing, "", 404, admin.CodeNotFound},
		{"POST", missing + "/rotate-links", "", 404, admin.CodeNotFound},
		{"POST", missing + "/invites", `{"uses":1,"expires":"24h"}`, 404, admin.CodeNotFound},
		{"POST", missing + "/end", "", 404, admin.CodeNotFound},
		{"GET", "/api/nothing", "", 404, admin.CodeNotFound},
	} {
		w.wantError(t, tc.method, tc.path, tc.body, tc.status, tc.code)
	}
	var got admin.Room
	if w.do(t, http.MethodGet, "/api/rooms/"+r.ID, "", &got); got.Name != "Group" || got.Settings.ShareSeconds != 180 || got.Schedule != nil {
		t.Errorf("a refused request changed the room: %+v", got)
	}
}

// Rotating gives new links; invites are links with #i=, their uses and
// expiry; meetings and health show counts, never names.
func TestAPILinksInvitesMeetings(t *testing.T) {
	w := newAPI(t)
	ctx := context.Background()
	r := w.create(t, `{"name":"Group"}`)
	var rotated admin.Room
	if status := w.do(t, http.MethodPost, "/api/rooms/"+r.ID+"/rotate-links", "", &rotated); status != http.StatusOK ||
		rotated.MemberLink == r.MemberLink || rotated.FacilitatorLink == r.FacilitatorLink || rotated.ID != r.ID {
		t.Errorf("rotate: %d %+v", status, rotated)
	}
	var inv admin.CreatedInvite
	if status := w.do(t, http.MethodPost, "/api/rooms/"+r.ID+"/invites", `{"uses":1,"expires":"7d","label":"J.D."}`, &inv); status != http.StatusCreated ||
		!strings.HasPrefix(inv.Link, "https://meet.example.org/r/"+r.ID+"#i=") || inv.Uses != 1 ||
		!inv.ExpiresAt.Equal(w.now.Add(7*24*time.Hour)) {
		t.Errorf("invite: %d %+v", status, inv)
	}
	var got admin.Room
	if w.do(t, http.MethodGet, "/api/rooms/"+r.ID, "", &got); got.OpenInvites != 1 {
		t.Errorf("open invites: %d, want 1", got.OpenInvites)
	}

	id, _ := room.ParseRoomID(r.ID)
	_, fac, _ := strings.Cut(rotated.FacilitatorLink, "#f=")
	_, key, _ := strings.Cut(rotated.MemberLink, "#k=")
	if _, err := w.rooms.Join(ctx, id, room.JoinRequest{Name: "Fran", FacilitatorKey: fac}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.rooms.Join(ctx, id, room.JoinRequest{Name: "Sam", MemberKey: key}); err != nil {
		t.Fatal(err)
	}
	started := w.now
	w.now = w.now.Add(90 * time.Second)
	var ms admin.MeetingList
	status := w.do(t, http.MethodGet, "/api/meetings", "", &ms)
	if status != http.StatusOK || len(ms.Meetings) != 1 {
		t.Fatalf("meetings: %d %+v", status, ms)
	}
	if m := ms.Meetings[0]; m.RoomID != r.ID || m.RoomName != "Group" || m.Participants != 1 || m.Waiting != 1 ||
		!m.StartedAt.Equal(started) || m.DurationSeconds != 90 {
		t.Errorf("meeting: %+v", m)
	}
	var raw json.RawMessage
	w.do(t, http.MethodGet, "/api/meetings", "", &raw)
	if strings.Contains(string(raw), "Fran") || strings.Contains(string(raw), "Sam") {
		t.Errorf("meetings show people's names: %s", raw)
	}
	var h admin.Health
	if status := w.do(t, http.MethodGet, "/api/health", "", &h); status != http.StatusOK ||
		h != (admin.Health{Ready: true, Version: "v1.2.3", Instance: "single", Meetings: 1, Participants: 2}) {
		t.Errorf("health: %d %+v", status, h)
	}
	if status := w.do(t, http.MethodPost, "/api/rooms/"+r.ID+"/end", "", nil); status != http.StatusNoContent {
		t.Errorf("end: %d", status)
	}
	if w.do(t, http.MethodGet, "/api/meetings", "", &ms); len(ms.Meetings) != 0 {
		t.Errorf("meetings after end: %+v", ms)
	}
}
