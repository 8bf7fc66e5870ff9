package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// The admin page is served at /admin with its own policy (no framing,
// requests and forms to its own origin only), and its modules under
// /assets/admin/.
func TestAdminPageServed(t *testing.T) {
	h := Handler()
	tests := []struct {
		path, wantType, wantBody string
		wantStatus               int
	}{
		{"/admin", "text/html; charset=utf-8", "Admin token", http.StatusOK},
		{"/assets/admin/admin.js", "text/javascript", "initRooms", http.StatusOK},
		{"/assets/admin/admin.css", "text/css", ".room-card", http.StatusOK},
		{"/assets/admin/index.html", "", "", http.StatusNotFound},
		{"/assets/admin/nope.js", "", "", http.StatusNotFound},
		{"/admin/", "", "", http.StatusNotFound},
		{"/admin/x", "", "", http.StatusNotFound},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		res := rec.Result()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != tt.wantStatus {
			t.Errorf("%s: status %d, want %d", tt.path, res.StatusCode, tt.wantStatus)
			continue
		}
		if !strings.HasPrefix(res.Header.Get("Content-Type"), tt.wantType) || !strings.Contains(string(body), tt.wantBody) {
			t.Errorf("%s: type %q, body without %q", tt.path, res.Header.Get("Content-Type"), tt.wantBody)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin", nil))
	if got := rec.Header().Get("Content-Security-Policy"); got != adminSecurityPolicy ||
		!strings.Contains(got, "frame-ancestors 'none'") || !strings.Contains(got, "form-action 'self'") {
		t.Errorf("/admin policy %q", got)
	}
	if rec.Header().Get("Cache-Control") != "no-store" || rec.Header().Get("X-Frame-Options") != "DENY" {
		t.Errorf("/admin headers %v", rec.Header())
	}
}

// adminModules lists the admin page's modules ("admin/admin.js", ...).
func adminModules(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(files, "admin/*.js")
	if err != nil || len(names) == 0 {
		t.Fatalf("no admin modules: %v", err)
	}
	return names
}

// The admin page's ids are unique (TestPageHasNoInlineCode checks it has
// no inline code), every label points at a control (in the page and in each
// template, whose ids are given when cloned), and every module is reached
// from admin.js, is served, and stays under 600 lines. No module logs,
// persists anything, or reads cookies.
func TestAdminPageStatic(t *testing.T) {
	page := readModule(t, "admin/index.html")
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if ids[m[1]] {
			t.Errorf("duplicate id %q", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`<label for="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		if !ids[m[1]] {
			t.Errorf("label for %q has no control", m[1])
		}
	}
	for _, tpl := range regexp.MustCompile(`(?s)<template id="([^"]+)">(.*?)</template>`).FindAllStringSubmatch(page, -1) {
		fields := map[string]bool{}
		for _, m := range regexp.MustCompile(`data-f="([^"]+)"`).FindAllStringSubmatch(tpl[2], -1) {
			fields[m[1]] = true
		}
		for _, m := range regexp.MustCompile(`<label data-for="([^"]+)"`).FindAllStringSubmatch(tpl[2], -1) {
			if !fields[m[1]] {
				t.Errorf("template %s: label for %q has no control", tpl[1], m[1])
			}
		}
		if strings.Contains(tpl[2], ` id="`) {
			t.Errorf("template %s has a fixed id (cloned twice, it would repeat)", tpl[1])
		}
	}

	mods := adminModules(t)
	checkModules(t, "admin/admin.js", mods)
	for _, name := range mods {
		src := readModule(t, name)
		for _, banned := range []string{"console.", "localStorage", "sessionStorage", "indexedDB", "document.cookie", "innerHTML"} {
			if strings.Contains(src, banned) {
				t.Errorf("%s mentions %q", name, banned)
			}
		}
	}
}
