package admin

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// This file holds the admin page's sign-in: a session cookie that stands
// for the admin token in the browser of a member of staff. The cookie is
// stateless (an expiry and its HMAC), so every instance sharing the admin
// token accepts it, and changing the token signs everyone out: the HMAC
// key is derived from the token.

// SessionCookie is the name of the admin page's session cookie.
const SessionCookie = "hearth_admin"

// SessionLifetime is how long a sign-in lasts.
const SessionLifetime = 12 * time.Hour

// Messages of the sign-in.
const (
	msgWrongToken = "That admin token is not right."
	msgSignedOut  = "Not signed in, or the session has ended. Please sign in again."
	msgSignInBody = `the body must be {"token": "..."}`
)

// sessions issues and checks session cookies. Static after construction.
type sessions struct {
	token  string
	key    []byte // HMAC key derived from token
	now    func() time.Time
	secure bool   // the public URL is https: cookies are Secure even behind a TLS proxy
	origin string // the public URL's origin, e.g. https://meet.example.org
	tries  *wrongTries
	log    *zap.Logger
}

func newSessions(p Params) *sessions {
	s := &sessions{token: p.Token, now: p.Now, log: p.Log, tries: newWrongTries(p.Now, p.ClientAddr),
		secure: strings.HasPrefix(strings.ToLower(p.BaseURL), "https://"), origin: originOf(p.BaseURL)}
	if s.now == nil {
		s.now = time.Now
	}
	// The token is a secret of high entropy, so HKDF without a salt is a
	// sound derivation; the label keeps this key apart from any other use.
	key, err := hkdf.Key(sha256.New, []byte(p.Token), nil, "hearth admin session cookie v1", 32)
	if err == nil {
		s.key = key
	}
	return s
}

// mac is the cookie's signature of its expiry.
func (s *sessions) mac(expiry string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(SessionCookie + "|" + expiry))
	return m.Sum(nil)
}

// value is a cookie value valid until exp: "<unix seconds>.<base64url HMAC>".
func (s *sessions) value(exp time.Time) string {
	e := strconv.FormatInt(exp.Unix(), 10)
	return e + "." + base64.RawURLEncoding.EncodeToString(s.mac(e))
}

// signedIn reports whether r carries a valid, unexpired session cookie.
func (s *sessions) signedIn(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil || len(s.key) == 0 {
		return false
	}
	e, sig, ok := strings.Cut(c.Value, ".")
	if !ok {
		return false
	}
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || !s.now().Before(time.Unix(exp, 0)) {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	return err == nil && hmac.Equal(got, s.mac(e))
}

// cookie is the session cookie for r with value and max age (negative:
// delete it).
func (s *sessions) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: r.TLS != nil || s.secure,
	}
}

// handle adds the sign-in routes to mux:
//
//	GET    /admin/session  200 {"signedIn": true, "expiresAt": ...}, or 401
//	POST   /admin/session  {"token": "..."}: 200 and the cookie, or 401, or 429
//	DELETE /admin/session  204, the cookie removed
//
// POST and DELETE must come from the server's own pages (sameOrigin).
func (s *sessions) handle(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/session", func(w http.ResponseWriter, r *http.Request) {
		if !s.signedIn(r) {
			writeError(w, http.StatusUnauthorized, CodeUnauthorized, msgSignedOut)
			return
		}
		c, _ := r.Cookie(SessionCookie)
		e, _, _ := strings.Cut(c.Value, ".")
		exp, _ := strconv.ParseInt(e, 10, 64)
		writeJSON(w, http.StatusOK, map[string]any{"signedIn": true, "expiresAt": time.Unix(exp, 0).UTC().Format(time.RFC3339)})
	})
	mux.HandleFunc("POST /admin/session", s.signIn)
	mux.HandleFunc("DELETE /admin/session", func(w http.ResponseWriter, r *http.Request) {
		if !s.sameOrigin(r) {
			writeError(w, http.StatusForbidden, CodeCSRF, msgCSRF)
			return
		}
		http.SetCookie(w, s.cookie(r, "", -1))
		w.WriteHeader(http.StatusNoContent)
	})
}

// signIn checks the token (a limited number of wrong tries per client
// address) and sets the session cookie.
func (s *sessions) signIn(w http.ResponseWriter, r *http.Request) {
	if !s.sameOrigin(r) {
		writeError(w, http.StatusForbidden, CodeCSRF, msgCSRF)
		return
	}
	var req struct {
		Token string `json:"token"`
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, msgSignInBody)
		return
	}
	try, ok := s.tries.begin(r)
	if !ok {
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusTooManyRequests, CodeRateLimited, msgTooManyTries)
		return
	}
	if subtle.ConstantTimeCompare([]byte(req.Token), []byte(s.token)) != 1 {
		s.log.Info("admin sign-in refused: wrong token")
		writeError(w, http.StatusUnauthorized, CodeUnauthorized, msgWrongToken)
		return
	}
	try.forgive()
	exp := s.now().Add(SessionLifetime).Truncate(time.Second)
	http.SetCookie(w, s.cookie(r, s.value(exp), int(SessionLifetime/time.Second)))
	s.log.Info("admin signed in")
	writeJSON(w, http.StatusOK, map[string]any{"signedIn": true, "expiresAt": exp.UTC().Format(time.RFC3339)})
}
