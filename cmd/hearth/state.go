package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/boltdir"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/redisstore"
)

// state is where rooms live. Their definitions: in a bbolt file in the
// data directory, or in Redis (without expiry). Running meetings: in
// memory, or in Redis shared with other instances (with this instance
// registered in the cluster's registry).
type state struct {
	store    room.Store
	dir      room.Directory
	registry *redisstore.Registry // nil in memory
	ready    func(context.Context) error
	close    func()
}

// dataDirWait is how long the server waits for another process (the
// CLI) to release the data directory's file.
const dataDirWait = 5 * time.Second

func newState(ctx context.Context, cfg config, listen net.Addr, log *zap.Logger) (*state, error) {
	if cfg.RedisURL == "" {
		dir, err := openDataDir(cfg.DataDir, dataDirWait)
		if err != nil {
			return nil, err
		}
		log.Info("rooms kept in the data directory") // its path may name a person: not logged
		return &state{store: memory.New(), dir: dir, ready: func(context.Context) error { return nil },
			close: func() { _ = dir.Close() }}, nil
	}
	// One Redis server, or the primary a Sentinel set names (followed
	// through failovers by the client itself).
	client, err := redisstore.NewClient(cfg.RedisURL)
	if err != nil {
		return nil, fmt.Errorf("--redis-url: %w", err)
	}
	// go-redis logs dial failures itself, through a package-level logger;
	// send them through ours, which removes addresses.
	redis.SetLogger(redisLogger{log: log.Named("redis")})
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
		dir:      redisstore.NewDirectory(client, ""),
		registry: reg,
		ready:    func(ctx context.Context) error { return client.Ping(ctx).Err() },
		close: func() {
			reg.Close()
			store.Close()
			_ = client.Close()
		},
	}, nil
}

// openDataDir opens the rooms' file in the data directory, saying what to
// do when another process holds it.
func openDataDir(path string, wait time.Duration) (*boltdir.Directory, error) {
	dir, err := boltdir.Open(path, wait)
	if errors.Is(err, boltdir.ErrInUse) {
		return nil, fmt.Errorf("%w\nthe data directory %s is in use, probably by a running Hearth server: "+
			"manage its rooms through it with --server URL (and the admin token)", err, path)
	}
	return dir, err
}
