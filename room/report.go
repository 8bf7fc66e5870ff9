package room

import (
	"slices"
	"strconv"
)

// MaxReportsKept is how many reports of the running meeting are kept;
// MaxReportsPerPerson how many one participant may make in a meeting;
// MaxReasonLen the longest reason, in characters.
const (
	MaxReportsKept      = 100
	MaxReportsPerPerson = 10
	MaxReasonLen        = 500
)

// Report is a participant's private report to the facilitators about a
// chat message or about someone's behaviour. Only facilitators and
// co-facilitators see it; like the chat it lives only in the running
// meeting's state, which ending the meeting clears.
type Report struct {
	ID       string        `json:"id"`
	From     ParticipantID `json:"from"`
	FromName string        `json:"fromName"`
	// About is the participant reported, AboutName their name then.
	About     ParticipantID `json:"about"`
	AboutName string        `json:"aboutName"`
	// MessageID and MessageText: the chat message reported, if any (a
	// copy of its text, which the facilitators may not otherwise see,
	// e.g. a private message).
	MessageID   string `json:"messageId,omitempty"`
	MessageText string `json:"messageText,omitempty"`
	// Reason is what the reporter wrote; may be empty.
	Reason string `json:"reason,omitempty"`
	// At is in Unix milliseconds.
	At int64 `json:"at"`
}

// ReportRequest is what a participant reports: a participant (about), a
// chat message (messageID), or both; and why.
type ReportRequest struct {
	About     ParticipantID
	MessageID string
	Reason    string
}

// MakeReport records a participant's report at time now (Unix
// milliseconds) and tells the facilitators (EventReport). Any admitted
// participant may report someone else, or a chat message they can read;
// the one reported is the message's sender when only a message is given.
func (s *State) MakeReport(a Actor, r ReportRequest, now int64) ([]Event, error) {
	p, err := s.admittedActor(a, "report")
	if err != nil {
		return nil, err
	}
	rep := Report{From: p.ID, FromName: p.Name, About: r.About, At: now}
	if r.MessageID != "" {
		i := slices.IndexFunc(s.Chat, func(m ChatMessage) bool { return m.ID == r.MessageID })
		if i < 0 || !s.Chat[i].visibleTo(*p) {
			return nil, badCommand("no such message")
		}
		m := s.Chat[i]
		if rep.About != (ParticipantID{}) && rep.About != m.From {
			return nil, badCommand("the message is not from that participant")
		}
		rep.About, rep.MessageID, rep.MessageText = m.From, m.ID, m.Text
	}
	about, ok := s.Participants[rep.About]
	switch {
	case rep.About == (ParticipantID{}):
		return nil, badCommand("say whom or which message you report")
	case !ok:
		return nil, badCommand("no such participant")
	case rep.About == p.ID:
		return nil, badCommand("you cannot report yourself")
	}
	rep.AboutName = about.Name
	if r.Reason != "" {
		if rep.Reason, err = cleanChat(r.Reason); err != nil {
			return nil, badCommand("a reason must be at most 500 characters")
		}
	}
	if s.reportsBy(p.ID) >= MaxReportsPerPerson {
		return nil, notAllowed("you have made 10 reports in this meeting; the facilitators have them")
	}
	s.NextReport++
	rep.ID = "r" + strconv.FormatUint(s.NextReport, 10)
	s.Reports = append(s.Reports, rep)
	if len(s.Reports) > MaxReportsKept {
		s.Reports = append(s.Reports[:0:0], s.Reports[len(s.Reports)-MaxReportsKept:]...)
	}
	ev := s.next(EventReport)
	ev.Report = &rep
	return []Event{ev}, nil
}

// reportsBy counts the reports kept that id made.
func (s *State) reportsBy(id ParticipantID) int {
	n := 0
	for i := range s.Reports {
		if s.Reports[i].From == id {
			n++
		}
	}
	return n
}

// onDismissReport deletes a report the facilitators have dealt with
// (ModCommand.ReportID); every facilitator's view drops it.
func (s *State) onDismissReport(_, _ *Participant, c ModCommand, _ int64) ([]Event, error) {
	if !deleteFirst(&s.Reports, func(r Report) bool { return r.ID == c.ReportID }) {
		return nil, badCommand("no such report")
	}
	ev := s.next(EventReportDismissed)
	ev.ReportID = c.ReportID
	return []Event{ev}, nil
}

// VisibleReports returns the reports the viewer may see, oldest first:
// all of them for an admitted facilitator or co-facilitator, none for
// anyone else.
func (s *State) VisibleReports(viewer Participant) []Report {
	if viewer.Status != StatusAdmitted || !viewer.Role.Moderates() {
		return nil
	}
	return slices.Clone(s.Reports)
}
