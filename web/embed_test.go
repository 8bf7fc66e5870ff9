package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
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

// The protocol module must stay free of the page: no DOM access at all.
func TestProtocolModuleIsDOMFree(t *testing.T) {
	src, err := files.ReadFile("protocol.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, banned := range []string{"document", "window."} {
		if strings.Contains(string(src), banned) {
			t.Errorf("protocol.js mentions %q", banned)
		}
	}
}

// The page must work under its CSP: no inline scripts, styles or handlers.
func TestPageHasNoInlineCode(t *testing.T) {
	page, err := files.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`), // a script with a body
		regexp.MustCompile(`<style`),
		regexp.MustCompile(`\sstyle=`),
		regexp.MustCompile(`\son[a-z]+=`),
		regexp.MustCompile(`(?i)https?://`),
	} {
		if loc := re.FindIndex(page); loc != nil {
			t.Errorf("index.html has %q (CSP forbids inline code and outside URLs)", page[loc[0]:loc[1]])
		}
	}
	for _, want := range []string{`<title>Hearth</title>`, `src="/assets/ui.js"`, `href="/assets/app.css"`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("index.html lacks %s", want)
		}
	}
}
