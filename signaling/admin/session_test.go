package admin

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
)

const (
	testToken  = "staff-token-1234"
	testHost   = "meet.example.org"
	testOrigin = "http://meet.example.org"
)

// clock is a settable clock.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	tick time.Duration // added at every reading
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.tick)
	return c.t
}
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testAPI is the operators' API on an in-memory room service.
func testAPI(t *testing.T, token, base string, clk *clock) http.Handler {
	t.Helper()
	return Handler(Params{Rooms: testRooms(), Log: zap.NewNop(), Token: token, BaseURL: base, Now: clk.now})
}

// testRooms is a room service on in-memory stores.
func testRooms() *room.Service {
	return room.NewServiceWith(room.ServiceParams{Store: memory.New(), Directory: memory.NewDirectory()})
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 1, 18, 0, 0, 0, time.UTC)} }

// request is one request to the API, sent straight to its handler.
type request struct {
	method, path, body string
	header             map[string]string
	cookie             *http.Cookie
	remote             string
}

func (rq request) do(h http.Handler) *http.Response {
	r := httptest.NewRequest(rq.method, "http://"+testHost+rq.path, strings.NewReader(rq.body))
	if rq.remote != "" {
		r.RemoteAddr = rq.remote
	}
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	if rq.cookie != nil {
		r.AddCookie(rq.cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Result()
}

// fromPage are the headers the admin page's fetch sends with a body.
var fromPage = map[string]string{"Origin": testOrigin, "Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"}

// signInWith posts the token as the admin page does.
func signInWith(h http.Handler, token string) *http.Response {
	return request{method: http.MethodPost, path: "/admin/session", body: `{"token":` + quote(token) + `}`, header: fromPage}.do(h)
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// errorCode is the code of an API error answer.
func errorCode(t *testing.T, res *http.Response) (code, message string) {
	t.Helper()
	var body struct {
		Error struct{ Code, Message string }
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("HTTP %d without a JSON error: %v", res.StatusCode, err)
	}
	return body.Error.Code, body.Error.Message
}

// sessionOf is the session cookie res sets, or nil.
func sessionOf(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

func TestSignIn(t *testing.T) {
	h := testAPI(t, testToken, testOrigin, newClock())

	res := signInWith(h, "wrong")
	if code, msg := errorCode(t, res); res.StatusCode != http.StatusUnauthorized || code != "unauthorized" || msg != "That admin token is not right." {
		t.Errorf("wrong token: HTTP %d %s %q", res.StatusCode, code, msg)
	}
	if sessionOf(res) != nil {
		t.Error("a wrong token set the cookie")
	}

	res = signInWith(h, testToken)
	c := sessionOf(res)
	if res.StatusCode != http.StatusOK || c == nil {
		t.Fatalf("right token: HTTP %d, cookie %v", res.StatusCode, c)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.Secure || c.MaxAge != 12*3600 {
		t.Errorf("cookie %s: want HttpOnly, SameSite=Strict, Path=/, Max-Age=43200, not Secure over plain HTTP", c)
	}
	if strings.Contains(c.Value, testToken) {
		t.Error("the cookie carries the token")
	}

	res = request{method: http.MethodGet, path: "/admin/session", cookie: c}.do(h)
	if res.StatusCode != http.StatusOK {
		t.Errorf("GET /admin/session with the cookie: HTTP %d", res.StatusCode)
	}
	res = request{method: http.MethodGet, path: "/admin/session"}.do(h)
	if code, _ := errorCode(t, res); res.StatusCode != http.StatusUnauthorized || code != "unauthorized" {
		t.Errorf("GET /admin/session without the cookie: HTTP %d %s", res.StatusCode, code)
	}
	res = request{method: http.MethodPost, path: "/api/rooms", body: `{"name":"Tuesday group"}`, header: fromPage, cookie: c}.do(h)
	if res.StatusCode != http.StatusCreated {
		t.Errorf("create a room with the cookie from the page: HTTP %d", res.StatusCode)
	}

	res = request{method: http.MethodDelete, path: "/admin/session", header: fromPage, cookie: c}.do(h)
	if out := sessionOf(res); res.StatusCode != http.StatusNoContent || out == nil || out.MaxAge >= 0 || out.Value != "" {
		t.Errorf("sign out: HTTP %d, cookie %v; want 204 and the cookie removed", res.StatusCode, out)
	}
}

// The cookie is Secure when the request came over TLS, or when the
// public URL is https (a TLS proxy in front).
func TestSessionCookieSecure(t *testing.T) {
	srv := httptest.NewTLSServer(testAPI(t, testToken, "", newClock()))
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/admin/session", strings.NewReader(`{"token":"`+testToken+`"}`))
	req.Header.Set("Origin", srv.URL)
	req.Header.Set("Content-Type", "application/json")
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if c := sessionOf(res); c == nil || !c.Secure {
		t.Errorf("over TLS: cookie %v, want Secure", c)
	}

	h := testAPI(t, testToken, "https://"+testHost, newClock())
	res = request{method: http.MethodPost, path: "/admin/session", body: `{"token":"` + testToken + `"}`,
		header: map[string]string{"Origin": "https://" + testHost, "Content-Type": "application/json"}}.do(h)
	if c := sessionOf(res); c == nil || !c.Secure {
		t.Errorf("behind a TLS proxy (https public URL): cookie %v, want Secure", c)
	}
}

// A session is valid on every instance with the same token until it
// expires; a changed token or a changed cookie is refused.
func TestSessionCookieValidity(t *testing.T) {
	clk := newClock()
	h := testAPI(t, testToken, testOrigin, clk)
	c := sessionOf(signInWith(h, testToken))
	if c == nil {
		t.Fatal("no cookie")
	}
	signedIn := func(h http.Handler, c *http.Cookie) bool {
		return request{method: http.MethodGet, path: "/admin/session", cookie: c}.do(h).StatusCode == http.StatusOK
	}
	if !signedIn(testAPI(t, testToken, testOrigin, clk), c) {
		t.Error("another instance with the same token refuses the session")
	}
	if signedIn(testAPI(t, testToken+"-new", testOrigin, clk), c) {
		t.Error("a changed token still accepts the old session")
	}
	tampered := *c
	exp, mac, _ := strings.Cut(c.Value, ".")
	tampered.Value = exp[:len(exp)-1] + "9." + mac
	if signedIn(h, &tampered) {
		t.Error("a cookie with a changed expiry is accepted")
	}
	for _, v := range []string{"", ".", "x.y", exp, "99999999999." + mac} {
		if signedIn(h, &http.Cookie{Name: SessionCookie, Value: v}) {
			t.Errorf("cookie value %q accepted", v)
		}
	}
	clk.add(SessionLifetime - time.Second)
	if !signedIn(h, c) {
		t.Error("the session ended before its lifetime")
	}
	clk.add(time.Second)
	if signedIn(h, c) {
		t.Error("the session outlives its lifetime")
	}
}

// With the cookie, only the server's own pages may change something:
// Origin of the server and a JSON body. The bearer token is not sent by
// browsers on their own, so it needs neither.
func TestCSRF(t *testing.T) {
	h := testAPI(t, testToken, testOrigin, newClock())
	c := sessionOf(signInWith(h, testToken))
	body := `{"name":"Forged"}`
	tests := []struct {
		name   string
		header map[string]string
		cookie *http.Cookie
		want   int
	}{
		{"from the page", fromPage, c, http.StatusCreated},
		{"no Origin", map[string]string{"Content-Type": "application/json"}, c, http.StatusForbidden},
		{"another port", map[string]string{"Origin": testOrigin + ":8443", "Content-Type": "application/json"}, c, http.StatusForbidden},
		{"another site", map[string]string{"Origin": "https://evil.example", "Content-Type": "application/json"}, c, http.StatusForbidden},
		{"null origin", map[string]string{"Origin": "null", "Content-Type": "application/json"}, c, http.StatusForbidden},
		{"form as text/plain", map[string]string{"Origin": testOrigin, "Content-Type": "text/plain"}, c, http.StatusForbidden},
		{"urlencoded form", map[string]string{"Origin": testOrigin, "Content-Type": "application/x-www-form-urlencoded"}, c, http.StatusForbidden},
		{"multipart form", map[string]string{"Origin": testOrigin, "Content-Type": "multipart/form-data; boundary=x"}, c, http.StatusForbidden},
		{"cross-site fetch", map[string]string{"Origin": testOrigin, "Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"}, c, http.StatusForbidden},
		{"JSON with charset", map[string]string{"Origin": testOrigin, "Content-Type": "application/json; charset=utf-8"}, c, http.StatusCreated},
		{"bearer from anywhere", map[string]string{"Authorization": "Bearer " + testToken, "Origin": "https://evil.example", "Content-Type": "text/plain"}, nil, http.StatusCreated},
		{"no cookie", fromPage, nil, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := request{method: http.MethodPost, path: "/api/rooms", body: body, header: tt.header, cookie: tt.cookie}.do(h)
			if res.StatusCode != tt.want {
				b, _ := io.ReadAll(res.Body)
				t.Fatalf("HTTP %d %s, want %d", res.StatusCode, b, tt.want)
			}
			if tt.want == http.StatusForbidden {
				if code, _ := errorCode(t, res); code != "csrf" {
					t.Errorf("code %q, want csrf", code)
				}
			}
		})
	}
	// Signing in and out are held to the same rule.
	for _, rq := range []request{
		{method: http.MethodPost, path: "/admin/session", body: `{"token":"` + testToken + `"}`,
			header: map[string]string{"Origin": "http://other.example", "Content-Type": "application/json"}},
		{method: http.MethodPost, path: "/admin/session", body: `{"token":"` + testToken + `"}`,
			header: map[string]string{"Origin": testOrigin, "Content-Type": "text/plain"}},
		{method: http.MethodDelete, path: "/admin/session", header: map[string]string{"Origin": "http://other.example"}, cookie: c},
	} {
		res := rq.do(h)
		if code, _ := errorCode(t, res); res.StatusCode != http.StatusForbidden || code != "csrf" || sessionOf(res) != nil {
			t.Errorf("%s /admin/session with %v: HTTP %d %s", rq.method, rq.header, res.StatusCode, code)
		}
	}
}

// Five wrong tokens a minute per client address, at sign-in or as the
// API's bearer token; then even the right one waits. Other addresses are
// not held back, and right tokens cost nothing.
func TestWrongTokensLimited(t *testing.T) {
	clk := newClock()
	clk.tick = time.Millisecond // time passes between taking a try and forgiving it
	h := Handler(Params{Rooms: testRooms(), Log: zap.NewNop(), Token: testToken,
		BaseURL: testOrigin, Now: clk.now, ClientAddr: func(r *http.Request) netip.Addr {
			return netip.MustParseAddr(r.Header.Get("X-Test-Client"))
		}})
	try := func(addr, token string) int {
		hdr := map[string]string{"X-Test-Client": addr}
		for k, v := range fromPage {
			hdr[k] = v
		}
		res := request{method: http.MethodPost, path: "/admin/session", body: `{"token":` + quote(token) + `}`, header: hdr}.do(h)
		return res.StatusCode
	}
	for i := range 10 {
		if got := try("192.0.2.7", testToken); got != http.StatusOK {
			t.Fatalf("right token #%d: HTTP %d", i+1, got)
		}
	}
	for i := range WrongTokensPerMinute {
		if got := try("192.0.2.7", "guess"); got != http.StatusUnauthorized {
			t.Fatalf("wrong token #%d: HTTP %d, want 401", i+1, got)
		}
	}
	if got := try("192.0.2.7", "guess"); got != http.StatusTooManyRequests {
		t.Errorf("wrong token #%d: HTTP %d, want 429", WrongTokensPerMinute+1, got)
	}
	if got := try("192.0.2.7", testToken); got != http.StatusTooManyRequests {
		t.Errorf("the right token after too many wrong ones: HTTP %d, want 429", got)
	}
	if got := try("198.51.100.9", testToken); got != http.StatusOK {
		t.Errorf("another address: HTTP %d, want 200", got)
	}
	clk.add(time.Minute / WrongTokensPerMinute)
	if got := try("192.0.2.7", testToken); got != http.StatusOK {
		t.Errorf("a token's worth of time later: HTTP %d, want 200", got)
	}

	// Wrong bearer tokens of the API count the same.
	bearer := func(token string) int {
		return request{method: http.MethodPost, path: "/api/rooms", body: `{"name":"Group"}`,
			header: map[string]string{"X-Test-Client": "203.0.113.5", "Authorization": "Bearer " + token}}.do(h).StatusCode
	}
	if got := bearer(testToken); got != http.StatusCreated {
		t.Fatalf("API with the right token: HTTP %d", got)
	}
	for range WrongTokensPerMinute {
		if got := bearer("guess"); got != http.StatusUnauthorized {
			t.Fatalf("API with a wrong token: HTTP %d, want 401", got)
		}
	}
	if got := bearer(testToken); got != http.StatusTooManyRequests {
		t.Errorf("API after too many wrong tokens: HTTP %d, want 429", got)
	}
}

// Without a token the sign-in does not exist, like the API.
func TestNoTokenNoSignIn(t *testing.T) {
	h := testAPI(t, "", testOrigin, newClock())
	for _, rq := range []request{
		{method: http.MethodGet, path: "/admin/session"},
		{method: http.MethodPost, path: "/admin/session", body: `{"token":""}`, header: fromPage},
	} {
		if res := rq.do(h); res.StatusCode != http.StatusNotFound || sessionOf(res) != nil {
			t.Errorf("%s %s without a token configured: HTTP %d", rq.method, rq.path, res.StatusCode)
		}
	}
}
