// Package admin is the operators' HTTP API (docs/operations.md): JSON over
// HTTP, authenticated with a bearer admin token. It works on rooms through
// room.Service, never on a running meeting's media.
package admin

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// Params configures the operators' HTTP API.
type Params struct {
	Rooms *room.Service
	Log   *zap.Logger
	// Token must be presented as "Authorization: Bearer <token>". An empty
	// token turns the API off (every request gets 404).
	Token string
	// BaseURL is the base of the links returned, e.g. https://meet.example.org.
	BaseURL string
}

// CreatedRoom is the answer to POST /api/rooms.
type CreatedRoom struct {
	ID              string `json:"id"`
	MemberLink      string `json:"memberLink"`
	FacilitatorLink string `json:"facilitatorLink"`
	// PasscodeRequired: the room was created with a passcode (which is
	// never sent back).
	PasscodeRequired bool `json:"passcodeRequired,omitempty"`
}

// Handler serves the operators' API: POST /api/rooms {"name": "...",
// "passcode": "..."} creates a room (the passcode is optional) and returns
// its links (docs/operations.md).
func Handler(p Params) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rooms", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Name     string `json:"name"`
			Passcode string `json:"passcode"`
		}
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, `body must be {"name": "...", "passcode": "..." (optional)}`, http.StatusBadRequest)
			return
		}
		name := strings.TrimSpace(req.Name)
		if name == "" || len(name) > 100 {
			http.Error(w, "name must be 1 to 100 characters", http.StatusBadRequest)
			return
		}
		settings := room.DefaultSettings()
		if req.Passcode != "" {
			h, err := room.HashPasscode(req.Passcode)
			if err != nil {
				http.Error(w, fmt.Sprintf("passcode must be %d to %d characters without control characters",
					room.MinPasscode, room.MaxPasscode), http.StatusBadRequest)
				return
			}
			settings.PasscodeHash = h
		}
		created, err := p.Rooms.Create(r.Context(), name, settings)
		if err != nil {
			p.Log.Error("create room", zap.Error(err))
			http.Error(w, "could not create the room", http.StatusInternalServerError)
			return
		}
		p.Log.Info("room created", zap.Stringer("room", created.ID))
		link := strings.TrimRight(p.BaseURL, "/") + "/r/" + created.ID.String()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(CreatedRoom{ID: created.ID.String(), MemberLink: link,
			FacilitatorLink: link + "#f=" + created.FacilitatorKey, PasscodeRequired: settings.PasscodeRequired()})
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.Token == "" {
			http.NotFound(w, r)
			return
		}
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(p.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", "Bearer")
			http.Error(w, "admin token required", http.StatusUnauthorized)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
