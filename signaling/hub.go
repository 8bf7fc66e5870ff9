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
	peers  map[*media.Peer]struct{}
	tracks map[*media.Track]struct{}
	timer  atomic.Bool   // a share timer runs
	stop   chan struct{} // closed when the room has no local peer
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
	lr := h.local[id]
	if lr == nil {
		lr = &localRoom{peers: map[*media.Peer]struct{}{}, tracks: map[*media.Track]struct{}{}, stop: make(chan struct{})}
		h.local[id] = lr
		go h.tick(id, lr)
	}
	lr.peers[p] = struct{}{}
	tracks := make([]*media.Track, 0, len(lr.tracks))
	for t := range lr.tracks {
		tracks = append(tracks, t)
	}
	h.mu.Unlock()
	for _, t := range tracks {
		if t.Publisher() != p {
			if err := p.Subscribe(t); err != nil {
				return err
			}
		}
	}
	return nil
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
	if len(lr.peers) == 0 {
		delete(h.local, id)
		close(lr.stop)
	}
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
		if p != t.Publisher() {
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
