package web

import (
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	const room = "6f1c2a52-4d0b-4c39-9b38-2b3a5d6c7e8f"
	tests := []struct {
		name        string
		method      string
		path        string
		wantStatus  int
		wantType    string // prefix of Content-Type
		wantBody    string // substring of the body
		wantHeaders map[string]string
	}{
		{
			name: "room page", method: http.MethodGet, path: "/r/" + room,
			wantStatus: http.StatusOK, wantType: "text/html; charset=utf-8", wantBody: "Your name",
			wantHeaders: map[string]string{
				"Cache-Control":           "no-store",
				"Content-Security-Policy": "default-src 'self'; media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'",
			},
		},
		{
			name: "room page head", method: http.MethodHead, path: "/r/" + room,
			wantStatus: http.StatusOK, wantType: "text/html; charset=utf-8",
		},
		{
			name: "ui.js", method: http.MethodGet, path: "/assets/ui.js",
			wantStatus: http.StatusOK, wantType: "text/javascript", wantBody: "HearthSession",
		},
		{
			name: "protocol.js", method: http.MethodGet, path: "/assets/protocol.js",
			wantStatus: http.StatusOK, wantType: "text/javascript", wantBody: "export class HearthSession",
		},
		{
			name: "roomstate.js", method: http.MethodGet, path: "/assets/roomstate.js",
			wantStatus: http.StatusOK, wantType: "text/javascript", wantBody: "export class RoomState",
		},
		{
			name: "media.js", method: http.MethodGet, path: "/assets/media.js",
			wantStatus: http.StatusOK, wantType: "text/javascript", wantBody: "export class Peers",
		},
		{
			name: "app.css", method: http.MethodGet, path: "/assets/app.css",
			wantStatus: http.StatusOK, wantType: "text/css",
		},
		{name: "unknown asset", method: http.MethodGet, path: "/assets/nope.js", wantStatus: http.StatusNotFound},
		{name: "index under assets", method: http.MethodGet, path: "/assets/index.html", wantStatus: http.StatusNotFound},
		{name: "embed source", method: http.MethodGet, path: "/assets/embed.go", wantStatus: http.StatusNotFound},
		{name: "root", method: http.MethodGet, path: "/", wantStatus: http.StatusNotFound},
		{name: "room without id", method: http.MethodGet, path: "/r/", wantStatus: http.StatusNotFound},
		{name: "nested room path", method: http.MethodGet, path: "/r/" + room + "/x", wantStatus: http.StatusNotFound},
		{name: "post to room", method: http.MethodPost, path: "/r/" + room, wantStatus: http.StatusNotFound},
		{name: "ws is not ours", method: http.MethodGet, path: "/ws", wantStatus: http.StatusNotFound},
	}
	h := Handler()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("%s %s: status %d, want %d", tt.method, tt.path, res.StatusCode, tt.wantStatus)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantType) {
				t.Errorf("Content-Type %q, want prefix %q", ct, tt.wantType)
			}
			if !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("body does not contain %q", tt.wantBody)
			}
			for k, v := range tt.wantHeaders {
				if got := res.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestAssetRevalidation(t *testing.T) {
	h := Handler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/assets/ui.js", nil))
	etag := rec.Result().Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on an asset")
	}
	req := httptest.NewRequest(http.MethodGet, "/assets/ui.js", nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Fatalf("status %d with a matching If-None-Match, want 304", rec.Code)
	}
}

// The protocol module and the modules it imports must stay free of the
// page: no DOM access at all.
func TestProtocolModuleIsDOMFree(t *testing.T) {
	mods := protocolModules(t)
	if len(mods) < 2 {
		t.Fatalf("protocol modules %v: want protocol.js and what it imports", mods)
	}
	for _, name := range mods {
		src := readModule(t, name)
		for _, banned := range []string{"document", "window."} {
			if strings.Contains(src, banned) {
				t.Errorf("%s mentions %q", name, banned)
			}
		}
	}
}

// The pages (the meeting's and the admin page) must work under their CSP:
// no inline scripts, styles or handlers.
func TestPageHasNoInlineCode(t *testing.T) {
	for _, name := range []string{"admin/index.html", "index.html"} {
		page := readModule(t, name)
		for _, re := range []*regexp.Regexp{
			regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
			regexp.MustCompile(`<style`),
			regexp.MustCompile(`\sstyle=`),
			regexp.MustCompile(`\son[a-z]+=`),
			regexp.MustCompile(`(?i)https?://`),
		} {
			if loc := re.FindStringIndex(page); loc != nil {
				t.Errorf("%s has %q (CSP forbids inline code and outside URLs)", name, page[loc[0]:loc[1]])
			}
		}
	}
	page, err := files.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<title>Hearth</title>`, `src="/assets/ui.js"`, `href="/assets/app.css"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
}

// Names and chat are shown on the page only: nothing in the client writes
// to the console (where a shared computer or a screen recording could keep
// them), and nothing uses localStorage (which outlives the tab).
func TestClientDoesNotLogOrPersist(t *testing.T) {
	for _, name := range append([]string{"index.html"}, modules(t)...) {
		src, err := files.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, banned := range []string{"console.", "localStorage", "indexedDB", "document.cookie"} {
			if strings.Contains(string(src), banned) {
				t.Errorf("%s mentions %q", name, banned)
			}
		}
	}
	// sessionStorage holds only the identity token and the own name.
	all := allModules(t)
	if n := strings.Count(all, "sessionStorage."); n != 3 {
		t.Errorf("the client uses sessionStorage %d times, want 3 (load, store, remove)", n)
	}
	for _, m := range regexp.MustCompile(`\bstore\(([^,)]*)`).FindAllStringSubmatch(all, -1) {
		if key := m[1]; key != "IDENTITY_KEY" && key != "NAME_KEY" && key != "key" {
			t.Errorf("the client stores %q; only the identity token and the own name belong in storage", key)
		}
	}
}

// Tests and assistive technology find controls by name: the page's ids are
// unique, every label points at a control, static button names are unique,
// and the named regions the client relies on exist.
func TestPageAccessibleNames(t *testing.T) {
	page, err := files.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	src := string(page)
	ids := map[string]bool{}
	for _, m := range regexp.MustCompile(`\sid="([^"]+)"`).FindAllStringSubmatch(src, -1) {
		if ids[m[1]] {
			t.Errorf("duplicate id %q", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`<label for="([^"]+)"`).FindAllStringSubmatch(src, -1) {
		if !ids[m[1]] {
			t.Errorf("label for %q has no control", m[1])
		}
	}
	buttons := map[string]bool{}
	for _, m := range regexp.MustCompile(`<button[^>]*>([^<]*)</button>`).FindAllStringSubmatch(src, -1) {
		name := strings.Join(strings.Fields(m[1]), " ")
		if buttons[name] {
			t.Errorf("two buttons named %q", name)
		}
		buttons[name] = true
	}
	for _, want := range []string{
		`aria-label="Participants"`, `aria-label="Waiting room"`, `aria-label="Raised hands"`,
		`aria-label="Chat messages"`, `aria-label="Facilitator controls"`, `aria-label="Meeting controls"`,
		`role="timer" aria-label="Share timer"`, `role="log"`,
		`>Waiting for the facilitator to let you in<`, `>Chat<`, `>Chat is closed<`,
		`>Raise hand<`, `>Rename me<`, `>Admit all<`, `>Deny all<`, `>Lock room<`, `>Next speaker<`, `>Mute all<`,
		`>Close chat<`, `>Suspend all activity<`, `>End meeting<`, `>Start share timer<`,
		`>Speaking mode<`, `>Share minutes<`, `>Mute when time is up<`, `>Room settings<`,
		`>Waiting room<`, `>Mute on entry<`, `>Members may rename themselves<`,
		`>Private messages between members<`, `>Send to<`, `>Message<`, `>Send<`,
		`>Unmute now<`, `>Not now<`, `>muted by the facilitator<`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
	// The per-person names are built in the UI modules.
	ui := uiModules(t)
	for _, want := range []string{
		`'Admit', [`, `'Deny', [`, `'Mute', [`, "[`Ask ${name} to unmute`]", `'Lower hand', [`,
		"[`Let ${name} speak`]", `'End turn', [`, `'Remove', [`, `'Rename', [`, `'Promote', [`, `'Demote', [`,
		`'Confirm remove', [`, `'Confirm end meeting'`, "` message from ", `'New name'`, "`New name for ",
		`'Save name'`, `(private to `, `(to facilitators)`, `hand raised (`, `'co-facilitator'`,
	} {
		if !strings.Contains(ui, want) {
			t.Errorf("the UI modules lack %s", want)
		}
	}
}

// Event sequence numbers may have gaps (people do not get the events they
// may not see): the client must not treat a gap as lost state.
func TestProtocolModuleAcceptsSeqGaps(t *testing.T) {
	for _, name := range protocolModules(t) {
		src := readModule(t, name)
		for _, banned := range []string{"#resync", "seq + 1", "'reconnecting'"} {
			if strings.Contains(src, banned) {
				t.Errorf("%s still has gap handling: %q", name, banned)
			}
		}
	}
}

// Mute and camera have one source of truth, the server's record: the
// protocol modules keep no pending changes or guesses of their own, and the
// UI never reads state back from a button's label.
func TestMuteFollowsServerRecord(t *testing.T) {
	for _, name := range protocolModules(t) {
		src := readModule(t, name)
		for _, banned := range []string{`#pending\b`, `PENDING_MS`, `#settlePending`, `#undoRefused`, `#muted\b`, `#cameraOn\b`, `guess`} {
			if regexp.MustCompile(banned).MatchString(src) {
				t.Errorf("%s keeps its own mute state: %s", name, banned)
			}
		}
	}
	labelRead := regexp.MustCompile(`\.textContent\s*[!=]==?\s*'`)
	for _, name := range modules(t) {
		if loc := labelRead.FindStringIndex(readModule(t, name)); loc != nil {
			t.Errorf("%s reads state back from a label", name)
		}
	}
	for _, banned := range []string{"mutedByFacilitator = ", "forcedMute = ", "forcedCameraOff = "} {
		if strings.Contains(uiModules(t), banned) {
			t.Errorf("the UI keeps a flag of its own: %q", banned)
		}
	}
}

// Every module is served, every relative import names a served module,
// every module is reached from the entry module ui.js, and none is over 600
// lines.
func TestModules(t *testing.T) {
	checkModules(t, "ui.js", modules(t))
}

// checkModules checks that every module of mods is served under /assets/
// as JavaScript, that every relative import names one of mods, that every
// module is reached from entry, and that none is over 600 lines.
func checkModules(t *testing.T, entry string, mods []string) {
	t.Helper()
	h := Handler()
	reached := map[string]bool{}
	var walk func(string)
	walk = func(name string) {
		if reached[name] {
			return
		}
		reached[name] = true
		for _, dep := range imports(t, name) {
			if !slices.Contains(mods, dep) {
				t.Errorf("%s imports %s, which is not embedded", name, dep)
				continue
			}
			walk(dep)
		}
	}
	walk(entry)
	for _, name := range mods {
		if !reached[name] {
			t.Errorf("%s is embedded but no module imports it", name)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/assets/"+name, nil))
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/javascript") {
			t.Errorf("/assets/%s: status %d, type %q", name, rec.Code, rec.Header().Get("Content-Type"))
		}
		if n := strings.Count(readModule(t, name), "\n"); n > 600 {
			t.Errorf("%s has %d lines, want at most 600", name, n)
		}
	}
}

// modules lists the embedded JavaScript modules.
func modules(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(files, "*.js")
	if err != nil || len(names) == 0 {
		t.Fatalf("no embedded modules: %v", err)
	}
	return names
}

func readModule(t *testing.T, name string) string {
	t.Helper()
	src, err := files.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(src)
}

var importRE = regexp.MustCompile(`(?m)^(?:import|export)\b[^;]*?\bfrom\s+'\./([^']+)'`)

// imports lists the modules that name imports (or re-exports from).
func imports(t *testing.T, name string) []string {
	t.Helper()
	var deps []string
	for _, m := range importRE.FindAllStringSubmatch(readModule(t, name), -1) {
		deps = append(deps, path.Join(path.Dir(name), m[1]))
	}
	return deps
}

// protocolModules lists protocol.js and every module it imports.
func protocolModules(t *testing.T) []string {
	t.Helper()
	var out []string
	var walk func(string)
	walk = func(name string) {
		if slices.Contains(out, name) {
			return
		}
		out = append(out, name)
		for _, dep := range imports(t, name) {
			walk(dep)
		}
	}
	walk("protocol.js")
	return out
}

// uiModules returns the text of every module that is not a protocol module.
func uiModules(t *testing.T) string {
	t.Helper()
	proto := protocolModules(t)
	var b strings.Builder
	for _, name := range modules(t) {
		if !slices.Contains(proto, name) {
			b.WriteString(readModule(t, name))
		}
	}
	return b.String()
}

// allModules returns the text of every module.
func allModules(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, name := range modules(t) {
		b.WriteString(readModule(t, name))
	}
	return b.String()
}
