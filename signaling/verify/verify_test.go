package verify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room/attest"
	"github.com/hearth-meet/hearth/room/boltdir"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/verify"
)

func statement(t *testing.T, name string) attest.Statement {
	t.Helper()
	j := time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)
	st, err := attest.NewStatement("Tuesday evening group", name, j, j.Add(75*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// post sends a form to /verify and decodes the JSON result.
func post(t *testing.T, h http.Handler, form url.Values) (int, verify.Result) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/verify", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Accept", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var res verify.Result
	if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	return w.Code, res
}

func TestVerifyOverHTTP(t *testing.T) {
	ctx := context.Background()
	s, err := verify.New(ctx, verify.Params{Keys: memory.NewDirectory(), BaseURL: "https://meet.example.org/"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Issue(ctx, statement(t, "Alex"))
	if err != nil {
		t.Fatal(err)
	}
	if p.VerifyURL != "https://meet.example.org/verify" || !strings.HasPrefix(p.QR, "data:image/png;base64,") {
		t.Errorf("issued %q %.40q", p.VerifyURL, p.QR)
	}
	code, res := post(t, s, url.Values{"proof": {p.VerifyURL + "#" + p.Token}})
	want := verify.Shown{Attested: protocol.Attested{Label: "Tuesday evening group", Date: "2026-12-01", Joined: "19:00",
		Left: "20:15", Zone: "UTC", Minutes: 75, Name: "Alex", Confirmed: true}, Key: p.Statement.Key}
	if code != 200 || !res.Genuine || res.Statement == nil || *res.Statement != want {
		t.Errorf("genuine proof: %d %+v", code, res)
	}
	b := []byte(p.Token)
	b[len(b)/2] ^= 1
	if _, res := post(t, s, url.Values{"proof": {string(b)}}); res.Genuine || res.Statement != nil || res.Reason == "" {
		t.Errorf("one byte changed: %+v", res)
	}
	if _, res := post(t, s, url.Values{"code": {p.Code}, "name": {"alex"}}); !res.Genuine || res.Code == nil ||
		res.Code.Minutes != 75 || res.Code.Joined != "19:00" || !res.Code.Confirmed {
		t.Errorf("code: %+v", res)
	}
	if _, res := post(t, s, url.Values{"code": {p.Code}, "name": {"Sam"}}); res.Genuine {
		t.Errorf("code with another name: %+v", res)
	}
	if code, res := post(t, s, url.Values{}); code != http.StatusBadRequest || res.Genuine {
		t.Errorf("empty form: %d %+v", code, res)
	}

	// The file, uploaded; the HTML page says what was attested.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "attendance-proof.txt")
	fw.Write([]byte(p.Token + "\n"))
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/verify", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	page := w.Body.String()
	if w.Code != 200 || !strings.Contains(page, `<h2 id="result-title">Genuine</h2>`) ||
		!strings.Contains(page, `<dd data-field="label">Tuesday evening group</dd>`) ||
		!strings.Contains(page, `<dd data-field="minutes">75</dd>`) || strings.Contains(w.Header().Get("Content-Security-Policy"), "unsafe") {
		t.Errorf("uploaded file: %d\n%s", w.Code, page)
	}
}

// TestVerifyAfterRestart: a proof issued before a restart (the data
// directory closed and opened again) checks after it, and a key rotated
// in while the server runs elsewhere (another instance, the CLI) is found.
func TestVerifyAfterRestart(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	open := func() *boltdir.Directory {
		d, err := boltdir.Open(dir, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := open()
	s, err := verify.New(ctx, verify.Params{Keys: d})
	if err != nil {
		t.Fatal(err)
	}
	p, _ := s.Issue(ctx, statement(t, ""))
	d.Close()

	d = open()
	defer d.Close()
	s2, err := verify.New(ctx, verify.Params{Keys: d})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Check(ctx, p.Token); err != nil {
		t.Errorf("after a restart: %v", err)
	}
	if _, err := attest.RotateStored(ctx, d, time.Now()); err != nil {
		t.Fatal(err)
	}
	s3, _ := verify.New(ctx, verify.Params{Keys: d})
	fresh, _ := s3.Issue(ctx, statement(t, ""))
	if _, err := s2.Check(ctx, fresh.Token); err != nil {
		t.Errorf("a proof of a key rotated in since the start: %v", err)
	}
	if _, err := s2.Check(ctx, p.Token); err != nil {
		t.Errorf("the old proof after rotation: %v", err)
	}
	if n := len(s2.PublicKeys(ctx)); n != 2 {
		t.Errorf("%d public keys, want 2", n)
	}
}

func TestCodeChecksBounded(t *testing.T) {
	ctx := context.Background()
	s, err := verify.New(ctx, verify.Params{Keys: memory.NewDirectory(), CodeChecks: 1})
	if err != nil {
		t.Fatal(err)
	}
	busy := 0
	for range 10 {
		if code, _ := post(t, s, url.Values{"code": {"AAAA-AAAA-AAAA-AAAA"}}); code == http.StatusTooManyRequests {
			busy++
		}
	}
	if busy == 0 {
		t.Error("10 code checks at once at 1 a second: none refused")
	}
}
