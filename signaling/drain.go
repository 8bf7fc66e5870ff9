package signaling

import (
	"github.com/coder/websocket"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// Draining, for an upgrade or a restart (docs/operations.md, "Draining
// and upgrades"). Drain stops the joins: a join is answered with the
// error draining and the connection is closed, so that the client tries
// again and a load balancer, which sees /readyz fail, sends it to another
// instance. Running meetings go on, relays to other instances too; a
// person whose connection dropped may still come back into a meeting
// running here, until Move. Move sends every joined session's client
// {"type": "reconnect", "reason": "draining"} and closes it: the client
// reconnects at once, through the load balancer, to another instance,
// where it resumes with its identity (role, hand and mute are the room's,
// not the instance's). The caller (cmd/hearth) decides when to move (when
// another instance is ready), waits until Counts reports no participant,
// and then calls Shutdown.

// Drain stops taking joins. It may be called more than once.
func (s *Server) Drain() {
	if s.draining.CompareAndSwap(false, true) {
		_, n := s.Counts()
		s.log.Info("draining: no new joins", zap.Int("participants", n))
	}
}

// Move drains, and tells every participant connected here to reconnect
// to another instance. It may be called more than once.
func (s *Server) Move() {
	s.Drain()
	s.moveOnce.Do(func() {
		_, n := s.Counts()
		s.log.Info("draining: moving participants to other instances", zap.Int("participants", n))
		close(s.moving)
	})
}

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// refuseJoin reports whether a join is refused because the server is
// draining: every join once participants are moving; before, every join
// but that of someone coming back (with their identity) into a meeting
// running here.
func (s *Server) refuseJoin(roomID room.RoomID, m *protocol.Join) bool {
	if !s.draining.Load() {
		return false
	}
	select {
	case <-s.moving:
		return true
	default:
	}
	return m.Identity == "" || !s.meetings.Running(roomID)
}

// refuseDraining answers a join refused by refuseJoin and closes the
// connection (status 1013, try again later).
func (s *session) refuseDraining(re []byte) {
	s.sendError(protocol.CodeDraining, "this server is restarting; connect again to reach another one", re)
	s.closeAfterSend(websocket.StatusTryAgainLater, "draining")
}

// moveOut is the session's part of Move: the participant leaves the
// room's state here (not on purpose: hand, mute and role stay for their
// return), so that their reconnection elsewhere finds them gone at once;
// then the client is told to reconnect and the connection closes. It
// returns true for the run loop.
func (s *session) moveOut() bool {
	s.cleanup()
	s.joined = false // cleaned up
	s.send(protocol.Reconnect{Type: protocol.TypeReconnect, Reason: protocol.ReconnectDraining})
	s.closeAfterSend(websocket.StatusGoingAway, "draining")
	return true
}
