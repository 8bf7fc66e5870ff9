package admin

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorize decides whether r may use the API, and is the only place that
// does. It accepts "Authorization: Bearer <admin token>", or the admin
// page's session cookie (session.go) on a request from the server's own
// pages (csrf.go; otherwise 403 csrf). Anything else is 401 unauthorized,
// with WWW-Authenticate. Wrong bearer tokens count against the client
// address like wrong tokens at sign-in (tries.go): then 429 rate_limited.
// It answers a refusal itself and reports false; on true the handler goes
// on.
func authorize(p Params, s *sessions, w http.ResponseWriter, r *http.Request) bool {
	if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		try, ok := s.tries.begin(r)
		if !ok {
			w.Header().Set("Retry-After", "60")
			writeError(w, http.StatusTooManyRequests, CodeRateLimited, msgTooManyTries)
			return false
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(p.Token)) == 1 {
			try.forgive()
			return true
		}
	} else if s.signedIn(r) {
		if s.sameOrigin(r) {
			return true
		}
		writeError(w, http.StatusForbidden, CodeCSRF, msgCSRF)
		return false
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeError(w, http.StatusUnauthorized, CodeUnauthorized, "the admin token is missing or wrong")
	return false
}
