package signaling_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// POST /r/{room}/name gives the room's name to a body bringing one of
// its link keys, and the same 404 bad_link for a wrong key and for a room
// that does not exist; a body that is not JSON gets 400.
func TestRoomNameOverHTTP(t *testing.T) {
	srv := newTestServer(t)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /r/{room}/name", srv.Signaling.RoomName)
	ask := func(id, body string) (int, map[string]string) {
		t.Helper()
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/r/"+id+"/name", strings.NewReader(body)))
		var out map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s: the answer is not JSON: %q", body, rec.Body)
		}
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", body, rec.Header().Get("Cache-Control"))
		}
		return rec.Code, out
	}
	id := srv.Room.ID.String()
	key, _ := json.Marshal(map[string]string{"facilitatorKey": srv.Room.FacilitatorKey, "memberKey": srv.Room.MemberKey})
	st, err := srv.Rooms.Room(t.Context(), srv.Room.ID)
	if err != nil {
		t.Fatal(err)
	}
	if code, out := ask(id, string(key)); code != http.StatusOK || out["name"] != st.Name || st.Name == "" {
		t.Errorf("with the room's keys: %d %v, want 200 and %q", code, out, st.Name)
	}
	for _, c := range []struct{ id, body string }{
		{id, `{"memberKey":"wrong"}`},
		{id, `{}`},
		{room.NewRoomID().String(), string(key)},
		{"not-a-room", string(key)},
	} {
		if code, out := ask(c.id, c.body); code != http.StatusNotFound || out["error"] != "bad_link" || out["name"] != "" {
			t.Errorf("room %s, body %s: %d %v, want 404 bad_link", c.id, c.body, code, out)
		}
	}
	if code, out := ask(id, `not json`); code != http.StatusBadRequest || out["error"] != "bad_request" {
		t.Errorf("a body that is not JSON: %d %v, want 400 bad_request", code, out)
	}
}
