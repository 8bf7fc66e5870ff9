package admin_test

import (
	"net/http"
	"testing"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/admin"
)

// Operators list the ready formats, give a room one (a template by id, or
// their own JSON) with a contributions link, change it, and remove it; a
// bad format is refused with a message and changes nothing.
func TestAPIFormats(t *testing.T) {
	w := newAPI(t)
	var list admin.FormatList
	if status := w.do(t, http.MethodGet, "/api/formats", "", &list); status != http.StatusOK || len(list.Templates) != 3 ||
		list.Templates[0].ID != "12-step" || len(list.Templates[0].Format.Segments) == 0 || list.Templates[0].Description == "" {
		t.Fatalf("GET /api/formats: %d %+v", status, list)
	}

	r := w.create(t, `{"name":"Tuesday group","settings":{"format":"12-step","contributionsUrl":"https://example.org/give"}}`)
	tw, _ := room.TemplateByID("12-step")
	if f := r.Settings.Format; f == nil || f.Name != tw.Format.Name || len(f.Segments) != len(tw.Format.Segments) ||
		r.Settings.ContributionsURL != "https://example.org/give" {
		t.Fatalf("created: %+v", r.Settings)
	}

	var patched admin.Room
	body := `{"settings":{"format":{"name":"Short","segments":[
		{"title":"Readings","speaking":"facilitators","text":"Listen."},
		{"title":"Sharing","speaking":"called_on","shareSeconds":180,"autoMute":true}]}}}`
	if status := w.do(t, http.MethodPatch, "/api/rooms/"+r.ID, body, &patched); status != http.StatusOK ||
		patched.Settings.Format == nil || patched.Settings.Format.Name != "Short" ||
		patched.Settings.Format.Segments[1].ShareSeconds != 180 || patched.Settings.ContributionsURL != "https://example.org/give" {
		t.Fatalf("PATCH: %d %+v", status, patched.Settings)
	}

	for _, bad := range []string{
		`{"settings":{"format":{"segments":[]}}}`,
		`{"settings":{"format":{"segments":[{"title":"A","speaking":"everyone"}]}}}`,
		`{"settings":{"format":{"segments":[{"title":"A","speaking":"open","chat":true}]}}}`,
		`{"settings":{"format":"13-step"}}`,
		`{"settings":{"contributionsUrl":"javascript:alert(1)"}}`,
	} {
		w.wantError(t, http.MethodPatch, "/api/rooms/"+r.ID, bad, http.StatusBadRequest, admin.CodeBadRequest)
	}
	var got admin.Room
	if w.do(t, http.MethodGet, "/api/rooms/"+r.ID, "", &got); got.Settings.Format == nil || got.Settings.Format.Name != "Short" {
		t.Errorf("a refused request changed the format: %+v", got.Settings.Format)
	}

	if status := w.do(t, http.MethodPatch, "/api/rooms/"+r.ID, `{"settings":{"format":null,"contributionsUrl":""}}`, &patched); status != http.StatusOK ||
		patched.Settings.Format != nil || patched.Settings.ContributionsURL != "" {
		t.Errorf("removing: %d %+v", status, patched.Settings)
	}
}
