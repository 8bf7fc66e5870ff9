package signaling

import (
	"errors"
	"strings"

	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// wireError maps a room error to an error code and a message for the
// client. It is the one place where domain errors meet the wire.
func wireError(err error) (code, msg string) {
	switch {
	case errors.Is(err, room.ErrNotFound):
		return protocol.CodeRoomNotFound, "no such room"
	case errors.Is(err, room.ErrBadName):
		return protocol.CodeBadRequest, room.ErrBadName.Error()
	case errors.Is(err, room.ErrNotFirstName):
		return protocol.CodeBadName, "This meeting uses first names only. Please use one word of at most 20 characters, such as your first name or a nickname."
	case errors.Is(err, room.ErrScreenNotAllowed):
		return protocol.CodeForbidden, strings.TrimPrefix(err.Error(), room.ErrForbidden.Error()+": ")
	case errors.Is(err, room.ErrKeyRequired):
		return protocol.CodeForbidden, "this identity belongs to a facilitator of the meeting; come back through your facilitator link"
	case errors.Is(err, room.ErrForbidden):
		return protocol.CodeForbidden, "the facilitator link is not valid for this room"
	case errors.Is(err, room.ErrUnknownIdentity):
		return protocol.CodeUnknownIdentity, "this identity is not known in the running meeting; join without it"
	case errors.Is(err, room.ErrIdentityInUse):
		return protocol.CodeIdentityInUse, "you are already in this meeting in another tab or device"
	case errors.Is(err, room.ErrNotPresent):
		return protocol.CodeBadRequest, "you are not in the meeting"
	case errors.Is(err, room.ErrLocked):
		return protocol.CodeRoomLocked, room.ErrLocked.Error()
	case errors.Is(err, room.ErrRemoved):
		return protocol.CodeRemoved, room.ErrRemoved.Error()
	case errors.Is(err, room.ErrDenied):
		return protocol.CodeNotAllowed, room.ErrDenied.Error()
	case errors.Is(err, room.ErrFull):
		return protocol.CodeRoomFull, room.ErrFull.Error()
	case errors.Is(err, room.ErrWaitingRoomFull):
		return protocol.CodeWaitingRoomFull, room.ErrWaitingRoomFull.Error()
	case errors.Is(err, room.ErrPasscodeRequired):
		return protocol.CodePasscodeRequired, "this meeting needs a passcode; please enter the passcode you were given"
	case errors.Is(err, room.ErrBadPasscode):
		return protocol.CodeBadPasscode, "that passcode is not right; please check it and try again"
	case errors.Is(err, room.ErrBadLink):
		return protocol.CodeBadLink, "this link is not valid any more"
	case errors.Is(err, room.ErrBadInvite):
		return protocol.CodeBadLink, "this invite link is used up or has expired"
	case errors.Is(err, room.ErrLinkRotated):
		return protocol.CodeLinkRotated, "this link has been replaced"
	case errors.Is(err, room.ErrChatClosed):
		return protocol.CodeChatClosed, "chat is closed by the facilitator"
	case errors.Is(err, room.ErrNotAllowed):
		return protocol.CodeNotAllowed, strings.TrimPrefix(err.Error(), room.ErrNotAllowed.Error()+": ")
	case errors.Is(err, room.ErrBadCommand):
		return protocol.CodeBadRequest, strings.TrimPrefix(err.Error(), room.ErrBadCommand.Error()+": ")
	}
	return protocol.CodeUnavailable, "the meeting's state cannot be reached right now; try again in a moment"
}

// wireParticipant is p as viewer sees them: whether p is new here is
// for facilitators' eyes only.
func wireParticipant(p, viewer room.Participant) protocol.Participant {
	return protocol.Participant{ID: p.ID.String(), Name: p.Name, Role: string(p.Role), Status: string(p.Status),
		Muted: p.Muted, MutedBy: string(p.MutedBy), Camera: p.Camera, Screen: p.Screen, NewHere: p.NewHere && viewer.Role.Moderates()}
}

func idString(id room.ParticipantID) string {
	if id == (room.ParticipantID{}) {
		return ""
	}
	return id.String()
}

func wireRoom(id room.RoomID, i room.Info) protocol.RoomInfo {
	r := protocol.RoomInfo{
		ID: id.String(), Name: i.Name, Locked: i.Locked, AutoLocked: i.AutoLocked,
		WaitingRoom: i.Settings.WaitingRoom, MuteOnEntry: i.Settings.MuteOnEntry, Mode: string(i.Settings.Mode),
		SelfRename: i.Settings.SelfRename, PrivateChat: i.Settings.PrivateChat, ChatOpen: i.ChatOpen,
		Suspended: i.Suspended, Guidelines: i.Settings.Guidelines, ShareSeconds: i.Settings.ShareSeconds,
		AutoMute: i.Settings.AutoMute, MaxParticipants: i.Settings.MaxParticipants, MaxWaiting: i.Settings.MaxWaiting,
		PasscodeRequired: i.Settings.PasscodeRequired(), Speaker: idString(i.Speaker),
		FirstNamesOnly: i.Settings.FirstNamesOnly,
	}
	if t := i.Timer; t != nil {
		r.Timer = &protocol.Timer{Speaker: idString(t.Speaker), EndsAt: t.EndsAt, Seconds: t.Seconds, AutoMute: t.AutoMute}
	}
	if f := i.Settings.Format; f != nil {
		r.Format = &protocol.Format{Name: f.Name, Segments: make([]protocol.FormatSegment, 0, len(f.Segments))}
		for _, seg := range f.Segments {
			r.Format.Segments = append(r.Format.Segments, protocol.FormatSegment{Title: seg.Title, Speaking: string(seg.Speaking),
				ChatOpen: seg.ChatOpen, Text: seg.Text, ShareSeconds: seg.ShareSeconds, AutoMute: seg.AutoMute})
		}
		r.Segment = i.Segment
	}
	r.ContributionsURL = i.Settings.ContributionsURL
	r.AttendanceProof = i.Settings.AttendanceProof
	r.MembersCanShareScreen = i.Settings.MembersCanShareScreen
	return r
}

// roomSettings is a settings change from the wire, for the room; nil when
// the message holds none.
func roomSettings(u *protocol.Settings) *room.SettingsUpdate {
	if u == nil {
		return nil
	}
	var mode *room.Mode
	if u.Mode != nil {
		md := room.Mode(*u.Mode)
		mode = &md
	}
	return &room.SettingsUpdate{WaitingRoom: u.WaitingRoom, MuteOnEntry: u.MuteOnEntry, Mode: mode,
		SelfRename: u.SelfRename, PrivateChat: u.PrivateChat, Guidelines: u.Guidelines,
		ShareSeconds: u.ShareSeconds, AutoMute: u.AutoMute, MaxParticipants: u.MaxParticipants, MaxWaiting: u.MaxWaiting,
		Passcode: u.Passcode, FirstNamesOnly: u.FirstNamesOnly,
		MembersCanShareScreen: u.MembersCanShareScreen}
}

func wireHands(ids []room.ParticipantID) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}

func wireChat(m room.ChatMessage) protocol.ChatMessage {
	return protocol.ChatMessage{ID: m.ID, From: m.From.String(), FromName: m.FromName, To: string(m.To), Text: m.Text, At: m.At}
}

func wireReport(r room.Report) protocol.ReportInfo {
	return protocol.ReportInfo{ID: r.ID, From: r.From.String(), FromName: r.FromName, About: r.About.String(),
		AboutName: r.AboutName, MessageID: r.MessageID, MessageText: r.MessageText, Reason: r.Reason, At: r.At}
}

// wireEvent is ev as the viewer (who may see it) gets it.
func wireEvent(ev room.Event, viewer room.Participant) protocol.Event {
	m := protocol.Event{Type: protocol.TypeEvent, Seq: ev.Seq, Kind: string(ev.Kind)}
	switch ev.Kind {
	case room.EventJoined, room.EventUpdated:
		p := wireParticipant(ev.Participant, viewer)
		m.Participant = &p
	case room.EventLinkRotated:
		// Others see the person leave the waiting room; the person is
		// told link_rotated by their session.
		m.Kind, m.ParticipantID = string(room.EventLeft), ev.Participant.ID.String()
	case room.EventLeft, room.EventRemoved, room.EventDenied, room.EventAskUnmute, room.EventTimerEnded,
		room.EventAttendanceConfirmed:
		m.ParticipantID = ev.Participant.ID.String()
	case room.EventTimerWarning:
		m.ParticipantID, m.SecondsLeft = ev.Participant.ID.String(), ev.SecondsLeft
	case room.EventHands:
		m.Hands = wireHands(ev.Hands)
	case room.EventRoom:
		r := wireRoom(ev.Room, *ev.Info)
		m.Room = &r
	case room.EventChat:
		c := wireChat(*ev.Chat)
		m.Message = &c
	case room.EventChatDeleted:
		m.MessageID = ev.MessageID
	case room.EventReport:
		r := wireReport(*ev.Report)
		m.Report = &r
	case room.EventReportDismissed:
		m.ReportID = ev.ReportID
	}
	return m
}

// snapshot is the room as viewer may see it.
func snapshot(st *room.State, viewer room.Participant) protocol.Welcome {
	w := protocol.Welcome{
		Type: protocol.TypeSnapshot, Room: wireRoom(st.ID, st.Info), Self: wireParticipant(viewer, viewer),
		Participants: []protocol.Participant{}, Hands: []string{}, Chat: []protocol.ChatMessage{}, Seq: st.Seq,
	}
	for _, m := range st.VisibleChat(viewer) {
		w.Chat = append(w.Chat, wireChat(m))
	}
	if viewer.Status != room.StatusAdmitted {
		// The room, themselves and their conversation with the facilitators.
		w.Participants = append(w.Participants, wireParticipant(viewer, viewer))
		return w
	}
	for _, p := range st.Present() {
		if p.Status == room.StatusAdmitted || p.ID == viewer.ID || viewer.Role.Moderates() {
			w.Participants = append(w.Participants, wireParticipant(p, viewer))
		}
	}
	for _, r := range st.VisibleReports(viewer) {
		w.Reports = append(w.Reports, wireReport(r))
	}
	for _, id := range st.Hands {
		if p := st.Participants[id]; p != nil && p.Present {
			w.Hands = append(w.Hands, id.String())
		}
	}
	return w
}

func toICECandidateInit(c *protocol.CandidateInit) webrtc.ICECandidateInit {
	return webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid,
		SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
}
