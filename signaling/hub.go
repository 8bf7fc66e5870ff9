package signaling

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
)

// hub knows, per room, the sessions connected to this instance and the
// tracks they publish, and wires every participant to every other
// participant's tracks. While a room has a share timer running, the hub
// ticks it once a second. It is not on the packet path.
type hub struct {
	// static after construction
	rooms *room.Service
	log   *zap.Logger

	mu    sync.Mutex // guards local
	local map[room.RoomID]*localRoom
}

type localRoom struct {
	members map[room.ParticipantID]int // participants connected here (sessions)
	peers   map[*media.Peer]struct{}
	tracks  map[*media.Track]struct{}
	timer   atomic.Bool   // a share timer runs
	stop    chan struct{} // closed when the room has no local peer
}

func newHub(rooms *room.Service, log *zap.Logger) *hub {
	return &hub{rooms: rooms, log: log, local: map[room.RoomID]*localRoom{}}
}

// tick advances the room's share timer every second while one runs. Every
// instance with members in the room ticks; Tick does nothing twice.
func (h *hub) tick(id room.RoomID, lr *localRoom) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-lr.stop:
			return
		case <-t.C:
			if !lr.timer.Load() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			if err := h.rooms.Tick(ctx, id); err != nil {
				h.log.Debug("tick share timer", zap.Stringer("room", id), zap.Error(err))
			}
			cancel()
		}
	}
}

// setTimer records whether the room has a share timer running.
func (h *hub) setTimer(id room.RoomID, running bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if lr := h.local[id]; lr != nil {
		lr.timer.Store(running)
	}
}

// attach adds a peer to the room and subscribes it to the room's tracks.
func (h *hub) attach(id room.RoomID, p *media.Peer) error {
	h.mu.Lock()
	lr := h.room(id)
	lr.peers[p] = struct{}{}
	tracks := make([]*media.Track, 0, len(lr.tracks))
	for t := range lr.tracks {
		if forwards(t, p) {
			tracks = append(tracks, t)
		}
	}
	h.mu.Unlock()
	for _, t := range tracks {
		if err := p.Subscribe(t); err != nil {
			return err
		}
	}
	return nil
}

// forwards reports whether track t goes to peer p: every participant gets
// every other participant's tracks; a relay to another instance gets only
// the tracks of this instance's own participants; a relay from another
// instance gets nothing.
func forwards(t *media.Track, p *media.Peer) bool {
	switch {
	case t.Publisher() == p || p.Kind() == media.RelayIn:
		return false
	case p.Kind() == media.RelayOut:
		return t.Publisher().Kind() == media.Client
	}
	return true
}

// detach removes a peer from the room.
func (h *hub) detach(id room.RoomID, p *media.Peer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	lr := h.local[id]
	if lr == nil {
		return
	}
	delete(lr.peers, p)
	for t := range lr.tracks {
		if t.Publisher() == p {
			delete(lr.tracks, t)
		}
	}
	h.gc(id, lr)
}

// room returns the local room, creating it. h.mu must be held.
func (h *hub) room(id room.RoomID) *localRoom {
	lr := h.local[id]
	if lr == nil {
		lr = &localRoom{members: map[room.ParticipantID]int{}, peers: map[*media.Peer]struct{}{},
			tracks: map[*media.Track]struct{}{}, stop: make(chan struct{})}
		h.local[id] = lr
		go h.tick(id, lr)
	}
	return lr
}

// gc forgets a local room nobody uses any more. h.mu must be held.
func (h *hub) gc(id room.RoomID, lr *localRoom) {
	if len(lr.peers) == 0 && len(lr.members) == 0 {
		delete(h.local, id)
		close(lr.stop)
	}
}

// addMember records a participant's session on this instance.
func (h *hub) addMember(id room.RoomID, p room.ParticipantID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.room(id).members[p]++
}

// removeMember forgets a participant's session.
func (h *hub) removeMember(id room.RoomID, p room.ParticipantID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	lr := h.local[id]
	if lr == nil {
		return
	}
	if lr.members[p]--; lr.members[p] <= 0 {
		delete(lr.members, p)
	}
	h.gc(id, lr)
}

// counts returns how many rooms have participants here, and how many
// participants are connected here.
func (h *hub) counts() (rooms, participants int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, lr := range h.local {
		if len(lr.members) > 0 {
			rooms++
			participants += len(lr.members)
		}
	}
	return rooms, participants
}

// members returns, per local room, the participants connected here.
func (h *hub) members() map[room.RoomID]map[room.ParticipantID]bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[room.RoomID]map[room.ParticipantID]bool, len(h.local))
	for id, lr := range h.local {
		m := make(map[room.ParticipantID]bool, len(lr.members))
		for p := range lr.members {
			m[p] = true
		}
		out[id] = m
	}
	return out
}

// publish adds a new track to the room and subscribes every other peer of
// the room to it. The track leaves the room when it ends.
func (h *hub) publish(id room.RoomID, t *media.Track) {
	h.mu.Lock()
	lr := h.local[id]
	if lr == nil {
		h.mu.Unlock()
		return
	}
	lr.tracks[t] = struct{}{}
	peers := make([]*media.Peer, 0, len(lr.peers))
	for p := range lr.peers {
		if forwards(t, p) {
			peers = append(peers, p)
		}
	}
	h.mu.Unlock()
	go func() {
		<-t.Done()
		h.mu.Lock()
		if lr := h.local[id]; lr != nil {
			delete(lr.tracks, t)
		}
		h.mu.Unlock()
	}()
	for _, p := range peers {
		_ = p.Subscribe(t) // fails only when p is closing
	}
}
