package signaling_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// Ten people in the waiting room each toggle their camera 81 times as
// fast as the server takes it. The facilitator gets the storm coalesced:
// a few events per waiting person rather than one per toggle, in
// increasing sequence order, and each person's last record as it is
// (camera off). Without coalescing the facilitator got all 810.
func TestWaitingRoomStormCoalesced(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	on := true
	_, _, facIn := joinFacilitator(t, ctx, srv, &protocol.Settings{WaitingRoom: &on})

	const people, toggles = 10, 81
	conns := make([]*client.Conn, people)
	ids := map[string]bool{}
	for i := range conns {
		conns[i] = dial(t, ctx, srv)
		w, err := conns[i].Join(ctx, srv.join(fmt.Sprintf("waiting-%d", i)))
		if err != nil || w.Self.Status != string(room.StatusWaiting) {
			t.Fatalf("person %d: %v, status %q", i, err, w.Self.Status)
		}
		ids[w.Self.ID] = true
		readAll(ctx, conns[i])
	}
	waitFor(t, 5*time.Second, "the joins at the facilitator", func() bool { return len(lastRecords(facIn, ids)) == people })
	before := facIn.count(isType(protocol.TypeEvent))

	start := time.Now()
	var wg sync.WaitGroup
	for _, c := range conns {
		wg.Go(func() {
			for i := range toggles {
				camera := i%2 == 1
				if err := c.Send(ctx, protocol.SetSelf{Type: protocol.TypeSetSelf, Camera: &camera}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, 5*time.Second, "every camera off at the facilitator", func() bool {
		recs := lastRecords(facIn, ids)
		for id := range ids {
			if p, ok := recs[id]; !ok || p.Camera {
				return false
			}
		}
		return true
	})
	took := time.Since(start)
	time.Sleep(500 * time.Millisecond) // anything still held arrives
	got := facIn.count(isType(protocol.TypeEvent)) - before
	t.Logf("%d waiting people, %d camera toggles each: the facilitator received %d events in %v (%d toggles sent)",
		people, toggles, got, took.Round(time.Millisecond), people*toggles)
	// At most one event per person per 250 ms, and one sent at once.
	if limit := people * (int(took/(250*time.Millisecond)) + 3); got > limit {
		t.Errorf("the facilitator received %d events about the waiting room, want at most %d", got, limit)
	}
	var last uint64
	for _, ev := range events(facIn) {
		if ev.Seq <= last {
			t.Fatalf("event seq %d after %d", ev.Seq, last)
		}
		last = ev.Seq
	}
}

// events returns the events the inbox holds, in order of arrival.
func events(in *inbox) []protocol.Event {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []protocol.Event
	for _, m := range in.msgs {
		var ev protocol.Event
		if m.Type == protocol.TypeEvent && m.Decode(&ev) == nil {
			out = append(out, ev)
		}
	}
	return out
}

// lastRecords returns the last record the inbox's events gave of each of
// the participants ids.
func lastRecords(in *inbox, ids map[string]bool) map[string]protocol.Participant {
	recs := map[string]protocol.Participant{}
	for _, ev := range events(in) {
		if ev.Participant != nil && ids[ev.Participant.ID] {
			recs[ev.Participant.ID] = *ev.Participant
		}
	}
	return recs
}
