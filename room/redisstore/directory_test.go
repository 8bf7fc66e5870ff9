package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/redisstore"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/room/roomtest"
)

// TestDirectoryContract runs the room.Directory contract on real Redis;
// each instance has its own client, as each Hearth instance has.
func TestDirectoryContract(t *testing.T) {
	srv := redistest.Start(t)
	roomtest.RunDirectory(t, func(t *testing.T) func() room.Directory {
		prefix := uniquePrefix()
		return func() room.Directory { return redisstore.NewDirectory(newClient(t, srv.Addr()), prefix) }
	})
}

// A room made a simulated 8 days ago still opens: its definition has no
// expiry in Redis, while its meeting's state expired by its TTL (a real
// one, short here) and is made again from the definition.
func TestRoomLastsInRedis(t *testing.T) {
	srv := redistest.Start(t)
	prefix := uniquePrefix()
	c := newClient(t, srv.Addr())
	// The TTL must outlast each step of the meeting before it is
	// forgotten (a join, a setting, a leave: each write sets it again):
	// 500 ms was one stall of a loaded machine.
	store := newStore(t, srv.Addr(), redisstore.Params{Prefix: prefix, TTL: 2 * time.Second})
	dir := redisstore.NewDirectory(c, prefix)
	ctx := context.Background()
	roomtest.RoomLasts(t, store, dir, func(id room.RoomID) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := store.Get(ctx, id); err != nil {
				break // the meeting's state expired
			}
			if time.Now().After(deadline) {
				t.Fatal("the meeting's state did not expire in 10 s")
			}
			time.Sleep(100 * time.Millisecond)
		}
		if ttl, err := c.TTL(ctx, prefix+"rooms").Result(); err != nil || ttl != -1 {
			t.Errorf("the rooms' definitions have TTL %v (%v), want none (-1)", ttl, err)
		}
		if ttl, err := c.TTL(ctx, prefix+"link-secret").Result(); err != nil || ttl != -1 {
			t.Errorf("the link secret has TTL %v (%v), want none (-1)", ttl, err)
		}
	})
}
