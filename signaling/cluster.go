package signaling

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// Cluster is what an instance knows of the other instances sharing its
// rooms (implemented over Redis by room/redisstore.Registry). Nil in a
// single instance.
type Cluster interface {
	// Instance is this instance's id.
	Instance() string
	// Secret authenticates relay connections between instances.
	Secret() string
	// URL returns the signaling URL (ws://host:port/ws) of an instance.
	URL(ctx context.Context, instance string) (string, error)
	// Alive reports which of the instances have a fresh heartbeat; ok is
	// false when the registry cannot tell (e.g. Redis is unreachable).
	Alive(ctx context.Context, instances []string) (alive map[string]bool, ok bool)
}

// relays keeps, for every room with participants on this instance, one
// relay link to each other instance holding participants of the room: the
// link receives that instance's local tracks and publishes them here.
type relays struct {
	srv *Server

	mu    sync.Mutex // guards links
	links map[relayKey]*relayLink
}

type relayKey struct {
	room     room.RoomID
	instance string
}

type relayLink struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func newRelays(srv *Server) *relays { return &relays{srv: srv, links: map[relayKey]*relayLink{}} }

// reconcile opens the links the rooms need and closes the others; want
// maps each local room to the other instances holding its participants.
func (r *relays) reconcile(want map[room.RoomID]map[string]bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, l := range r.links {
		if !want[k.room][k.instance] {
			l.cancel()
			delete(r.links, k)
		}
	}
	for id, instances := range want {
		for inst := range instances {
			k := relayKey{id, inst}
			if _, ok := r.links[k]; ok {
				continue
			}
			ctx, cancel := context.WithCancel(r.srv.ctx)
			l := &relayLink{cancel: cancel, done: make(chan struct{})}
			r.links[k] = l
			go func() {
				defer close(l.done)
				r.run(ctx, k)
			}()
		}
	}
}

// closeAll stops every link and waits for them.
func (r *relays) closeAll() {
	r.mu.Lock()
	links := r.links
	r.links = map[relayKey]*relayLink{}
	r.mu.Unlock()
	for _, l := range links {
		l.cancel()
		<-l.done
	}
}

// run keeps one relay link up until ctx ends, reconnecting after failures.
func (r *relays) run(ctx context.Context, k relayKey) {
	log := r.srv.log.With(zap.Stringer("room", k.room), zap.String("relay_from", k.instance))
	for ctx.Err() == nil {
		if err := r.link(ctx, k); err != nil && ctx.Err() == nil {
			log.Debug("relay link ended", zap.Error(err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func (r *relays) link(ctx context.Context, k relayKey) error {
	url, err := r.srv.cluster.URL(ctx, k.instance)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := client.DialConn(dctx, url)
	cancel()
	if err != nil {
		return err
	}
	defer func() { _ = conn.CloseNow() }()
	err = conn.Send(ctx, protocol.Relay{Type: protocol.TypeRelay, V: protocol.Version, Room: k.room.String(),
		Secret: r.srv.cluster.Secret(), Instance: r.srv.cluster.Instance()})
	if err != nil {
		return err
	}
	peer, err := r.srv.sfu.NewPeer(media.PeerParams{
		ID:      "relay:" + k.instance,
		Kind:    media.RelayIn,
		Log:     r.srv.log.With(zap.Stringer("room", k.room), zap.String("relay_from", k.instance)),
		OnTrack: func(t *media.Track) { r.srv.hub.publish(k.room, t) },
	})
	if err != nil {
		return err
	}
	defer peer.Close()
	if err := r.srv.hub.attach(k.room, peer); err != nil {
		return err
	}
	defer r.srv.hub.detach(k.room, peer)
	for {
		m, err := conn.Recv(ctx)
		if err != nil {
			return err
		}
		switch m.Type {
		case protocol.TypeOffer:
			var o protocol.SDP
			if err := m.Decode(&o); err != nil {
				return err
			}
			answer, err := peer.HandleOffer(o.SDP)
			if err != nil {
				return err
			}
			if err := conn.Send(ctx, protocol.SDP{Type: protocol.TypeAnswer, PC: protocol.PCSubscribe, SDP: answer}); err != nil {
				return err
			}
		case protocol.TypeError:
			var e protocol.Error
			_ = json.Unmarshal(m.Raw, &e)
			return &e
		}
	}
}

// secretOK checks a relay's secret.
func (s *Server) secretOK(secret string) bool {
	if s.cluster == nil || s.cluster.Secret() == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(secret), []byte(s.cluster.Secret())) == 1
}

// Timing of the cluster duties.
const (
	clusterTick = time.Second
	// fullScanEvery: every so many ticks, every room is checked for
	// participants of dead instances, not only the rooms used here.
	fullScanEvery = 5
	// healthyGrace: after the registry was unreachable, wait this long
	// before judging instances dead, so that they can heartbeat again.
	healthyGrace = 12 * time.Second
)

// runCluster does this instance's share of the cluster's work until the
// server shuts down: it keeps the media relays the local rooms need, marks
// participants of dead instances as gone, and after an outage of the
// shared state drops presence this instance holds no connection for.
func (s *Server) runCluster() {
	t := time.NewTicker(clusterTick)
	defer t.Stop()
	j := &janitor{srv: s, stale: map[room.ParticipantID]int{}}
	for n := 0; ; {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			j.tick(n%fullScanEvery == 0)
			n++
		case <-s.clusterPoke:
			j.tick(false) // someone joined: open the relays now
		}
	}
}

// pokeCluster asks for the relays to be reconciled at once (a participant
// joined), rather than at the next tick. It never blocks.
func (s *Server) pokeCluster() {
	if s.cluster == nil {
		return
	}
	select {
	case s.clusterPoke <- struct{}{}:
	default:
	}
}

// janitor is owned by runCluster.
type janitor struct {
	srv          *Server
	healthySince time.Time
	// stale counts the ticks in a row a participant was seen present on
	// this instance without a connection here.
	stale map[room.ParticipantID]int
}

func (j *janitor) tick(fullScan bool) {
	s := j.srv
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	self := s.cluster.Instance()
	members := s.hub.members()
	ids := make(map[room.RoomID]bool, len(members))
	for id := range members {
		ids[id] = true
	}
	if fullScan {
		all, err := s.rooms.Rooms(ctx)
		if err != nil {
			j.healthySince = time.Time{}
		}
		for _, id := range all {
			ids[id] = true
		}
	}
	states := make(map[room.RoomID]*room.State, len(ids))
	failed := false
	for id := range ids {
		st, err := s.rooms.Snapshot(ctx, id)
		if err != nil {
			failed = true
			continue
		}
		states[id] = st
	}
	if failed {
		// Keep the relays as they are: media goes on while the shared
		// state cannot be read.
		j.healthySince = time.Time{}
		return
	}
	want := map[room.RoomID]map[string]bool{}
	for id, m := range members {
		if st := states[id]; st != nil && len(m) > 0 {
			inst := st.Instances()
			delete(inst, self)
			want[id] = inst
		}
	}
	s.relays.reconcile(want)

	others := map[string]bool{}
	for _, st := range states {
		for inst := range st.Instances() {
			if inst != self {
				others[inst] = true
			}
		}
	}
	list := make([]string, 0, len(others))
	for inst := range others {
		list = append(list, inst)
	}
	// Participants present here in the shared state but without a
	// connection here (a leave lost while the state was unreachable):
	// this instance knows its own connections, so no grace is needed.
	for id, st := range states {
		var lost bool
		for _, p := range st.Participants {
			if p.Present && p.Instance == self && !members[id][p.ID] {
				j.stale[p.ID]++
				lost = lost || j.stale[p.ID] >= 2
			} else {
				delete(j.stale, p.ID)
			}
		}
		if lost {
			keep := map[room.ParticipantID]bool{}
			for p := range members[id] {
				keep[p] = true
			}
			for p, n := range j.stale {
				if n < 2 {
					keep[p] = true
				}
			}
			j.expire(ctx, id, self, keep)
		}
	}

	alive, ok := s.cluster.Alive(ctx, list)
	if !ok {
		j.healthySince = time.Time{}
		return
	}
	if j.healthySince.IsZero() {
		j.healthySince = time.Now()
	}
	if time.Since(j.healthySince) < healthyGrace {
		return // let the other instances heartbeat again first
	}
	for id, st := range states {
		for inst := range st.Instances() {
			if inst != self && !alive[inst] {
				j.expire(ctx, id, inst, nil)
			}
		}
	}
}

func (j *janitor) expire(ctx context.Context, id room.RoomID, instance string, keep map[room.ParticipantID]bool) {
	_, err := j.srv.rooms.Apply(ctx, id, func(st *room.State, now int64) ([]room.Event, error) {
		evs := st.ExpireInstance(instance, keep)
		st.NoteEmpty(now)
		return evs, nil
	})
	if err != nil {
		j.srv.log.Warn("expire presence", zap.Stringer("room", id), zap.Error(err))
		return
	}
	j.srv.log.Info("presence expired", zap.Stringer("room", id), zap.String("instance", instance))
}
