package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// Registry defaults.
const (
	// DefaultHeartbeatTTL: an instance whose heartbeat is older than this
	// is dead, and its participants' presence is cleaned up.
	DefaultHeartbeatTTL = 10 * time.Second
	// DefaultHeartbeatInterval is how often an instance renews its heartbeat.
	DefaultHeartbeatInterval = 3 * time.Second
)

// RegistryParams configures a Registry.
type RegistryParams struct {
	Client redis.UniversalClient
	Log    *zap.Logger
	// Prefix starts every key; DefaultPrefix when empty.
	Prefix string
	// Instance is this instance's id; a new random one when empty.
	Instance string
	// URL is where the other instances reach this one's signaling
	// endpoint, e.g. ws://10.0.0.5:8080/ws.
	URL string
	// TTL and Interval of the heartbeat; the defaults when zero.
	TTL, Interval time.Duration
}

// Registry registers this instance in Redis with a heartbeat, tells which
// other instances are alive and where to reach them, and holds the
// cluster's shared secret. It implements signaling/cluster.Registry.
type Registry struct {
	// static after construction
	client   redis.UniversalClient
	log      *zap.Logger
	prefix   string
	instance string
	url      string
	secret   string
	ttl      time.Duration
	interval time.Duration
	stop     chan struct{}
	wg       sync.WaitGroup

	draining atomic.Bool // Drain was called: the heartbeat says so too
	// healthySince is when this instance's heartbeats last started to
	// succeed (Unix nanoseconds); 0 while they fail. See Dead.
	healthySince atomic.Int64
}

// NewRegistry registers the instance and starts its heartbeat. The cluster
// secret is made by the first instance and read by the others.
func NewRegistry(ctx context.Context, p RegistryParams) (*Registry, error) {
	if p.Client == nil || p.URL == "" {
		return nil, errors.New("redisstore: registry needs a client and the instance's URL")
	}
	r := &Registry{client: p.Client, log: p.Log, prefix: p.Prefix, instance: p.Instance, url: p.URL,
		ttl: p.TTL, interval: p.Interval, stop: make(chan struct{})}
	if r.log == nil {
		r.log = zap.NewNop()
	}
	if r.prefix == "" {
		r.prefix = DefaultPrefix
	}
	if r.instance == "" {
		r.instance = uuid.NewString()
	}
	if r.ttl <= 0 {
		r.ttl = DefaultHeartbeatTTL
	}
	if r.interval <= 0 {
		r.interval = DefaultHeartbeatInterval
	}
	key := r.prefix + "cluster:secret"
	if err := r.client.SetNX(ctx, key, room.NewSecret(), 0).Err(); err != nil {
		return nil, fmt.Errorf("redisstore: cluster secret: %w", err)
	}
	secret, err := r.client.Get(ctx, key).Result()
	if err != nil {
		return nil, fmt.Errorf("redisstore: cluster secret: %w", err)
	}
	r.secret = secret
	if err := r.beat(ctx); err != nil {
		return nil, err
	}
	r.wg.Add(1)
	go r.heartbeat()
	return r, nil
}

// Keys: the heartbeat of each instance (its URL, expiring), the set of
// registered instances, and per instance the set of rooms it holds
// meetings of.
func (r *Registry) key(instance string) string   { return r.prefix + "instance:" + instance }
func (r *Registry) rooms(instance string) string { return r.prefix + "instance:" + instance + ":rooms" }
func (r *Registry) members() string              { return r.prefix + "instances" }

// drainingKey exists, with the heartbeat's expiry, while an instance drains.
func (r *Registry) drainingKey(instance string) string {
	return r.prefix + "instance:" + instance + ":draining"
}

// beat renews the heartbeat, and the registration (Redis may have lost it).
func (r *Registry) beat(ctx context.Context) error {
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.key(r.instance), r.url, r.ttl)
		p.SAdd(ctx, r.members(), r.instance)
		if r.draining.Load() {
			p.Set(ctx, r.drainingKey(r.instance), "1", r.ttl)
		}
		return nil
	})
	if err != nil {
		r.healthySince.Store(0)
		return fmt.Errorf("redisstore: heartbeat: %w", err)
	}
	r.healthySince.CompareAndSwap(0, time.Now().UnixNano())
	return nil
}

func (r *Registry) heartbeat() {
	defer r.wg.Done()
	t := time.NewTicker(r.interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), r.interval)
			err := r.beat(ctx)
			cancel()
			if err != nil && !failing {
				r.log.Warn("heartbeat failed; retrying", zap.Error(err))
			} else if err == nil && failing {
				r.log.Info("heartbeat restored")
			}
			failing = err != nil
		}
	}
}

// Instance implements cluster.Registry.
func (r *Registry) Instance() string { return r.instance }

// Secret implements cluster.Registry.
func (r *Registry) Secret() string { return r.secret }

// URL implements cluster.Registry.
func (r *Registry) URL(ctx context.Context, instance string) (string, error) {
	u, err := r.client.Get(ctx, r.key(instance)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("redisstore: instance %s is not registered", instance)
	}
	return u, err
}

// Host implements cluster.Registry: it records the rooms this instance
// holds meetings of (on), or no longer holds.
func (r *Registry) Host(ctx context.Context, ids []room.RoomID, on bool) error {
	members := make([]any, len(ids))
	for i, id := range ids {
		members[i] = id.String()
	}
	var err error
	if on {
		err = r.client.SAdd(ctx, r.rooms(r.instance), members...).Err()
	} else {
		err = r.client.SRem(ctx, r.rooms(r.instance), members...).Err()
	}
	if err != nil {
		return fmt.Errorf("redisstore: record rooms: %w", err)
	}
	return nil
}

// Dead implements cluster.Registry: the registered instances whose
// heartbeat has expired. It reads one key per instance, never the rooms.
//
// While this instance's own heartbeats have succeeded for less than one
// TTL (at start, and after Redis was unreachable, e.g. during a Sentinel
// failover), it names nobody: the others may have been unable to renew
// their keys for the same reason, and would be taken for dead.
func (r *Registry) Dead(ctx context.Context) ([]string, error) {
	if since := r.healthySince.Load(); since == 0 || time.Since(time.Unix(0, since)) < r.ttl {
		return nil, nil
	}
	instances, err := r.client.SMembers(ctx, r.members()).Result()
	if err != nil || len(instances) == 0 {
		return nil, err
	}
	keys := make([]string, len(instances))
	for i, inst := range instances {
		keys[i] = r.key(inst)
	}
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	var dead []string
	for i, v := range vals {
		if v == nil {
			dead = append(dead, instances[i])
		}
	}
	return dead, nil
}

// Hosted implements cluster.Registry: the rooms an instance recorded.
func (r *Registry) Hosted(ctx context.Context, instance string) ([]room.RoomID, error) {
	ids, err := r.client.SMembers(ctx, r.rooms(instance)).Result()
	if err != nil {
		return nil, err
	}
	out := make([]room.RoomID, 0, len(ids))
	for _, s := range ids {
		if id, err := room.ParseRoomID(s); err == nil {
			out = append(out, id)
		}
	}
	return out, nil
}

// Forget implements cluster.Registry: a dead instance whose rooms were
// cleaned leaves the registry.
func (r *Registry) Forget(ctx context.Context, instance string) error {
	_, err := r.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.SRem(ctx, r.members(), instance)
		p.Del(ctx, r.rooms(instance))
		return nil
	})
	return err
}

// Drain records that this instance is draining (docs/operations.md): from
// now on its heartbeat says so, and the other instances do not count it
// as ready to take participants (Ready). A failure is retried by the
// heartbeat.
func (r *Registry) Drain(ctx context.Context) error {
	r.draining.Store(true)
	return r.beat(ctx)
}

// Ready returns how many other instances are alive (their heartbeat has
// not expired) and not draining: instances that can take this one's
// participants.
func (r *Registry) Ready(ctx context.Context) (int, error) {
	instances, err := r.client.SMembers(ctx, r.members()).Result()
	if err != nil {
		return 0, err
	}
	keys := make([]string, 0, 2*len(instances))
	for _, inst := range instances {
		if inst != r.instance {
			keys = append(keys, r.key(inst), r.drainingKey(inst))
		}
	}
	if len(keys) == 0 {
		return 0, nil
	}
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return 0, err
	}
	n := 0
	for i := 0; i < len(vals); i += 2 {
		if vals[i] != nil && vals[i+1] == nil {
			n++
		}
	}
	return n, nil
}

// Close stops the heartbeat and unregisters the instance, so that the
// others clean up its participants at once.
func (r *Registry) Close() {
	close(r.stop)
	r.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.client.Del(ctx, r.key(r.instance), r.drainingKey(r.instance)).Err()
}

// Rooms implements room.Lister: every room kept in Redis.
func (s *Store) Rooms(ctx context.Context) ([]room.RoomID, error) {
	var out []room.RoomID
	iter := s.client.Scan(ctx, 0, s.prefix+"room:{*}:state", 200).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		i, j := strings.IndexByte(k, '{'), strings.IndexByte(k, '}')
		if i < 0 || j < i {
			continue
		}
		if id, err := room.ParseRoomID(k[i+1 : j]); err == nil {
			out = append(out, id)
		}
	}
	return out, iter.Err()
}
