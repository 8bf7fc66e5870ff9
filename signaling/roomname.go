package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// roomNameRequest is the body of POST /r/{room}/name: the key the page's
// link carries in its fragment (which never travels in a URL).
type roomNameRequest struct {
	MemberKey      string `json:"memberKey"`
	FacilitatorKey string `json:"facilitatorKey"`
	Invite         string `json:"invite"`
}

// RoomName answers POST /r/{room}/name for the pre-join page's top bar:
// {"name":"..."} when the body brings one of the room's link keys (see
// room.Service.RoomName: member or facilitator key, or an open invite,
// which takes no use), else 404 {"error":"bad_link"}, the same answer for
// a room that does not exist, so that nothing is told to someone without
// a link. A body that is not such JSON (at most 4 KiB) gets 400
// bad_request; the room state out of reach, 503 unavailable.
func (s *Server) RoomName(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	answer := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	refuse := func(status int, code, msg string) {
		answer(status, map[string]string{"error": code, "message": msg})
	}
	var req roomNameRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4<<10))
	if err := dec.Decode(&req); err != nil {
		refuse(http.StatusBadRequest, "bad_request", `the body is one JSON object such as {"memberKey":"..."}, at most 4 KiB`)
		return
	}
	id, err := room.ParseRoomID(r.PathValue("room"))
	if err != nil {
		refuse(http.StatusNotFound, "bad_link", "this link is not valid")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), writeTimeout)
	defer cancel()
	name, err := s.rooms.RoomName(ctx, id, room.LinkProof{MemberKey: req.MemberKey, FacilitatorKey: req.FacilitatorKey, Invite: req.Invite})
	switch {
	case errors.Is(err, room.ErrBadLink):
		refuse(http.StatusNotFound, "bad_link", "this link is not valid")
	case err != nil:
		s.log.Warn("read a room's name", zap.Error(err))
		refuse(http.StatusServiceUnavailable, "unavailable", "the server cannot read the room now; try again")
	default:
		answer(http.StatusOK, map[string]string{"name": name})
	}
}
