package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/redisstore"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/room/roomtest"
)

// Issue 9's figures for a churning meeting on Redis.
const (
	churnFor      = 10 * time.Second
	churners      = 12
	maxCommandP99 = 100 * time.Millisecond
	maxStateAfter = 10 << 10
	churnStay     = 80 * time.Millisecond
)

// instances returns n Services over n Stores sharing one Redis (n
// instances), on one fake clock.
func instances(t *testing.T, addr, prefix string, clk *roomtest.Clock, n int) []*room.Service {
	t.Helper()
	var out []*room.Service
	for range n {
		s := newStore(t, addr, redisstore.Params{Prefix: prefix})
		out = append(out, room.NewServiceWith(room.ServiceParams{Store: s, Now: clk.Now, AfterFunc: clk.AfterFunc}))
	}
	return out
}

// seqWaiter tells when the room's events up to a sequence number have
// been delivered to a subscriber.
type seqWaiter struct{ last atomic.Uint64 }

func (w *seqWaiter) deliver(ev room.Event) {
	if ev.Seq > w.last.Load() {
		w.last.Store(ev.Seq)
	}
}

func (w *seqWaiter) wait(seq uint64) error {
	for deadline := time.Now().Add(5 * time.Second); w.last.Load() < seq; time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			return fmt.Errorf("event %d not delivered", seq)
		}
	}
	return nil
}

// churn joins and hangs up as one client until stop, counting its joins:
// connected for churnStay, then away as long, as a scripted client that
// opens a connection, joins, and hangs up would be at best (~450 joins in
// 10 s by 12 clients in issue 9's measure through WebSockets).
func churn(ctx context.Context, svc *room.Service, id room.RoomID, stop <-chan struct{}, joins *atomic.Int64) error {
	for {
		select {
		case <-stop:
			return nil
		default:
		}
		j, err := svc.Join(ctx, id, room.JoinRequest{Name: "Churner" + room.NewSecret()[:6]})
		if err != nil {
			return err
		}
		joins.Add(1)
		time.Sleep(churnStay)
		if err := svc.Leave(ctx, id, room.Actor{ID: j.Self.ID, Conn: j.Self.Conn}, false); err != nil {
			return err
		}
		time.Sleep(churnStay)
	}
}

// facilitate sends commands (hand up, hand down, a chat message) until
// stop and returns each one's round trip: from the command until its
// event is delivered back.
func facilitate(ctx context.Context, svc *room.Service, id room.RoomID, a room.Actor, w *seqWaiter, stop <-chan struct{}) ([]time.Duration, error) {
	cmds := []room.Command{
		func(st *room.State, _ int64) ([]room.Event, error) { return st.RaiseHand(a) },
		func(st *room.State, _ int64) ([]room.Event, error) { return st.LowerHand(a) },
		func(st *room.State, now int64) ([]room.Event, error) {
			return st.SendChat(a, room.ChatToRoom, strings.Repeat("a long share ", 35), now)
		},
	}
	var rtts []time.Duration
	for i := 0; ; i++ {
		select {
		case <-stop:
			return rtts, nil
		case <-time.After(5 * time.Millisecond):
		}
		start := time.Now()
		evs, err := svc.Apply(ctx, id, cmds[i%len(cmds)])
		if err != nil {
			return rtts, err
		}
		if len(evs) > 0 {
			if err := w.wait(evs[len(evs)-1].Seq); err != nil {
				return rtts, err
			}
		}
		rtts = append(rtts, time.Since(start))
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// A meeting on Redis that churns (12 clients joining its waiting room and
// hanging up for 10 s, on three instances) while a facilitator sends commands: the
// command round trip stays short during the churn and the stored state
// small after it (issue 9: ~450 entries, 150 KiB, p99 0.9-2.1 s before).
func TestChurnStaysFastAndSmall(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c, prefix := newClient(t, srv.Addr()), uniquePrefix()
	clk := roomtest.NewClock(time.Now())
	svcs := instances(t, srv.Addr(), prefix, clk, 3)
	// The waiting room on (the default), as for a public link.
	created, err := svcs[0].Create(ctx, "Busy group", room.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	fran, err := svcs[0].Join(ctx, created.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: created.FacilitatorKey})
	if err != nil {
		t.Fatal(err)
	}
	w := &seqWaiter{}
	defer svcs[0].Subscribe(created.ID, w.deliver)()
	key := prefix + "room:{" + created.ID.String() + "}:state"

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var joins atomic.Int64
	errs := make(chan error, churners+1)
	for i := range churners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- churn(ctx, svcs[i%len(svcs)], created.ID, stop, &joins)
		}()
	}
	var rtts []time.Duration
	wg.Add(1)
	go func() {
		defer wg.Done()
		var err error
		rtts, err = facilitate(ctx, svcs[0], created.ID, room.Actor{ID: fran.Self.ID, Conn: fran.Self.Conn}, w, stop)
		errs <- err
	}()
	largest := int64(0)
	for end := time.Now().Add(churnFor); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		clk.Advance(50 * time.Millisecond) // time passes, short of anyone's grace
		largest = max(largest, c.StrLen(ctx, key).Val())
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(room.ResumeGrace) // the timed tidies run
	after := c.StrLen(ctx, key).Val()
	chat := c.LLen(ctx, prefix+"room:{"+created.ID.String()+"}:chat").Val()
	p50, p99 := percentile(rtts, 0.5), percentile(rtts, 0.99)
	t.Logf("%d joins and hang-ups by %d clients in %v; facilitator: %d commands, round trip p50 %v p90 %v p99 %v max %v",
		joins.Load(), churners, churnFor, len(rtts), p50, percentile(rtts, 0.9), p99, percentile(rtts, 1))
	t.Logf("stored state: largest %d bytes during the churn, %d bytes after it; chat list %d messages", largest, after, chat)
	switch {
	case os.Getenv("HEARTH_TIMED") == "":
		t.Logf("p99 bound %v not checked here: make test checks it in its quiet timed run (HEARTH_TIMED=1)", maxCommandP99)
	case p99 >= maxCommandP99:
		t.Errorf("command round trip p99 %v during the churn, want < %v", p99, maxCommandP99)
	}
	if v := c.Get(ctx, key).Val(); strings.Contains(v, "a long share") {
		t.Error("the chat is in the state value that every command rewrites")
	}
	if after >= maxStateAfter {
		t.Errorf("stored state %d bytes after the churn, want < %d", after, maxStateAfter)
	}
}

// scanValues returns every key in Redis and every value stored (strings,
// lists, sets, hashes), as text.
func scanValues(t *testing.T, c *redis.Client) (keys []string, values []string) {
	t.Helper()
	ctx := context.Background()
	iter := c.Scan(ctx, 0, "*", 1000).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		keys = append(keys, k)
		var vs []string
		var err error
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			var v string
			v, err = c.Get(ctx, k).Result()
			vs = []string{v}
		case "list":
			vs, err = c.LRange(ctx, k, 0, -1).Result()
		case "set":
			vs, err = c.SMembers(ctx, k).Result()
		case "hash":
			var m map[string]string
			m, err = c.HGetAll(ctx, k).Result()
			for f, v := range m {
				vs = append(vs, f, v)
			}
		default:
			t.Fatalf("key %s of type %s: not scanned", k, typ)
		}
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("read %s: %v", k, err)
		}
		values = append(values, vs...)
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("SCAN: %v", err)
	}
	return keys, values
}

// traces returns which of secrets appear in Redis's keys or values.
func traces(t *testing.T, c *redis.Client, secrets []string) (found []string, keys, bytes int) {
	ks, vs := scanValues(t, c)
	all := strings.Join(append(ks, vs...), "\n")
	for _, s := range secrets {
		if strings.Contains(all, s) {
			found = append(found, s)
		}
	}
	return found, len(ks), len(all)
}

// A meeting on Redis whose participants all leave, with no End meeting:
// once the grace after the last leave has passed, and with no join,
// nothing of it is left in Redis, no display name, no chat text and no
// report; the room stays.
func TestEmptyMeetingLeavesNoTraceInRedis(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	c := newClient(t, srv.Addr())
	clk := roomtest.NewClock(time.Now())
	svcs := instances(t, srv.Addr(), uniquePrefix(), clk, 2)
	created, err := svcs[0].Create(ctx, "Thursday group", room.DemoSettings())
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"Franfacilitatorname", "Adamembername", "Beaothername", "TrollyMcTroll"}
	var secrets []string
	var joined []room.Joined
	for i, name := range names {
		req := room.JoinRequest{Name: name}
		if i == 0 {
			req.FacilitatorKey = created.FacilitatorKey
		}
		j, err := svcs[i%2].Join(ctx, created.ID, req)
		if err != nil {
			t.Fatal(err)
		}
		joined = append(joined, j)
		text := "what " + name + " shared tonight"
		if _, err := svcs[i%2].Apply(ctx, created.ID, func(st *room.State, now int64) ([]room.Event, error) {
			return st.SendChat(room.Actor{ID: j.Self.ID, Conn: j.Self.Conn}, room.ChatToRoom, text, now)
		}); err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, name, text)
	}
	// Ada reports Trolly to the facilitators: the report goes too.
	reason := "Ada reports what Trolly said"
	if _, err := svcs[1].Apply(ctx, created.ID, func(st *room.State, now int64) ([]room.Event, error) {
		return st.MakeReport(room.Actor{ID: joined[1].Self.ID, Conn: joined[1].Self.Conn},
			room.ReportRequest{About: joined[3].Self.ID, Reason: reason}, now)
	}); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, reason)
	fran := room.Actor{ID: joined[0].Self.ID, Conn: joined[0].Self.Conn}
	if _, err := svcs[0].Apply(ctx, created.ID, func(st *room.State, now int64) ([]room.Event, error) {
		return st.Moderate(fran, room.ModCommand{Action: room.ActRemove, Target: joined[3].Self.ID}, now)
	}); err != nil {
		t.Fatal(err)
	}
	for i, j := range joined[:3] {
		clk.Advance(time.Second)
		if err := svcs[(i+1)%2].Leave(ctx, created.ID, room.Actor{ID: j.Self.ID, Conn: j.Self.Conn}, i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	found, _, _ := traces(t, c, secrets)
	if len(found) != len(secrets) {
		t.Fatalf("before the grace, the scan finds %d of %d names and texts: the scan misses them", len(found), len(secrets))
	}
	clk.Advance(room.ResumeGrace - time.Millisecond)
	if found, _, _ := traces(t, c, secrets); len(found) == 0 {
		t.Fatal("the meeting ended before the grace")
	}
	clk.Advance(time.Millisecond)
	found, keys, bytes := traces(t, c, secrets)
	t.Logf("once the grace passed, with no join: %d keys, %d bytes scanned, %d of %d names and chat texts found %q",
		keys, bytes, len(found), len(secrets), found)
	if len(found) > 0 {
		t.Errorf("still in Redis after the meeting emptied: %q", found)
	}
	st, err := svcs[1].Snapshot(ctx, created.ID)
	if err != nil || st.Name != "Thursday group" || len(st.Participants) != 0 {
		t.Errorf("the room after its meeting ended: %+v, %v", st, err)
	}
}
