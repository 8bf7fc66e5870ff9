package signaling

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/attest"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/verify"
)

// handleAttendanceProof answers a member's attendance_proof with a proof
// signed now: from when they were let in until now, in the room's time
// zone (its schedule's; UTC without one), with the name they typed.
// Nothing of it is kept or logged.
func (s *session) handleAttendanceProof(data []byte, re json.RawMessage) {
	var m protocol.AttendanceRequest
	if !s.decode(data, &m, re) {
		return
	}
	if s.srv.proofs == nil {
		s.sendError(protocol.CodeNotAllowed, "this server does not give proofs of attendance", re)
		return
	}
	name, err := attest.CleanName(m.Name)
	if err != nil {
		s.sendError(protocol.CodeBadRequest, "a name on a proof is at most 80 characters, without control characters", re)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	st, err := s.srv.rooms.Snapshot(ctx, s.roomID)
	var a room.Attendance
	if err == nil {
		a, err = st.Attendance(s.actor())
	}
	if err != nil {
		code, msg := wireError(err)
		s.sendError(code, msg, re)
		return
	}
	zone := s.roomZone(ctx)
	left := time.Now().In(zone)
	joined := left
	if a.AdmittedAt != 0 {
		joined = time.UnixMilli(a.AdmittedAt).In(zone)
	}
	stmt, err := attest.NewStatement(a.Label, name, joined, left, a.Confirmed)
	var p verify.Issued
	if err == nil {
		p, err = s.srv.proofs.Issue(ctx, stmt)
	}
	if err != nil {
		s.log.Warn("attendance proof failed", zap.Error(err))
		s.sendError(protocol.CodeInternal, "the proof could not be made; try again", re)
		return
	}
	shown := verify.Show(p.Statement)
	s.send(protocol.AttendanceProof{Type: protocol.TypeAttendanceProof, Attested: shown.Attested,
		Code: p.Code, Token: p.Token, QR: p.QR, VerifyURL: p.VerifyURL})
}

// roomZone is the time zone of the room's schedule, UTC without one.
func (s *session) roomZone(ctx context.Context) *time.Location {
	d, err := s.srv.rooms.Room(ctx, s.roomID)
	if err != nil || d.Schedule == nil || d.Schedule.TimeZone == "" {
		return time.UTC
	}
	if loc, err := time.LoadLocation(d.Schedule.TimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// handleConfirmAttendance is a facilitator's confirm_attendance: the
// moderation action ActConfirmAttendance.
func (s *session) handleConfirmAttendance(data []byte, re json.RawMessage) {
	var m protocol.ConfirmAttendance
	if !s.decode(data, &m, re) {
		return
	}
	id, err := room.ParseParticipantID(m.Participant)
	if err != nil {
		s.sendError(protocol.CodeBadRequest, "no such participant", re)
		return
	}
	c := room.ModCommand{Action: room.ActConfirmAttendance, Target: id}
	s.apply(re, func(st *room.State, now int64) ([]room.Event, error) { return st.Moderate(s.actor(), c, now) })
}
