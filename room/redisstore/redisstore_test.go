package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap/zaptest"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/redisstore"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/room/roomtest"
)

// waitLong bounds the waits for recovery after an outage: reconnecting
// backs off up to a few seconds.
const waitLong = 20 * time.Second

// newClient returns a client with short timeouts, so that an outage shows
// as errors within seconds.
func newClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{
		Addr:         addr,
		DialTimeout:  time.Second,
		ReadTimeout:  time.Second,
		WriteTimeout: time.Second,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newStore(t testing.TB, addr string, p redisstore.Params) *redisstore.Store {
	t.Helper()
	if p.Client == nil && p.URL == "" {
		p.Client = newClient(t, addr)
	}
	if p.Log == nil {
		p.Log = zaptest.NewLogger(t)
	}
	if p.Prefix == "" {
		p.Prefix = uniquePrefix()
	}
	s, err := redisstore.New(context.Background(), p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// uniquePrefix keeps tests sharing one server apart.
func uniquePrefix() string { return "hearthtest:" + uuid.NewString()[:8] + ":" }

func TestContract(t *testing.T) {
	srv := redistest.Start(t)
	roomtest.Run(t, func(t *testing.T) func() room.Store {
		prefix := uniquePrefix()
		// Each store has its own client, as each Hearth instance has.
		return func() room.Store { return newStore(t, srv.Addr(), redisstore.Params{Prefix: prefix}) }
	})
}

// keys returns every key under prefix.
func keys(t *testing.T, c *redis.Client, prefix string) []string {
	t.Helper()
	ks, err := c.Keys(context.Background(), prefix+"*").Result()
	if err != nil {
		t.Fatalf("KEYS: %v", err)
	}
	return ks
}

func TestKeysHaveTTL(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	const ttl = time.Hour
	prefix := uniquePrefix()
	s := newStore(t, srv.Addr(), redisstore.Params{Prefix: prefix, TTL: ttl})

	var ids []room.RoomID
	for range 3 {
		st := roomtest.NewRoom(t, s, "Tuesday group")
		ids = append(ids, st.ID)
		cancel := s.Subscribe(st.ID, func(room.Event) {})
		defer cancel()
		for _, name := range []string{"Alice", "Bob"} {
			if _, err := s.Update(ctx, st.ID, roomtest.JoinFn(name)); err != nil {
				t.Fatalf("Update: %v", err)
			}
		}
	}
	ks := keys(t, c, prefix)
	if len(ks) != len(ids) {
		t.Errorf("keys %v, want one per room", ks)
	}
	for _, k := range ks {
		d, err := c.PTTL(ctx, k).Result()
		if err != nil {
			t.Fatalf("PTTL %s: %v", k, err)
		}
		if d <= 0 || d > ttl {
			t.Errorf("key %s has TTL %v, want (0, %v]", k, d, ttl)
		}
	}

	// The layout is the documented one.
	key := prefix + "room:{" + ids[0].String() + "}:state"
	if n, _ := c.Exists(ctx, key).Result(); n != 1 {
		t.Fatalf("no key %s; keys: %v", key, ks)
	}
	// Every update renews the TTL.
	if err := c.PExpire(ctx, key, time.Minute).Err(); err != nil {
		t.Fatalf("PEXPIRE: %v", err)
	}
	if _, err := s.Update(ctx, ids[0], roomtest.JoinFn("Carol")); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if d := c.PTTL(ctx, key).Val(); d <= time.Minute || d > ttl {
		t.Errorf("TTL after an update = %v, want it renewed to about %v", d, ttl)
	}
	// And the default TTL is some hours.
	s2 := newStore(t, srv.Addr(), redisstore.Params{Prefix: prefix})
	st := roomtest.NewRoom(t, s2, "Wednesday group")
	if d := c.PTTL(ctx, prefix+"room:{"+st.ID.String()+"}:state").Val(); d <= time.Hour || d > redisstore.DefaultTTL {
		t.Errorf("default TTL = %v, want %v", d, redisstore.DefaultTTL)
	}
}

func TestDeleteLeavesNoKeys(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	prefix := uniquePrefix()
	s := newStore(t, srv.Addr(), redisstore.Params{Prefix: prefix})
	st := roomtest.NewRoom(t, s, "Tuesday group")
	other := roomtest.NewRoom(t, s, "Wednesday group")
	defer s.Subscribe(st.ID, func(room.Event) {})()
	for _, name := range []string{"Alice", "Bob"} {
		if _, err := s.Update(ctx, st.ID, roomtest.JoinFn(name)); err != nil {
			t.Fatalf("Update: %v", err)
		}
	}
	if err := s.Delete(ctx, st.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for _, k := range keys(t, c, prefix) {
		if strings.Contains(k, st.ID.String()) {
			t.Errorf("key %s left after Delete", k)
		}
	}
	if ks := keys(t, c, prefix); len(ks) != 1 || !strings.Contains(ks[0], other.ID.String()) {
		t.Errorf("keys after Delete: %v, want only the other room's", ks)
	}
}

// publish publishes raw events on the room's channel, as another instance
// would.
func publish(t *testing.T, c *redis.Client, prefix string, evs ...room.Event) {
	t.Helper()
	for _, ev := range evs {
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Publish(context.Background(), prefix+"room:{"+ev.Room.String()+"}:events", b).Err(); err != nil {
			t.Fatalf("PUBLISH: %v", err)
		}
	}
}

func TestGapAndDuplicate(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	prefix := uniquePrefix()
	s := newStore(t, srv.Addr(), redisstore.Params{Prefix: prefix})
	id := room.NewRoomID()
	rec := roomtest.NewRecorder()
	defer s.Subscribe(id, rec.Deliver)()
	ev := func(seq uint64) room.Event { return room.Event{Room: id, Seq: seq, Kind: room.EventUpdated} }

	// Garbage and another room's event on the channel are ignored.
	if err := c.Publish(context.Background(), prefix+"room:{"+id.String()+"}:events", "not json").Err(); err != nil {
		t.Fatal(err)
	}
	wrong := ev(1)
	wrong.Room = room.NewRoomID()
	if b, _ := json.Marshal(wrong); c.Publish(context.Background(), prefix+"room:{"+id.String()+"}:events", b).Err() != nil {
		t.Fatal("PUBLISH failed")
	}
	publish(t, c, prefix, ev(1), ev(2), ev(2), ev(1), ev(5), ev(6), ev(4), ev(7))
	got := rec.WaitSeq(t, 7)
	want := []room.Event{ev(1), ev(2), {Room: id, Seq: 5, Kind: room.EventResync}, ev(5), ev(6), ev(7)}
	if roomtest.Describe(got) != roomtest.Describe(want) {
		t.Errorf("delivered %s, want %s", roomtest.Describe(got), roomtest.Describe(want))
	}
}

// waitResync waits until rec got a resync after its first n events.
func waitResync(t *testing.T, rec *roomtest.Recorder, n int) {
	t.Helper()
	rec.Wait(t, waitLong, "a resync", func(evs []room.Event) bool {
		for _, ev := range evs[min(n, len(evs)):] {
			if ev.Kind == room.EventResync {
				return true
			}
		}
		return false
	})
}

// updateEventually retries an update until Redis takes it.
func updateEventually(t *testing.T, s room.Store, id room.RoomID, fn func(*room.State) ([]room.Event, error)) []room.Event {
	t.Helper()
	deadline := time.Now().Add(waitLong)
	for {
		evs, err := s.Update(context.Background(), id, fn)
		if err == nil {
			return evs
		}
		if time.Now().After(deadline) {
			t.Fatalf("Update still fails after %v: %v", waitLong, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkAfterResync checks that evs has a resync after its first n events,
// and after it the event numbered seq.
func checkAfterResync(t *testing.T, who string, evs []room.Event, n int, seq uint64) {
	t.Helper()
	resync := -1
	for i, ev := range evs[min(n, len(evs)):] {
		if ev.Kind == room.EventResync {
			resync = n + i
			break
		}
	}
	if resync < 0 {
		t.Errorf("%s: no resync after event %d: %s", who, n, roomtest.Describe(evs))
		return
	}
	for _, ev := range evs[resync:] {
		if ev.Kind != room.EventResync && ev.Seq == seq {
			return
		}
	}
	t.Errorf("%s: no event %d after the resync: %s", who, seq, roomtest.Describe(evs))
}

func TestRedisOutage(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := newStore(t, srv.Addr(), redisstore.Params{HealthCheck: 500 * time.Millisecond})
	st := roomtest.NewRoom(t, s, "Tuesday group")
	before := roomtest.NewRecorder()
	defer s.Subscribe(st.ID, before.Deliver)()
	if _, err := s.Update(ctx, st.ID, roomtest.JoinFn("Alice")); err != nil {
		t.Fatalf("Update: %v", err)
	}
	before.WaitSeq(t, 1)

	srv.Stop()
	calls := map[string]func() error{
		"Update": func() error { _, err := s.Update(ctx, st.ID, roomtest.JoinFn("Bob")); return err },
		"Get":    func() error { _, err := s.Get(ctx, st.ID); return err },
		"Create": func() error { return s.Create(ctx, room.NewState(room.NewRoomID(), "x", "")) },
		"Delete": func() error { return s.Delete(ctx, room.NewRoomID()) },
	}
	for name, call := range calls {
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- call() }()
		select {
		case err := <-done:
			t.Logf("%s with Redis down: %v after %v", name, err, time.Since(start).Round(time.Millisecond))
			if err == nil || errors.Is(err, room.ErrNotFound) || errors.Is(err, room.ErrExists) {
				t.Errorf("%s with Redis down: err = %v, want Redis's error", name, err)
			}
		case <-time.After(waitLong):
			t.Fatalf("%s with Redis down did not return in %v", name, waitLong)
		}
	}
	// Subscribing while Redis is down does not hang either.
	during := roomtest.NewRecorder()
	subscribed := make(chan func(), 1)
	go func() { subscribed <- s.Subscribe(st.ID, during.Deliver) }()
	select {
	case cancel := <-subscribed:
		defer cancel()
	case <-time.After(waitLong):
		t.Fatalf("Subscribe with Redis down did not return in %v", waitLong)
	}

	srv.Start()
	// Both subscribers are told to reload, then get later events.
	waitResync(t, before, 1)
	waitResync(t, during, 0)
	got, err := s.Get(ctx, st.ID)
	if err != nil {
		t.Fatalf("Get after Redis came back: %v", err)
	}
	if got.Seq != 1 {
		t.Errorf("state after the outage has seq %d, want 1 (no failed update applied)", got.Seq)
	}
	updateEventually(t, s, st.ID, roomtest.JoinFn("Carol"))
	checkAfterResync(t, "subscriber from before", before.WaitSeq(t, 2), 1, 2)
	checkAfterResync(t, "subscriber from during", during.WaitSeq(t, 2), 0, 2)
	// A subscriber from after works as before.
	after := roomtest.NewRecorder()
	defer s.Subscribe(st.ID, after.Deliver)()
	updateEventually(t, s, st.ID, roomtest.JoinFn("Dan"))
	if evs := after.WaitSeq(t, 3); roomtest.Describe(evs) != "[3:joined]" {
		t.Errorf("subscriber from after the outage got %s", roomtest.Describe(evs))
	}
}

func TestEventConnectionKilled(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	s := newStore(t, srv.Addr(), redisstore.Params{})
	st := roomtest.NewRoom(t, s, "Tuesday group")
	rec := roomtest.NewRecorder()
	defer s.Subscribe(st.ID, rec.Deliver)()
	if _, err := s.Update(ctx, st.ID, roomtest.JoinFn("Alice")); err != nil {
		t.Fatalf("Update: %v", err)
	}
	rec.WaitSeq(t, 1)
	if err := c.ClientKillByFilter(ctx, "TYPE", "pubsub").Err(); err != nil {
		t.Fatalf("CLIENT KILL: %v", err)
	}
	waitResync(t, rec, 1)
	updateEventually(t, s, st.ID, roomtest.JoinFn("Bob"))
	checkAfterResync(t, "subscriber", rec.WaitSeq(t, 2), 1, 2)
}

func TestSilentEventConnection(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	s := newStore(t, srv.Addr(), redisstore.Params{HealthCheck: 200 * time.Millisecond})
	st := roomtest.NewRoom(t, s, "Tuesday group")
	rec := roomtest.NewRecorder()
	defer s.Subscribe(st.ID, rec.Deliver)()
	// Redis answers nothing for two seconds: the store gives up on its
	// event connection (it cannot know what it missed) and makes another.
	if err := c.Do(ctx, "CLIENT", "PAUSE", "2000", "ALL").Err(); err != nil {
		t.Fatalf("CLIENT PAUSE: %v", err)
	}
	waitResync(t, rec, 0)
	updateEventually(t, s, st.ID, roomtest.JoinFn("Alice"))
	checkAfterResync(t, "subscriber", rec.WaitSeq(t, 1), 0, 1)
}

func TestNew(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	s := newStore(t, srv.Addr(), redisstore.Params{URL: "redis://" + srv.Addr() + "/0"})
	st := roomtest.NewRoom(t, s, "Tuesday group")
	if _, err := s.Get(ctx, st.ID); err != nil {
		t.Errorf("Get: %v", err)
	}
	s.Close()
	s.Close()
	if _, err := s.Get(ctx, st.ID); !errors.Is(err, redisstore.ErrClosed) {
		t.Errorf("Get after Close: err = %v, want ErrClosed", err)
	}
	if cancel := s.Subscribe(st.ID, func(room.Event) {}); cancel == nil {
		t.Error("Subscribe after Close returned a nil cancel")
	} else {
		cancel()
	}

	for name, p := range map[string]redisstore.Params{
		"nothing":     {},
		"both":        {URL: "redis://" + srv.Addr(), Client: newClient(t, srv.Addr())},
		"bad URL":     {URL: "http://user:secret@example/"},
		"unreachable": {URL: "redis://127.0.0.1:1"},
	} {
		s, err := redisstore.New(ctx, p)
		if err == nil {
			s.Close()
			t.Errorf("New with %s: no error", name)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("New with %s: error repeats the password: %v", name, err)
		}
	}
}

func BenchmarkUpdate(b *testing.B) {
	srv := redistest.Start(b)
	roomtest.BenchUpdate(b, newStore(b, srv.Addr(), redisstore.Params{}))
}

func BenchmarkOps(b *testing.B) {
	srv := redistest.Start(b)
	roomtest.BenchOps(b, newStore(b, srv.Addr(), redisstore.Params{}))
}
