package signaling

import (
	"errors"

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
	case errors.Is(err, room.ErrForbidden):
		return protocol.CodeForbidden, "the facilitator link is not valid for this room"
	case errors.Is(err, room.ErrUnknownIdentity):
		return protocol.CodeUnknownIdentity, "this identity is not known in the running meeting; join without it"
	case errors.Is(err, room.ErrNotPresent):
		return protocol.CodeBadRequest, "you are not in the meeting"
	}
	return protocol.CodeInternal, "the server could not do this; try again"
}

func wireParticipant(p room.Participant) protocol.Participant {
	return protocol.Participant{ID: p.ID.String(), Name: p.Name, Role: string(p.Role), Muted: p.Muted, Camera: p.Camera}
}

func wireEvent(ev room.Event) protocol.Event {
	m := protocol.Event{Type: protocol.TypeEvent, Seq: ev.Seq, Kind: string(ev.Kind)}
	if ev.Kind == room.EventLeft {
		m.ParticipantID = ev.Participant.ID.String()
	} else {
		p := wireParticipant(ev.Participant)
		m.Participant = &p
	}
	return m
}

func toICECandidateInit(c *protocol.CandidateInit) webrtc.ICECandidateInit {
	return webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid,
		SDPMLineIndex: c.SDPMLineIndex, UsernameFragment: c.UsernameFragment}
}
