// Package cluster is this instance's part in a group of instances sharing
// rooms through Redis: it keeps the media relay links the local meetings
// ask for, records which rooms have meetings here, and cleans the
// presence of instances that died from the rooms they held.
//
// It implements meeting.Cluster for the meetings and answers the
// signaling server's questions (instance id, relay secret).
package cluster

import (
	"context"
	"crypto/subtle"
	"errors"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/meeting"
)

// Registry is the instances' shared registry (implemented over Redis by
// room/redisstore.Registry).
type Registry interface {
	// Instance is this instance's id.
	Instance() string
	// Secret authenticates relay connections between instances.
	Secret() string
	// URL returns the signaling URL (ws://host:port/ws) of an instance.
	URL(ctx context.Context, instance string) (string, error)
	// Host records that this instance holds (on) or no longer holds a
	// meeting of the room.
	Host(ctx context.Context, ids []room.RoomID, on bool) error
	// Dead returns the registered instances whose heartbeat expired.
	Dead(ctx context.Context) ([]string, error)
	// Hosted returns the rooms an instance held meetings of.
	Hosted(ctx context.Context, instance string) ([]room.RoomID, error)
	// Forget removes a dead instance whose rooms were cleaned.
	Forget(ctx context.Context, instance string) error
}

// Params configures a Cluster.
type Params struct {
	Registry Registry
	Rooms    *room.Service
	SFU      *media.SFU
	Log      *zap.Logger
}

// Timing of the cluster's duties.
const (
	tick = time.Second
	// resyncEvery: every so many ticks, every room hosted here is recorded
	// again (the registry may have lost it, e.g. a Redis restart).
	resyncEvery = 10
	// healthyGrace: after the registry was unreachable, wait this long
	// before judging instances dead, so that they can heartbeat again.
	healthyGrace = 12 * time.Second
)

// Cluster runs this instance's cluster duties until Close.
type Cluster struct {
	// static after construction
	p      Params
	ctx    context.Context // canceled by Close
	cancel context.CancelFunc
	poke   chan struct{} // wakes the loop early (capacity 1)
	done   chan struct{} // closed when the loop ended

	mu       sync.Mutex // guards links, hosted and recorded
	links    map[linkKey]*link
	hosted   map[room.RoomID]int  // rooms with a meeting here (meetings of the room, usually 1)
	recorded map[room.RoomID]bool // rooms the registry holds for this instance
	linkers  sync.WaitGroup       // running links

	// owned by the loop
	healthySince time.Time
}

// New starts the cluster duties.
func New(p Params) *Cluster {
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cluster{p: p, ctx: ctx, cancel: cancel, poke: make(chan struct{}, 1), done: make(chan struct{}),
		links: map[linkKey]*link{}, hosted: map[room.RoomID]int{}, recorded: map[room.RoomID]bool{}}
	go c.loop()
	return c
}

var _ meeting.Cluster = (*Cluster)(nil)

// Instance implements meeting.Cluster.
func (c *Cluster) Instance() string { return c.p.Registry.Instance() }

// SecretOK checks the secret a relay from another instance presents.
func (c *Cluster) SecretOK(secret string) bool {
	want := c.p.Registry.Secret()
	return want != "" && subtle.ConstantTimeCompare([]byte(secret), []byte(want)) == 1
}

// Hosting implements meeting.Cluster. A room newly hosted is recorded in
// the registry before Hosting returns (so that, should this instance die
// right after someone joins, the others find the room), or at a later
// tick if the registry cannot be reached now; a room no longer hosted is
// removed by the loop.
func (c *Cluster) Hosting(id room.RoomID, on bool) {
	c.mu.Lock()
	first := false
	if on {
		c.hosted[id]++
		first = c.hosted[id] == 1 && !c.recorded[id]
	} else if c.hosted[id]--; c.hosted[id] <= 0 {
		delete(c.hosted, id)
	}
	c.mu.Unlock()
	if first {
		ctx, cancel := context.WithTimeout(c.ctx, 2*time.Second)
		err := c.p.Registry.Host(ctx, []room.RoomID{id}, true)
		cancel()
		if err == nil {
			c.mu.Lock()
			c.recorded[id] = true
			c.mu.Unlock()
			return
		}
	}
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// Close stops the duties and every relay link, and waits for them.
func (c *Cluster) Close() {
	c.cancel()
	<-c.done
	c.mu.Lock()
	for k, l := range c.links {
		l.cancel()
		delete(c.links, k)
	}
	c.mu.Unlock()
	c.linkers.Wait()
}

func (c *Cluster) loop() {
	defer close(c.done)
	t := time.NewTicker(tick)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-c.ctx.Done():
			return
		case <-c.poke:
			c.record(false)
		case <-t.C:
			c.record(n%resyncEvery == 0)
			c.cleanDead()
		}
	}
}

// record brings the registry's list of the rooms hosted here up to date;
// with all, every hosted room is recorded again.
func (c *Cluster) record(all bool) {
	c.mu.Lock()
	var add, remove []room.RoomID
	for id := range c.hosted {
		if all || !c.recorded[id] {
			add = append(add, id)
		}
	}
	for id := range c.recorded {
		if c.hosted[id] == 0 {
			remove = append(remove, id)
		}
	}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	added := len(add) > 0 && c.p.Registry.Host(ctx, add, true) == nil
	removed := len(remove) > 0 && c.p.Registry.Host(ctx, remove, false) == nil
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range add {
		if added {
			c.recorded[id] = true
		}
	}
	for _, id := range remove {
		if removed && c.hosted[id] == 0 {
			delete(c.recorded, id)
		}
	}
}

// cleanDead marks as gone the participants of instances whose heartbeat
// expired, in the rooms those instances held; only those rooms are read.
func (c *Cluster) cleanDead() {
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	dead, err := c.p.Registry.Dead(ctx)
	if err != nil {
		c.healthySince = time.Time{}
		return
	}
	if c.healthySince.IsZero() {
		c.healthySince = time.Now()
	}
	if time.Since(c.healthySince) < healthyGrace {
		return // let the other instances heartbeat again first
	}
	for _, inst := range dead {
		if inst == c.Instance() {
			continue
		}
		ids, err := c.p.Registry.Hosted(ctx, inst)
		if err != nil {
			return
		}
		ok := true
		for _, id := range ids {
			ok = c.expire(ctx, id, inst) && ok
		}
		if ok {
			_ = c.p.Registry.Forget(ctx, inst)
		}
	}
}

// expire marks as gone the room's participants held by a dead instance.
func (c *Cluster) expire(ctx context.Context, id room.RoomID, instance string) bool {
	_, err := c.p.Rooms.Apply(ctx, id, func(st *room.State, now int64) ([]room.Event, error) {
		evs := st.ExpireInstance(instance, nil)
		st.NoteEmpty(now)
		return evs, nil
	})
	switch {
	case err == nil:
		c.p.Log.Info("presence expired", zap.Stringer("room", id), zap.String("instance", instance))
	case errors.Is(err, room.ErrNotFound):
	default:
		c.p.Log.Warn("expire presence", zap.Stringer("room", id), zap.Error(err))
		return false
	}
	return true
}
