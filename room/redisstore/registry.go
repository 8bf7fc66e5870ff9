package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
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
// cluster's shared secret. It implements signaling.Cluster.
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

func (r *Registry) key(instance string) string { return r.prefix + "instance:" + instance }

func (r *Registry) beat(ctx context.Context) error {
	if err := r.client.Set(ctx, r.key(r.instance), r.url, r.ttl).Err(); err != nil {
		return fmt.Errorf("redisstore: heartbeat: %w", err)
	}
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

// Instance implements signaling.Cluster.
func (r *Registry) Instance() string { return r.instance }

// Secret implements signaling.Cluster.
func (r *Registry) Secret() string { return r.secret }

// URL implements signaling.Cluster.
func (r *Registry) URL(ctx context.Context, instance string) (string, error) {
	u, err := r.client.Get(ctx, r.key(instance)).Result()
	if errors.Is(err, redis.Nil) {
		return "", fmt.Errorf("redisstore: instance %s is not registered", instance)
	}
	return u, err
}

// Alive implements signaling.Cluster.
func (r *Registry) Alive(ctx context.Context, instances []string) (map[string]bool, bool) {
	alive := make(map[string]bool, len(instances))
	if len(instances) == 0 {
		return alive, r.client.Ping(ctx).Err() == nil
	}
	keys := make([]string, len(instances))
	for i, inst := range instances {
		keys[i] = r.key(inst)
	}
	vals, err := r.client.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, false
	}
	for i, v := range vals {
		alive[instances[i]] = v != nil
	}
	return alive, true
}

// Close stops the heartbeat and unregisters the instance, so that the
// others clean up its participants at once.
func (r *Registry) Close() {
	close(r.stop)
	r.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = r.client.Del(ctx, r.key(r.instance)).Err()
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
