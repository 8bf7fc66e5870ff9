package signaling

import (
	"encoding/json"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// This file holds a session's media side: the peer, its negotiation over
// the protocol's offer/answer/candidate messages, and relay sessions. Which
// track goes to whom, and whether a track is forwarded at all, is the
// meeting's (package signaling/meeting).

// handleRelay starts a relay session: another instance asks for this
// instance's local tracks of a room (docs/scaling.md).
func (s *session) handleRelay(data []byte, re json.RawMessage) {
	if s.joined {
		s.sendError(protocol.CodeAlreadyJoined, "this connection has already joined", re)
		return
	}
	var m protocol.Relay
	if !s.decode(data, &m, re) {
		return
	}
	if !s.srv.secretOK(m.Secret) {
		s.sendError(protocol.CodeForbidden, "relay not accepted", re)
		return
	}
	s.relayAccepted()
	roomID, err := room.ParseRoomID(m.Room)
	if err != nil {
		s.sendError(protocol.CodeRoomNotFound, "no such room", re)
		return
	}
	s.joined, s.relay, s.roomID = true, true, roomID
	s.seat = s.srv.meetings.Enter(roomID, nil)
	s.log = s.srv.log.With(zap.Stringer("room", roomID), zap.String("relay_to", m.Instance))
	peer, err := s.srv.sfu.NewPeer(media.PeerParams{ID: "relay:" + m.Instance, Kind: media.RelayOut,
		Log: s.log, OnNegotiationNeeded: s.needNegotiation})
	if err != nil {
		s.sendError(protocol.CodeInternal, "media is not available", re)
		return
	}
	s.peer = peer
	s.seat.Attach(peer)
	s.log.Debug("relay started")
}

// startMedia creates the participant's peer and wires it to the room's
// other peers on this instance: only admitted participants get media.
func (s *session) startMedia() {
	if s.peer != nil {
		return
	}
	peer, err := s.srv.sfu.NewPeer(media.PeerParams{
		ID:                  s.self.ID.String(),
		Log:                 s.log,
		OnTrack:             s.seat.Meeting().Publish,
		OnNegotiationNeeded: s.needNegotiation,
	})
	if err != nil {
		s.log.Error("create peer", zap.Error(err))
		s.sendError(protocol.CodeInternal, "media is not available", nil)
		return
	}
	s.peer = peer
	s.view.apply(peer)
	s.seat.Attach(peer)
}

// stopMedia ends the participant's media when a facilitator sent them
// back to the waiting room: from then on they neither send nor receive
// any; admitted again, they get a new peer (startMedia).
func (s *session) stopMedia() {
	if s.peer == nil {
		return
	}
	s.seat.Meeting().Detach(s.peer)
	s.peer.Close()
	s.peer, s.awaitingAnswer, s.renegotiate = nil, false, false
}

func (s *session) needNegotiation() {
	select {
	case s.negotiate <- struct{}{}:
	default:
	}
}

func (s *session) handleOffer(data []byte, re json.RawMessage) {
	var m protocol.SDP
	if !s.decode(data, &m, re) {
		return
	}
	if m.PC != protocol.PCPublish {
		s.sendError(protocol.CodeBadRequest, `the client offers only on "pub"`, re)
		return
	}
	if s.peer == nil {
		s.sendError(protocol.CodeInternal, "media is not available", re)
		return
	}
	answer, err := s.peer.HandleOffer(m.SDP)
	if err != nil {
		s.sendError(protocol.CodeBadSDP, "the offer could not be applied: "+err.Error(), re)
		return
	}
	s.send(protocol.SDP{Type: protocol.TypeAnswer, PC: protocol.PCPublish, SDP: answer})
}

func (s *session) handleAnswer(data []byte, re json.RawMessage) {
	var m protocol.SDP
	if !s.decode(data, &m, re) {
		return
	}
	if m.PC != protocol.PCSubscribe {
		s.sendError(protocol.CodeBadRequest, `the client answers only on "sub"`, re)
		return
	}
	if !s.awaitingAnswer {
		s.sendError(protocol.CodeBadRequest, "no offer is waiting for an answer", re)
		return
	}
	if err := s.peer.HandleAnswer(m.SDP); err != nil {
		s.sendError(protocol.CodeBadSDP, "the answer could not be applied: "+err.Error(), re)
		// Offer again rather than wait for an answer that will not come.
		s.awaitingAnswer, s.renegotiate = false, false
		s.offerSubscribe()
		return
	}
	s.awaitingAnswer = false
	if s.renegotiate {
		s.renegotiate = false
		s.offerSubscribe()
	}
}

// offerSubscribe sends a new offer on the subscribe connection, or notes
// that one is needed once the pending one is answered.
func (s *session) offerSubscribe() {
	if s.peer == nil {
		return
	}
	if s.awaitingAnswer {
		s.renegotiate = true
		return
	}
	offer, err := s.subscribeOffer()
	if err != nil {
		s.log.Warn("create subscribe offer", zap.Error(err))
		return
	}
	s.awaitingAnswer = true
	s.send(protocol.SDP{Type: protocol.TypeOffer, PC: protocol.PCSubscribe, SDP: offer})
}

func (s *session) handleCandidate(data []byte, re json.RawMessage) {
	var m protocol.Candidate
	if !s.decode(data, &m, re) {
		return
	}
	dir := media.Direction(m.PC)
	if (dir != media.Publish && dir != media.Subscribe) || m.Candidate == nil {
		s.sendError(protocol.CodeBadRequest, `a candidate needs "pc" ("pub" or "sub") and "candidate"`, re)
		return
	}
	if m.Candidate.Candidate == "" || s.peer == nil {
		return // end of candidates
	}
	if err := s.peer.AddCandidate(dir, toICECandidateInit(m.Candidate)); err != nil {
		s.sendError(protocol.CodeBadCandidate, "the candidate could not be used: "+err.Error(), re)
	}
}
