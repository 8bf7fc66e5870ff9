// Package admin is the operators' HTTP API (docs/admin-api.md): JSON over
// HTTP, authenticated with the admin token (auth.go). It keeps rooms'
// definitions through room.Service and sees running meetings only as
// counts and times, never who is in them.
package admin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/attest"
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
	// Version and Instance are reported by /api/health.
	Version, Instance string
	// Ready reports whether the server can serve meetings (the shared
	// state is reachable); nil: always.
	Ready func(context.Context) error
	// ClientAddr is the address a request's wrong admin tokens are counted
	// under (signaling.Server.ClientAddr: the peer, or behind a trusted
	// proxy the client it names); nil means the TCP peer.
	ClientAddr func(*http.Request) netip.Addr
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ProofKeys lists the public keys of proofs of attendance, after
	// adding a new signing key when rotate is set (verify.Service.Keys);
	// nil: /api/proof-keys answers not_found.
	ProofKeys func(ctx context.Context, rotate bool) ([]attest.PublicKey, error)
}

// maxBody bounds a request's body.
const maxBody = 64 << 10

type api struct{ Params }

// Handler serves the operators' API under /api/ (docs/admin-api.md) and
// the admin page's sign-in at /admin/session (session.go).
func Handler(p Params) http.Handler {
	if p.Now == nil {
		p.Now = time.Now
	}
	if p.Log == nil {
		p.Log = zap.NewNop()
	}
	a := &api{p}
	mux := http.NewServeMux()
	s := newSessions(p)
	s.handle(mux)
	mux.HandleFunc("GET /api/rooms", a.listRooms)
	mux.HandleFunc("POST /api/rooms", a.createRoom)
	mux.HandleFunc("GET /api/rooms/{id}", a.getRoom)
	mux.HandleFunc("PATCH /api/rooms/{id}", a.patchRoom)
	mux.HandleFunc("DELETE /api/rooms/{id}", a.deleteRoom)
	mux.HandleFunc("POST /api/rooms/{id}/rotate-links", a.rotateLinks)
	mux.HandleFunc("POST /api/rooms/{id}/invites", a.createInvite)
	mux.HandleFunc("POST /api/rooms/{id}/end", a.endMeeting)
	mux.HandleFunc("GET /api/meetings", a.meetings)
	mux.HandleFunc("GET /api/formats", a.formats)
	mux.HandleFunc("GET /api/health", a.health)
	mux.HandleFunc("GET /api/proof-keys", a.proofKeys(false))
	mux.HandleFunc("POST /api/proof-keys/rotate", a.proofKeys(true))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such API route")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p.Token == "" {
			http.NotFound(w, r)
			return
		}
		if r.URL.Path != "/admin/session" && !authorize(p, s, w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (a *api) listRooms(w http.ResponseWriter, r *http.Request) {
	ds, err := a.Rooms.ListRooms(r.Context())
	if err != nil {
		a.fail(w, "list rooms", err)
		return
	}
	out := RoomList{Rooms: make([]Room, 0, len(ds))}
	for _, d := range ds {
		rm, err := a.room(r.Context(), d)
		if err != nil {
			a.fail(w, "list rooms", err)
			return
		}
		out.Rooms = append(out.Rooms, rm)
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) createRoom(w http.ResponseWriter, r *http.Request) {
	var req NewRoom
	if !decode(w, r, &req) {
		return
	}
	settings := room.DefaultSettings()
	if req.Settings != nil {
		var err error
		if settings, err = settings.Apply(*req.Settings); err != nil {
			a.fail(w, "create room", err)
			return
		}
	}
	d, err := a.Rooms.CreateRoom(r.Context(), room.RoomSpec{Name: req.Name, Settings: settings,
		Passcode: req.Passcode, Schedule: req.Schedule})
	if err != nil {
		a.fail(w, "create room", err)
		return
	}
	a.Log.Info("room created", zap.Stringer("room", d.ID))
	a.answerRoom(w, r, http.StatusCreated, d)
}

// formats answers the ready meeting formats (docs/formats.md).
func (a *api) formats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, FormatList{Templates: room.Templates()})
}

func (a *api) getRoom(w http.ResponseWriter, r *http.Request) {
	id, ok := roomID(w, r)
	if !ok {
		return
	}
	d, err := a.Rooms.Room(r.Context(), id)
	if err != nil {
		a.fail(w, "get room", err)
		return
	}
	a.answerRoom(w, r, http.StatusOK, d)
}

func (a *api) patchRoom(w http.ResponseWriter, r *http.Request) {
	id, ok := roomID(w, r)
	if !ok {
		return
	}
	var req RoomPatch
	if !decode(w, r, &req) {
		return
	}
	c := room.RoomChange{Name: req.Name, Settings: req.Settings}
	if req.Passcode != nil {
		u := room.SettingsUpdate{}
		if c.Settings != nil {
			u = *c.Settings
		}
		u.Passcode = req.Passcode
		c.Settings = &u
	}
	if len(req.Schedule) > 0 {
		c.SetSchedule = true
		if string(req.Schedule) != "null" {
			var s room.Schedule
			if err := strictJSON(req.Schedule, &s); err != nil {
				writeError(w, http.StatusBadRequest, CodeBadRequest, "schedule: "+err.Error())
				return
			}
			c.Schedule = &s
		}
	}
	d, err := a.Rooms.UpdateRoom(r.Context(), id, c)
	if err != nil {
		a.fail(w, "update room", err)
		return
	}
	a.Log.Info("room changed", zap.Stringer("room", id))
	a.answerRoom(w, r, http.StatusOK, d)
}

func (a *api) deleteRoom(w http.ResponseWriter, r *http.Request) {
	id, ok := roomID(w, r)
	if !ok {
		return
	}
	if err := a.Rooms.DeleteRoom(r.Context(), id); err != nil {
		a.fail(w, "delete room", err)
		return
	}
	a.Log.Info("room deleted", zap.Stringer("room", id))
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) rotateLinks(w http.ResponseWriter, r *http.Request) {
	id, ok := roomID(w, r)
	if !ok {
		return
	}
	d, err := a.Rooms.RotateLinks(r.Context(), id)
	if err != nil {
		a.fail(w, "rotate links", err)
		return
	}
	a.Log.Info("room links rotated", zap.Stringer("room", id), zap.Int("generation", d.Links.Generation))
	a.answerRoom(w, r, http.StatusOK, d)
}

func (a *api) createInvite(w http.ResponseWriter, r *http.Request) {
	id, ok := roomID(w, r)
	if !ok {
		return
	}
	var req NewInvite
	if !decode(w, r, &req) {
		return
	}
	valid, err := ParseExpiry(req.Expires)
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, "expires: "+err.Error())
		return
	}
	token, inv, err := a.Rooms.CreateInvite(r.Context(), id, room.InviteSpec{Uses: req.Uses, Valid: valid, Label: req.Label})
	if err != nil {
		a.fail(w, "create invite", err)
		return
	}
	a.Log.Info("invite created", zap.Stringer("room", id), zap.Int("uses", inv.UsesLeft))
	writeJSON(w, http.StatusCreated, CreatedInvite{Link: a.link(id, "i", token), Uses: inv.UsesLeft,
		ExpiresAt: inv.ExpiresAt, Label: inv.Label})
}

func (a *api) endMeeting(w http.ResponseWriter, r *http.Request) {
	id, ok := roomID(w, r)
	if !ok {
		return
	}
	if _, err := a.Rooms.Room(r.Context(), id); err != nil {
		a.fail(w, "end meeting", err)
		return
	}
	if err := a.Rooms.EndMeeting(r.Context(), id); err != nil {
		a.fail(w, "end meeting", err)
		return
	}
	a.Log.Info("meeting ended by an operator", zap.Stringer("room", id))
	w.WriteHeader(http.StatusNoContent)
}

func (a *api) meetings(w http.ResponseWriter, r *http.Request) {
	ms, err := a.Rooms.Meetings(r.Context())
	if err != nil {
		a.fail(w, "list meetings", err)
		return
	}
	now := a.Now()
	out := MeetingList{Meetings: make([]Meeting, 0, len(ms))}
	for _, m := range ms {
		out.Meetings = append(out.Meetings, Meeting{RoomID: m.Room.String(), RoomName: m.RoomName,
			Participants: m.Participants, Waiting: m.Waiting, StartedAt: m.StartedAt,
			DurationSeconds: int64(max(0, now.Sub(m.StartedAt)/time.Second))})
	}
	writeJSON(w, http.StatusOK, out)
}

func (a *api) health(w http.ResponseWriter, r *http.Request) {
	h := Health{Ready: true, Version: a.Version, Instance: a.Instance}
	if a.Ready != nil && a.Ready(r.Context()) != nil {
		h.Ready = false
	}
	if ms, err := a.Rooms.Meetings(r.Context()); err == nil {
		h.Meetings = len(ms)
		for _, m := range ms {
			h.Participants += m.Participants + m.Waiting
		}
	} else {
		h.Ready = false
	}
	writeJSON(w, http.StatusOK, h) // /readyz is the probe; this page reports

}

// room is d as the API shows it.
func (a *api) room(ctx context.Context, d *room.Definition) (Room, error) {
	member, facilitator, err := a.Rooms.LinkKeys(ctx, d)
	if err != nil {
		return Room{}, err
	}
	s := d.Settings
	s.PasscodeHash = ""
	open := 0
	now := a.Now()
	for _, inv := range d.Invites {
		if inv.UsesLeft > 0 && now.Before(inv.ExpiresAt) {
			open++
		}
	}
	return Room{ID: d.ID.String(), Name: d.Name, Settings: s, PasscodeRequired: d.Settings.PasscodeRequired(),
		Schedule: d.Schedule, MemberLink: a.link(d.ID, "k", member), FacilitatorLink: a.link(d.ID, "f", facilitator),
		OpenInvites: open, CreatedAt: d.CreatedAt}, nil
}

func (a *api) answerRoom(w http.ResponseWriter, r *http.Request, status int, d *room.Definition) {
	rm, err := a.room(r.Context(), d)
	if err != nil {
		a.fail(w, "room links", err)
		return
	}
	writeJSON(w, status, rm)
}

// link is the room's link with a secret in its fragment: BASE/r/<id>#<k>=<secret>.
func (a *api) link(id room.RoomID, k, secret string) string {
	return RoomLink(a.BaseURL, id, k, secret)
}

// RoomLink is a room's link with a secret in its fragment (never sent in
// HTTP requests): base/r/<id>#<kind>=<secret>, kind "k" (member), "f"
// (facilitator) or "i" (invite).
func RoomLink(base string, id room.RoomID, kind, secret string) string {
	return strings.TrimRight(base, "/") + "/r/" + id.String() + "#" + kind + "=" + secret
}

// fail answers a room error with its code: not_found, bad_request,
// conflict, or internal (logged; the answer says nothing more).
func (a *api) fail(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, room.ErrNotFound):
		writeError(w, http.StatusNotFound, CodeNotFound, "no such room")
	case errors.Is(err, room.ErrBadCommand):
		writeError(w, http.StatusBadRequest, CodeBadRequest, strings.TrimPrefix(err.Error(), room.ErrBadCommand.Error()+": "))
	case errors.Is(err, room.ErrExists):
		writeError(w, http.StatusConflict, CodeConflict, "the room exists already")
	default:
		a.Log.Error(what, zap.Error(err))
		writeError(w, http.StatusInternalServerError, CodeInternal, "the server could not do this; see its log")
	}
}

func roomID(w http.ResponseWriter, r *http.Request) (room.RoomID, bool) {
	id, err := room.ParseRoomID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, CodeNotFound, "no such room")
		return room.RoomID{}, false
	}
	return id, true
}

// decode reads a JSON body into v, refusing unknown fields; on failure it
// answers bad_request.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, fmt.Sprintf("the body must be JSON of at most %d bytes", maxBody))
		return false
	}
	if err := strictJSON(b, v); err != nil {
		writeError(w, http.StatusBadRequest, CodeBadRequest, err.Error())
		return false
	}
	return true
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("the body is not valid: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return errors.New("the body holds more than one JSON value")
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, Error{Error: ErrorBody{Code: code, Message: msg}})
}
