package signaling

import (
	"encoding/json"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// handleReport takes a participant's private report to the facilitators
// (docs/protocol.md, "report"): the room records it and only facilitators
// get the event; the reporter is answered report_sent. Nothing of it is
// logged.
func (s *session) handleReport(data []byte, re json.RawMessage) {
	var m protocol.Report
	if !s.decode(data, &m, re) {
		return
	}
	if m.Participant == "" && m.Message == "" {
		s.sendError(protocol.CodeBadRequest, `a report needs "participant" or "message"`, re)
		return
	}
	r := room.ReportRequest{MessageID: m.Message, Reason: m.Reason}
	if m.Participant != "" {
		id, err := room.ParseParticipantID(m.Participant)
		if err != nil {
			s.sendError(protocol.CodeBadRequest, "no such participant", re)
			return
		}
		r.About = id
	}
	if s.apply(re, func(st *room.State, now int64) ([]room.Event, error) { return st.MakeReport(s.actor(), r, now) }) {
		s.send(protocol.ReportSent{Type: protocol.TypeReportSent, Re: re})
	}
}
