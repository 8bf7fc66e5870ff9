package redisstore_test

import (
	"context"
	"testing"

	"github.com/hearth-meet/hearth/room/redisstore"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
)

// Ready counts the other instances that can take participants: alive and
// not draining. An instance that drains, or leaves, is no longer counted;
// an instance never counts itself.
func TestRegistryReady(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	prefix := uniquePrefix()
	reg := func() *redisstore.Registry {
		r, err := redisstore.NewRegistry(ctx, redisstore.RegistryParams{Client: newClient(t, srv.Addr()),
			Prefix: prefix, URL: "ws://127.0.0.1:1/ws"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ready := func(r *redisstore.Registry, want int, when string) {
		t.Helper()
		if n, err := r.Ready(ctx); err != nil || n != want {
			t.Fatalf("%s: Ready = %d, %v; want %d", when, n, err, want)
		}
	}
	a := reg()
	defer a.Close()
	ready(a, 0, "alone")
	b, c := reg(), reg()
	defer b.Close()
	ready(a, 2, "with two others")
	if err := b.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	ready(a, 1, "one of them draining")
	ready(b, 2, "for the draining one")
	c.Close()
	ready(a, 0, "the other one gone")
}
