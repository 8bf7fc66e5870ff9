package signaling

import (
	"sync"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
)

// hub knows, per room, the sessions connected to this instance and the
// tracks they publish, and wires every participant to every other
// participant's tracks. It is not on the packet path.
type hub struct {
	mu    sync.Mutex // guards rooms
	rooms map[room.RoomID]*localRoom
}

type localRoom struct {
	peers  map[*media.Peer]struct{}
	tracks map[*media.Track]struct{}
}

func newHub() *hub { return &hub{rooms: map[room.RoomID]*localRoom{}} }

// attach adds a peer to the room and subscribes it to the room's tracks.
func (h *hub) attach(id room.RoomID, p *media.Peer) error {
	h.mu.Lock()
	lr := h.rooms[id]
	if lr == nil {
		lr = &localRoom{peers: map[*media.Peer]struct{}{}, tracks: map[*media.Track]struct{}{}}
		h.rooms[id] = lr
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
	lr := h.rooms[id]
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
		delete(h.rooms, id)
	}
}

// publish adds a new track to the room and subscribes every other peer of
// the room to it. The track leaves the room when it ends.
func (h *hub) publish(id room.RoomID, t *media.Track) {
	h.mu.Lock()
	lr := h.rooms[id]
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
		if lr := h.rooms[id]; lr != nil {
			delete(lr.tracks, t)
		}
		h.mu.Unlock()
	}()
	for _, p := range peers {
		_ = p.Subscribe(t) // fails only when p is closing
	}
}
