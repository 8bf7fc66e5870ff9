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

// Every module is served, every relative import names a served module,
// every module is reached from the entry module ui.js, and none is over 600
// lines.
func TestModules(t *testing.T) {
	// verify.js is the entry of its own page, /verify (signaling/verify).
	page := slices.DeleteFunc(modules(t), func(m string) bool { return m == "verify.js" })
	checkModules(t, "ui.js", page)
	checkModules(t, "verify.js", []string{"verify.js"})
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

func TestSupportText(t *testing.T) {
	rec := httptest.NewRecorder()
	HandlerWith(Options{SupportText: "Call us <any time> & talk"}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/r/x", nil))
	want := `<p id="support-text" class="support-text" hidden>Call us &lt;any time&gt; &amp; talk</p>`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("the page does not hold the support text, escaped: want %s", want)
	}
	rec = httptest.NewRecorder()
	Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/r/x", nil))
	if !strings.Contains(rec.Body.String(), supportSlot) {
		t.Error("without support text the page's slot is not empty")
	}
}

// The "Get help now" panel holds the crisis text, escaped; without one,
// the support text; with neither, nothing (the page then hides the button).
func TestCrisisText(t *testing.T) {
	page := func(o Options) string {
		rec := httptest.NewRecorder()
		HandlerWith(o).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/r/x", nil))
		return rec.Body.String()
	}
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"crisis text", Options{CrisisText: "Call <988>\nor 555-0100", SupportText: "Support"},
			`<p id="help-text" class="help-text">Call &lt;988&gt;` + "\n" + `or 555-0100</p>`},
		{"support text only", Options{SupportText: "Support line"}, `<p id="help-text" class="help-text">Support line</p>`},
		{"neither", Options{}, helpSlot},
	}
	for _, tt := range tests {
		if got := page(tt.opts); !strings.Contains(got, tt.want) {
			t.Errorf("%s: the page does not hold %s", tt.name, tt.want)
		}
	}
}
