package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// This file holds a session's room side: joining, the room's events as
// they reach the client, following the participant's own state, leaving.

// handleJoin joins the room; it reports whether the session ends (a join
// refused because the server is draining).
func (s *session) handleJoin(data []byte, re json.RawMessage) bool {
	if s.joined {
		s.sendError(protocol.CodeAlreadyJoined, "this connection has already joined", re)
		return false
	}
	var m protocol.Join
	if !s.decode(data, &m, re) {
		return false
	}
	if m.V != protocol.Version {
		s.sendError(protocol.CodeBadVersion, "this server speaks protocol version 1", re)
		return false
	}
	roomID, err := room.ParseRoomID(m.Room)
	if err != nil {
		s.sendError(protocol.CodeRoomNotFound, "no such room", re)
		return false
	}
	if s.srv.refuseJoin(roomID, &m) {
		s.refuseDraining(re)
		return true
	}
	if s.tryResume(&m, re) {
		return false
	}
	if !s.joinRateLimited(roomID, m.FacilitatorKey != "", re) && !s.passcodeLimited(&m, re) {
		s.join(roomID, &m, re)
	}
	return false
}

// join brings the session into the room, as handleJoin checked.
func (s *session) join(roomID room.RoomID, m *protocol.Join, re json.RawMessage) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	// The first person of a meeting makes its state from the room's
	// definition, so that the seat below subscribes to a room that exists.
	if err := s.srv.rooms.Open(ctx, roomID); err != nil {
		s.passcodeChecked(nil)
		code, msg := wireError(err)
		s.sendError(code, msg, re)
		return
	}
	// Take a seat before joining, so that no event after the snapshot is missed.
	seat := s.srv.meetings.Enter(roomID, s.deliver)
	seat.HearSpeakers(s.deliverSpeakers)
	req := room.JoinRequest{
		Name: m.Name, FacilitatorKey: m.FacilitatorKey, Identity: m.Identity, Muted: m.Muted, Camera: m.Camera,
		Instance: s.srv.meetings.Instance(), Passcode: m.Passcode, MemberKey: m.MemberKey, Invite: m.Invite, NewHere: m.NewHere}
	if s.identityInUse(roomID, req) {
		s.passcodeChecked(nil) // not tried: the try is given back
		seat.Leave(nil, false)
		code, msg := wireError(room.ErrIdentityInUse)
		s.sendError(code, msg, re)
		return
	}
	j, err := s.srv.rooms.Join(ctx, roomID, req)
	s.passcodeChecked(err)
	if err != nil {
		seat.Leave(nil, false)
		code, msg := wireError(err)
		s.sendError(code, msg, re)
		return
	}
	s.joined, s.roomID, s.seq, s.seat, s.identity = true, roomID, j.Snapshot.Seq, seat, j.Identity
	s.setSelf(j.Self)
	if s.srv.grace > 0 {
		s.resume = s.srv.holdSession(s)
	}
	seat.Joined(j.Self, j.Snapshot.Seq)
	s.log = s.srv.log.With(zap.Stringer("room", roomID), zap.Stringer("participant", j.Self.ID))
	w := snapshot(j.Snapshot, j.Self)
	w.Type, w.V, w.Identity, w.Resume = protocol.TypeWelcome, protocol.Version, j.Identity, s.resume
	if s.srv.iceServers != nil {
		w.ICEServers = s.srv.iceServers(j.Self.ID.String())
	}
	s.send(w)
	s.log.Info("participant joined", zap.String("role", string(j.Self.Role)),
		zap.String("status", string(j.Self.Status)), zap.Uint64("conn", j.Self.Conn))
	if j.Self.Status == room.StatusAdmitted {
		s.startMedia()
	}
}

// setSelf records the participant's own state as the room last said it.
func (s *session) setSelf(p room.Participant) {
	s.self = p
	s.viewer.Store(&p)
}

// deliver is called by the room's meeting for each event; it only queues.
// A liveness probe of the participant's connection is let through (see
// liveness.go). Events the participant may not see are dropped here
// already, so that a storm they would never be shown (people in the waiting room toggling
// their cameras, seen only by facilitators) cannot fill the queue while
// the run loop waits on a command. The view may lag the run loop's: a
// change of status or role is followed by a snapshot read after it, which
// holds whatever was dropped under the old view.
func (s *session) deliver(ev room.Event) {
	if v := s.viewer.Load(); v != nil && ev.Kind != room.EventResync && !ev.VisibleTo(*v) &&
		!(ev.Kind == room.EventProbe && ev.Participant.ID == v.ID) {
		return
	}
	select {
	case s.events <- &delivery{ev: ev}:
	default:
		// The run loop is stuck: it reads the room afresh once it moves on.
		s.missed.Store(true)
	}
}

// delivery is one item the room's meeting queues for the session: a room
// event, or (speakers set) who is talking now. One queue keeps them in
// the meeting's order: a set that still holds someone comes before the
// event that mutes them.
type delivery struct {
	ev       room.Event
	talking  []room.ParticipantID
	speakers bool
}

// deliverSpeakers is called by the room's meeting when who is talking
// changed; it only queues. A set that does not fit waits in unsaid (a
// later one replaces it) until the run loop moves on.
func (s *session) deliverSpeakers(talking []room.ParticipantID) {
	select {
	case s.events <- &delivery{talking: talking, speakers: true}:
		s.unsaid.Store(nil)
	default:
		s.unsaid.Store(&talking)
	}
}

// onSpeakers tells an admitted participant's client who is talking.
func (s *session) onSpeakers(talking []room.ParticipantID) {
	if !s.joined || s.relay || s.self.Status != room.StatusAdmitted {
		return
	}
	ids := make([]string, len(talking))
	for i, id := range talking {
		ids[i] = id.String()
	}
	s.send(protocol.Speakers{Type: protocol.TypeSpeakers, Talking: ids})
}

// onEvent passes a room event to the client, if they may see it, and
// acts on events about the participant themselves; it reports whether the
// session ends.
func (s *session) onEvent(ev room.Event) bool {
	if !s.joined || s.relay || ev.Room != s.roomID {
		return false // queued before a join that was refused
	}
	switch ev.Kind {
	case room.EventResync:
		return s.resync()
	case room.EventProbe:
		// Answered even if a snapshot already holds its seq.
		s.answerProbe(ev)
		return false
	}
	if ev.Seq <= s.seq {
		return false // already in the snapshot
	}
	s.seq = ev.Seq
	if ev.Participant.ID == s.self.ID {
		switch ev.Kind {
		case room.EventJoined:
			if ev.Participant.Conn > s.self.Conn {
				// The same participant connected again elsewhere.
				return s.bye(protocol.ByeReplaced, "replaced by a new connection")
			}
		case room.EventRemoved:
			s.sendEvent(ev)
			return s.bye(protocol.ByeRemoved, "removed by the facilitator")
		case room.EventDenied:
			return s.bye(protocol.ByeDenied, "not admitted")
		case room.EventLinkRotated:
			code, msg := wireError(room.ErrLinkRotated)
			s.sendError(code, msg, nil)
			return s.bye(protocol.ByeLinkRotated, "the room's links were replaced")
		case room.EventUpdated, room.EventLeft:
			p := ev.Participant
			end, changed := s.adopt(&p)
			if end {
				return true
			}
			if changed {
				// Admitted, promoted or demoted: what they may see differs.
				if ev.Kind == room.EventUpdated {
					s.sendEvent(ev)
				}
				return s.resync()
			}
		}
	}
	if ev.Kind == room.EventEnded {
		s.sendEvent(ev)
		return s.bye(protocol.ByeEnded, "the meeting ended")
	}
	if ev.VisibleTo(s.self) {
		s.sendEvent(ev)
	}
	return false
}

// sendEvent passes an event the client may see on to it. An event about
// the waiting room, for a facilitator, may be held back for a moment and
// merged with later ones about the same person (see waitingBatch); any
// other event goes after what is held, so that order is kept.
func (s *session) sendEvent(ev room.Event) {
	if holds(ev, s.self) {
		sendNow, wait := s.batch.add(ev, time.Now())
		if sendNow {
			s.send(wireEvent(ev, s.self))
		} else {
			s.batchDue.Reset(wait)
		}
		return
	}
	s.flushHeld()
	s.send(wireEvent(ev, s.self))
}

// flushHeld sends the held events about the waiting room, oldest first.
// A batch too big for the send queue (a crowd in the waiting room) is sent
// as one snapshot instead, which holds all of it.
func (s *session) flushHeld() {
	s.batchDue.Stop()
	evs := s.batch.take(time.Now())
	if s.link == nil {
		return // away: a resume sends the room as it is
	}
	if out := s.link.out; len(evs) > maxHeldFlush || len(evs) > cap(out)-len(out)-8 {
		s.resync()
		return
	}
	for _, ev := range evs {
		s.send(wireEvent(ev, s.self))
	}
}

// maxHeldFlush: more held events than this go out as one snapshot.
const maxHeldFlush = 64

// bye says goodbye with reason and closes; it returns true for onEvent.
func (s *session) bye(reason, text string) bool {
	s.send(protocol.Bye{Type: protocol.TypeBye, Reason: reason})
	s.closeAfterSend(websocket.StatusNormalClosure, text)
	return true
}

// resync sends the room as it is now, as a snapshot, and starts media if
// the participant is admitted; it reports whether the session ends.
func (s *session) resync() bool {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	st, err := s.srv.rooms.Snapshot(ctx, s.roomID)
	if err != nil {
		// Still owed: try again shortly (see loop).
		s.log.Warn("reload room state; retrying", zap.Error(err))
		s.resyncRetry.Reset(resyncRetryAfter)
		return false
	}
	return s.sendRoom(st, nil)
}

// sendRoom sends the room as st has it: a snapshot, which mark may turn
// into another message (a resume's welcome). It first takes the
// participant's own state from st (adopt), and starts media if they are
// admitted, stops it otherwise (e.g. sent back to the waiting room). It
// reports whether the session ends.
func (s *session) sendRoom(st *room.State, mark func(*protocol.Welcome)) (end bool) {
	s.resyncRetry.Stop()
	if end, _ := s.adopt(st.Participants[s.self.ID]); end {
		return true
	}
	s.seq = st.Seq
	// The snapshot holds everything held back.
	s.batch.drop()
	s.batchDue.Stop()
	w := snapshot(st, s.self)
	if mark != nil {
		mark(&w)
	}
	s.send(w)
	if s.self.Status == room.StatusAdmitted {
		s.startMedia()
	} else {
		s.stopMedia()
	}
	return false
}

// adopt takes the participant's own state from the shared state of the
// room. If that says this connection is over (removed, denied, replaced by
// a newer connection, marked gone, e.g. while this instance could not
// reach Redis, or not there at all), the session says goodbye and adopt
// reports end; a client marked gone or missing reconnects ("shutdown")
// and comes back. changed reports a
// new status or role.
func (s *session) adopt(p *room.Participant) (end, changed bool) {
	switch {
	case p == nil:
		// The meeting's record of this person is gone without a removal
		// (e.g. Redis lost the meeting's state): removals and rotated
		// links keep or announce theirs. Reconnecting joins again.
		return s.bye(protocol.ByeShutdown, "your place in the meeting was lost; reconnect"), false
	case p.Removed:
		return s.bye(protocol.ByeRemoved, "removed by the facilitator"), false
	case p.Denied:
		return s.bye(protocol.ByeDenied, "not admitted"), false
	case p.Conn > s.self.Conn:
		return s.bye(protocol.ByeReplaced, "replaced by a new connection"), false
	case !p.Present:
		return s.bye(protocol.ByeShutdown, "connection lost; reconnect"), false
	}
	prev := s.self
	s.setSelf(*p)
	return false, prev.Status != p.Status || prev.Role != p.Role
}

// cleanup leaves the room and releases the media. A leave the shared
// state does not take now is left to the meeting to retry.
func (s *session) cleanup() {
	s.release()
	if !s.joined {
		return
	}
	if s.peer != nil {
		s.peer.Close()
	}
	if s.relay {
		s.seat.Leave(nil, false)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	var lost *room.Actor
	if err := s.srv.rooms.Leave(ctx, s.roomID, s.actor(), s.leftOnPurpose); err != nil && !errors.Is(err, room.ErrNotFound) {
		s.log.Warn("leave room; retrying", zap.Error(err))
		a := s.actor()
		lost = &a
	}
	s.seat.Leave(lost, s.leftOnPurpose)
	var fields []zap.Field
	if s.batch.merged > 0 {
		fields = append(fields, zap.Int("coalescedEvents", s.batch.merged))
	}
	s.log.Info("participant left", fields...)
}
