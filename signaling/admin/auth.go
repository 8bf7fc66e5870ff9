package admin

import (
	"crypto/subtle"
	"net/http"
	"strings"
)

// authorize decides whether r may use the API. It answers the refusal
// itself (401 unauthorized, with WWW-Authenticate) and reports false; on
// true the handler goes on. Today it accepts "Authorization: Bearer
// <admin token>"; the admin page's session cookie (with its CSRF checks)
// is to be decided here too, and only here.
func authorize(p Params, w http.ResponseWriter, r *http.Request) bool {
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if ok && subtle.ConstantTimeCompare([]byte(got), []byte(p.Token)) == 1 {
		return true
	}
	w.Header().Set("WWW-Authenticate", "Bearer")
	writeError(w, http.StatusUnauthorized, CodeUnauthorized, "the admin token is missing or wrong")
	return false
}
