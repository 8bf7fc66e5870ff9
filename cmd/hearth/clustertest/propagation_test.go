package clustertest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// BenchmarkHandPropagation measures how long a hand raised through one
// instance takes to reach a client of another instance (WebSocket in,
// Redis transaction and pub/sub, WebSocket out), over b.N raises and
// lowers, paced under the message rate limit; it reports p50 and p99 in
// milliseconds. Run it with
//
//	go test -run '^$' -bench HandPropagation -benchtime 200x ./cmd/hearth/clustertest/
func BenchmarkHandPropagation(b *testing.B) {
	ins := proctest.Cluster(b, 2)
	in1, in2 := ins[0], ins[1]
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	created, key := proctest.CreateRoom(b, in1, "Bench")
	join := func(in *proctest.Instance, j protocol.Join) (*client.Conn, string) {
		c, err := client.DialConn(ctx, in.WS())
		if err != nil {
			b.Fatal(err)
		}
		w, err := c.Join(ctx, j)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.CloseNow() })
		return c, w.Self.ID
	}
	raiser, id := join(in1, protocol.Join{Room: created.ID, Name: "Raiser", FacilitatorKey: key})
	watcher, _ := join(in2, protocol.Join{Room: created.ID, Name: "Watcher", FacilitatorKey: key})
	go func() { // the raiser's own events are not measured
		for {
			if _, err := raiser.Recv(ctx); err != nil {
				return
			}
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	raised := false
	b.ResetTimer()
	for range b.N {
		typ := protocol.TypeRaiseHand
		if raised {
			typ = protocol.TypeLowerHand
		}
		start := time.Now()
		if err := raiser.Send(ctx, protocol.RaiseHand{Type: typ}); err != nil {
			b.Fatal(err)
		}
		for {
			m, err := watcher.Recv(ctx)
			if err != nil {
				b.Fatal(err)
			}
			var ev protocol.Event
			if m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Kind == "hands" &&
				slices.Contains(ev.Hands, id) != raised {
				break
			}
		}
		lat = append(lat, time.Since(start))
		raised = !raised
		// Stay under the per-session message rate limit (50/s).
		b.StopTimer()
		time.Sleep(25 * time.Millisecond)
		b.StartTimer()
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}
