package signaling

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// No takeover: a join that brings the identity of a participant who is
// present first asks the session holding their connection, on whichever
// instance, whether that connection is alive (room.State.Probe: an
// internal event). That session pings its client; a pong within
// probeTimeout is recorded as an internal answer (room.State.Alive), and
// the join is refused with identity_in_use. Without an answer within
// probeWait (the old connection is dead, or its instance is), the join
// goes on and replaces the old connection, as a reconnect after a lost
// network does; when the old connection leaves meanwhile (its socket
// was closed), the join goes on at once.

// Timing of the liveness probe; tests in this package may shorten them.
var (
	// probeTimeout: how long the holder of a connection waits for its
	// client's pong.
	probeTimeout = 2 * time.Second
	// probeWait: how long a joining session waits for the answer; more
	// than probeTimeout, for the answer's way through the shared state.
	probeWait = 2500 * time.Millisecond
)

// identityInUse reports whether the identity req brings belongs to a participant whose
// connection in the room is alive. It is called by the run loop before
// the join, once the session has its seat (so that it receives the
// room's events); the events it reads meanwhile all precede the join and
// would be dropped anyway.
func (s *session) identityInUse(roomID room.RoomID, req room.JoinRequest) bool {
	if req.Identity == "" {
		return false
	}
	probe := room.NewSecret()
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	evs, err := s.srv.rooms.Apply(ctx, roomID, func(st *room.State, _ int64) ([]room.Event, error) {
		return st.Probe(req, probe)
	})
	cancel()
	if err != nil {
		return false // the join reports what is wrong
	}
	for _, ev := range evs {
		if ev.Kind == room.EventProbe {
			t := time.NewTimer(probeWait)
			defer t.Stop()
			start := time.Now()
			alive := awaitAnswer(s.events, ev.Participant, probe, t.C)
			s.log.Debug("liveness probe", zap.Bool("alive", alive), zap.Duration("took", time.Since(start)))
			return alive
		}
	}
	return false
}

// awaitAnswer reads the room's events until the answer to probe about
// participant p's connection comes (true), the connection is gone (it
// left, was removed or replaced, or the meeting ended: false), or
// deadline (false).
func awaitAnswer(events <-chan *delivery, p room.Participant, probe string, deadline <-chan time.Time) bool {
	for {
		select {
		case d := <-events:
			ev := d.ev
			if d.speakers {
				continue
			}
			if ev.Kind == room.EventAlive && ev.Probe == probe {
				return true
			}
			if ev.Kind == room.EventEnded {
				return false
			}
			if ev.Participant.ID != p.ID {
				continue
			}
			switch ev.Kind {
			case room.EventLeft, room.EventRemoved, room.EventDenied, room.EventLinkRotated:
				if !ev.Participant.Present || ev.Kind != room.EventLeft {
					return false
				}
			case room.EventJoined:
				if ev.Participant.Conn != p.Conn {
					return false
				}
			}
		case <-deadline:
			return false
		}
	}
}

// answerProbe answers a probe of this session's connection: the client
// is pinged and, if it answers within probeTimeout, the answer is
// recorded. The run loop goes on meanwhile.
func (s *session) answerProbe(ev room.Event) {
	if ev.Participant.ID != s.self.ID || ev.Participant.Conn != s.self.Conn || s.link == nil {
		return // about an older connection of ours, or someone else; or we are away
	}
	a, roomID, probe, conn, log := s.actor(), s.roomID, ev.Probe, s.link.conn, s.log
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
		err := conn.Ping(ctx)
		cancel()
		if err != nil {
			log.Debug("no answer to a liveness probe", zap.Error(err))
			return
		}
		ctx, cancel = context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		if _, err := s.srv.rooms.Apply(ctx, roomID, func(st *room.State, _ int64) ([]room.Event, error) {
			return st.Alive(a, probe)
		}); err != nil {
			log.Debug("record the answer to a liveness probe", zap.Error(err))
		}
	}()
}
