package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/redisstore"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
)

// Instances starting at the same moment on an empty Redis make one demo
// room between them, and every one prints its links.
func TestDemoRoomOnceForInstancesStartingTogether(t *testing.T) {
	srv := redistest.Start(t)
	const instances = 4
	outs := make([]bytes.Buffer, instances)
	services := make([]*room.Service, instances)
	for i := range services {
		c := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		services[i] = room.NewServiceWith(room.ServiceParams{Store: memory.New(),
			Directory: redisstore.NewDirectory(c, "demo-test:")})
	}
	var wg sync.WaitGroup
	errs := make([]error, instances)
	start := make(chan struct{})
	for i := range services {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = printDemoLinks(context.Background(), services[i], "http://127.0.0.1:8080", &outs[i])
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("instance %d: %v", i, err)
		}
	}
	all, err := services[0].ListRooms(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 {
		t.Fatalf("%d rooms after %d instances started together, want one demo room", len(all), instances)
	}
	for i := range outs {
		if !strings.Contains(outs[i].String(), "member link: ") || outs[i].String() != outs[0].String() {
			t.Errorf("instance %d printed %q, instance 0 %q", i, outs[i].String(), outs[0].String())
		}
	}
	// A later start prints the same links, and makes no room.
	var later bytes.Buffer
	if err := printDemoLinks(context.Background(), services[1], "http://127.0.0.1:8080", &later); err != nil || later.String() != outs[0].String() {
		t.Errorf("a later start printed %q (%v), want %q", later.String(), err, outs[0].String())
	}
}
