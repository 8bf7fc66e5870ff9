package admin

import (
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// This file holds the admin page's defence against cross-site request
// forgery. A browser sends the session cookie with every request to the
// server, also one that another page started (SameSite=Strict stops
// other sites, but not another port of the same host name). So a request
// that brings the cookie instead of the bearer token must show it comes
// from the server's own pages:
//
//   - a request that changes something (any method but GET, HEAD and
//     OPTIONS) carries an Origin header naming the server's own origin,
//     and a JSON body (Content-Type application/json), which an HTML form
//     cannot send;
//   - any request that carries an Origin header (or Sec-Fetch-Site:
//     cross-site) names the server's own origin.
//
// Browsers send Origin with every such request (fetch and forms alike),
// and a page cannot forge it.

const msgCSRF = "This request did not come from the admin page of this server."

// sameOrigin reports whether r may act with the session cookie.
func (s *sessions) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin != "" && !s.ownOrigin(r, origin) {
		return false
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	if origin == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "application/json"
}

// ownOrigin reports whether origin is the server's: the host the request
// was sent to (over TLS, with the https scheme), or the public URL's.
func (s *sessions) ownOrigin(r *http.Request, origin string) bool {
	if s.origin != "" && strings.EqualFold(origin, s.origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || u.Path != "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if r.TLS != nil && u.Scheme != "https" {
		return false
	}
	return strings.EqualFold(u.Host, r.Host)
}

// originOf is the origin (scheme://host[:port]) of a URL, or "".
func originOf(base string) string {
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}
