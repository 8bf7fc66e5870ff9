package verify

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/hearth-meet/hearth/room/attest"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// maxUpload bounds a proof file or form, in bytes (a proof is under 1 KiB).
const maxUpload = 64 << 10

// securityPolicy is sent with the /verify pages: its own script and
// styles, forms only to itself, no framing.
const securityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// Result is the answer of a check (POST /verify as JSON).
type Result struct {
	// Genuine: the proof or code was made by this server.
	Genuine bool `json:"genuine"`
	// Statement is what a genuine proof attests.
	Statement *Shown `json:"statement,omitempty"`
	// Code is what a genuine short code attests.
	Code *CodeShown `json:"code,omitempty"`
	// Reason says why it is not genuine.
	Reason string `json:"reason,omitempty"`
}

// Shown is a statement as the checker reads it: what it attests, and
// the id of the key that signed it.
type Shown struct {
	protocol.Attested
	Key string `json:"key"`
}

// Show returns what st attests, for a reader.
func Show(st attest.Statement) Shown {
	return Shown{Attested: protocol.Attested{Label: st.Label, Date: st.Date(), Joined: st.Joined.Format("15:04"),
		Left: st.Left.Format("15:04"), Zone: st.Zone(), Minutes: st.Minutes, Name: st.Name, Confirmed: st.Confirmed},
		Key: st.Key}
}

// CodeShown is what a short code attests, for a reader (times in UTC).
type CodeShown struct {
	Date      string `json:"date"`
	Joined    string `json:"joined"`
	Left      string `json:"left"`
	Minutes   int    `json:"minutes"`
	Name      string `json:"name"`
	Confirmed bool   `json:"confirmed"`
}

// ServeHTTP serves GET /verify (the form), POST /verify (a check: an HTML
// page, or JSON when the request accepts application/json) and GET
// /verify/keys (the public keys, JSON).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", securityPolicy)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	switch {
	case r.URL.Path == "/verify/keys" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, map[string]any{"keys": s.PublicKeys(r.Context())})
	case r.URL.Path != "/verify":
		http.NotFound(w, r)
	case r.Method == http.MethodGet || r.Method == http.MethodHead:
		s.page(w, r, http.StatusOK, nil)
	case r.Method == http.MethodPost:
		status, res := s.check(r)
		s.page(w, r, status, &res)
	default:
		h.Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// check reads a form (proof text, proof file, or code and name) and
// checks what it holds.
func (s *Service) check(r *http.Request) (int, Result) {
	r.Body = http.MaxBytesReader(nil, r.Body, maxUpload)
	proof, code, name, err := readForm(r)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return http.StatusRequestEntityTooLarge, Result{Reason: "that is too large to be a proof of attendance"}
	case err != nil:
		return http.StatusBadRequest, Result{Reason: "the form could not be read"}
	case proof != "":
		st, err := s.Check(r.Context(), proof)
		if err != nil {
			return http.StatusOK, Result{Reason: reason(err)}
		}
		shown := Show(st)
		return http.StatusOK, Result{Genuine: true, Statement: &shown}
	case code != "":
		f, err := s.CheckCode(r.Context(), code, name)
		if errors.Is(err, ErrBusy) {
			return http.StatusTooManyRequests, Result{Reason: err.Error()}
		}
		if err != nil {
			return http.StatusOK, Result{Reason: reason(err)}
		}
		return http.StatusOK, Result{Genuine: true, Code: &CodeShown{Date: f.Joined.Format("2006-01-02"),
			Joined: f.Joined.Format("15:04"), Left: f.Left.Format("15:04"), Minutes: f.Minutes, Name: f.Name,
			Confirmed: f.Confirmed}}
	}
	return http.StatusBadRequest, Result{Reason: "give a proof (its file or the text of its QR code) or a short code"}
}

// readForm returns the proof (pasted or uploaded), the code and the name.
func readForm(r *http.Request) (proof, code, name string, err error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err = r.ParseMultipartForm(maxUpload); err != nil {
			return "", "", "", err
		}
		if f, _, ferr := r.FormFile("file"); ferr == nil {
			defer f.Close()
			b, rerr := io.ReadAll(io.LimitReader(f, maxUpload))
			if rerr != nil {
				return "", "", "", rerr
			}
			proof = string(b)
		}
	} else if err = r.ParseForm(); err != nil {
		return "", "", "", err
	}
	if p := strings.TrimSpace(r.PostFormValue("proof")); p != "" {
		proof = p
	}
	return strings.TrimSpace(proof), strings.TrimSpace(r.PostFormValue("code")), r.PostFormValue("name"), nil
}

// reason words a check's failure for the reader.
func reason(err error) string {
	switch {
	case errors.Is(err, attest.ErrMalformed):
		return "This is not a proof of attendance, or it was changed: it cannot be read."
	case errors.Is(err, attest.ErrUnknownKey):
		return "This proof was not signed by this server."
	case errors.Is(err, attest.ErrBadSignature):
		return "This proof was changed after it was signed: its signature does not match."
	case errors.Is(err, attest.ErrBadCode):
		return "No proof made here has this code with this name. Check the code, and type the name exactly as printed (leave it empty if the proof has none)."
	}
	return "This proof could not be checked."
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// page answers with the form and, after a check, its result: JSON when
// the client asks for it.
func (s *Service) page(w http.ResponseWriter, r *http.Request, status int, res *Result) {
	if res != nil && strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, status, res)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_ = s.tmpl.Execute(w, struct{ Result *Result }{res})
}
