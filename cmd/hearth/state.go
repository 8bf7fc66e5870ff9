package main

import (
	"context"
	"fmt"
	"net"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/redisstore"
)

// state is where rooms live: in memory, or in Redis shared with other
// instances (with this instance registered in the cluster's registry).
type state struct {
	store    room.Store
	registry *redisstore.Registry // nil in memory
	ready    func(context.Context) error
	close    func()
}

func newState(ctx context.Context, cfg config, listen net.Addr, log *zap.Logger) (*state, error) {
	if cfg.RedisURL == "" {
		return &state{store: memory.New(), ready: func(context.Context) error { return nil }, close: func() {}}, nil
	}
	opts, err := redis.ParseURL(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	// go-redis logs dial failures itself, through a package-level logger;
	// send them through ours, which removes addresses.
	redis.SetLogger(redisLogger{log: log.Named("redis")})
	client := redis.NewClient(opts)
	store, err := redisstore.New(ctx, redisstore.Params{Client: client, Log: log.Named("redis")})
	if err != nil {
		_ = client.Close()
		return nil, err
	}
	reg, err := redisstore.NewRegistry(ctx, redisstore.RegistryParams{Client: client, Log: log.Named("cluster"),
		URL: cfg.instanceURL(listen)})
	if err != nil {
		store.Close()
		_ = client.Close()
		return nil, err
	}
	log.Info("sharing rooms through redis", zap.String("instance", reg.Instance()))
	return &state{
		store:    store,
		registry: reg,
		ready:    func(ctx context.Context) error { return client.Ping(ctx).Err() },
		close: func() {
			reg.Close()
			store.Close()
			_ = client.Close()
		},
	}, nil
}
