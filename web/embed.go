// Package web holds the browser client, embedded in the binary.
//
// The client is plain ES modules with no build step: index.html is served
// for every /r/<room-id> link and the scripts and styles under /assets/.
// The client's files are embedded as a whole (every page, script and style
// in this directory and in admin/, so a new module needs no change here);
// every .js and .css file is an asset; ui.js is the entry module and
// imports the others by relative path. The admin page lives in admin/:
// admin/index.html is served for /admin and its scripts and styles under
// /assets/admin/ (it also uses app.css).
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed *.html *.css *.js admin/*.html admin/*.css admin/*.js
var files embed.FS

// assetTypes are the content types of the files served under /assets/, by
// extension; other embedded files (index.html) are not assets.
var assetTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
}

// contentSecurityPolicy is sent with the page: no inline code, no third
// parties; media from the page's own peer connections only.
const contentSecurityPolicy = "default-src 'self'; media-src 'self' blob: mediastream:; " +
	"connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'"

// adminSecurityPolicy is sent with the admin page: its own scripts and
// styles, requests to its own origin, no framing, forms only to itself.
const adminSecurityPolicy = "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; " +
	"script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// asset is one embedded file, ready to serve.
type asset struct {
	body        []byte
	contentType string
	etag        string
}

// Options are what an operator may set in the page.
type Options struct {
	// SupportText is shown to people whose meeting ended, or who were
	// removed or not admitted: e.g. a helpline or crisis resources. Plain
	// text; "" shows none.
	SupportText string
	// CrisisText fills the "Get help now" panel, reachable from every
	// view of the meeting page (pre-join, waiting, meeting, removed,
	// ended): e.g. a national crisis line, the center's on-call number.
	// Plain text, line breaks kept; "" uses SupportText, and with both
	// empty the page has no such panel.
	CrisisText string
}

// supportSlot and helpSlot are the elements of index.html that hold
// Options.SupportText and the help panel's text.
const (
	supportSlot = `<p id="support-text" class="support-text" hidden></p>`
	helpSlot    = `<p id="help-text" class="help-text"></p>`
)

// fill returns a with the element slot (empty, ending in "></p>")
// holding text, escaped; a is unchanged when text is blank.
func fill(a asset, slot, text string) asset {
	text = strings.TrimSpace(text)
	if text == "" {
		return a
	}
	return withBody(a, bytes.Replace(a.body, []byte(slot),
		[]byte(strings.Replace(slot, "></p>", ">"+html.EscapeString(text)+"</p>", 1)), 1))
}

// Handler serves the client: index.html for /r/<room-id>, the admin page
// for /admin, and the assets under /assets/ and /assets/admin/.
func Handler() http.Handler { return HandlerWith(Options{}) }

// HandlerWith serves the client with the operator's options.
func HandlerWith(opts Options) http.Handler {
	page := mustAsset("index.html", "text/html; charset=utf-8")
	adminPage := mustAsset("admin/index.html", "text/html; charset=utf-8")
	page = fill(page, supportSlot, opts.SupportText)
	help := opts.CrisisText
	if strings.TrimSpace(help) == "" {
		help = opts.SupportText
	}
	page = fill(page, helpSlot, help)
	assets := map[string]asset{}
	for _, name := range append(assetNames("."), assetNames("admin")...) {
		assets[name] = mustAsset(name, assetTypes[path.Ext(name)])
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /r/{room}", func(w http.ResponseWriter, r *http.Request) {
		servePage(w, r, page, contentSecurityPolicy)
	})
	mux.HandleFunc("GET /admin", func(w http.ResponseWriter, r *http.Request) {
		servePage(w, r, adminPage, adminSecurityPolicy)
	})
	serveAsset := func(w http.ResponseWriter, r *http.Request, name string) {
		a, ok := assets[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		// No hashed file names: let browsers keep a copy but revalidate it.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("ETag", a.etag)
		serve(w, r, a)
	}
	mux.HandleFunc("GET /assets/{file}", func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, r.PathValue("file"))
	})
	mux.HandleFunc("GET /assets/admin/{file}", func(w http.ResponseWriter, r *http.Request) {
		serveAsset(w, r, "admin/"+r.PathValue("file"))
	})
	// Everything else, including other methods on the paths above.
	mux.HandleFunc("/", http.NotFound)
	return mux
}

// servePage writes a page with its security policy, never cached, never
// framed, sending no referrer.
func servePage(w http.ResponseWriter, r *http.Request, a asset, policy string) {
	h := w.Header()
	h.Set("Content-Security-Policy", policy)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	serve(w, r, a)
}

// serve writes a with its content type; http.ServeContent handles HEAD,
// ranges and If-None-Match.
func serve(w http.ResponseWriter, r *http.Request, a asset) {
	w.Header().Set("Content-Type", a.contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.body))
}

// assetNames lists the embedded files of dir served under /assets/ (by
// their path in the embedded tree: "app.css", "admin/admin.js").
func assetNames(dir string) []string {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		panic("web: " + err.Error())
	}
	var names []string
	for _, e := range entries {
		if _, ok := assetTypes[path.Ext(e.Name())]; ok && !e.IsDir() {
			names = append(names, path.Join(dir, e.Name()))
		}
	}
	return names
}

// withBody returns a with another body (and its ETag).
func withBody(a asset, body []byte) asset {
	sum := sha256.Sum256(body)
	return asset{body: body, contentType: a.contentType, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// mustAsset reads an embedded file; the names are fixed by the embed
// directive, so a failure is a build mistake.
func mustAsset(name, contentType string) asset {
	body, err := files.ReadFile(name)
	if err != nil {
		panic("web: " + err.Error())
	}
	return withBody(asset{contentType: contentType}, body)
}
