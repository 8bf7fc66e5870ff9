package media

import (
	"testing"
	"time"

	"github.com/pion/rtcp"
)

// feedbackFor reports packets first..first+n-1 as arriving at the given
// times since the unix epoch (nil: lost), as a receiver whose clock
// counts from there would.
func feedbackFor(first uint16, arrivals []*time.Duration) *rtcp.TransportLayerCC {
	ref := time.Duration(0)
	for _, a := range arrivals {
		if a != nil {
			ref = *a / (64 * time.Millisecond)
			break
		}
	}
	fb := &rtcp.TransportLayerCC{BaseSequenceNumber: first, PacketStatusCount: uint16(len(arrivals)), ReferenceTime: uint32(ref)}
	v := &rtcp.StatusVectorChunk{SymbolSize: rtcp.TypeTCCSymbolSizeTwoBit}
	last := ref * 64 * time.Millisecond
	for _, a := range arrivals {
		if a == nil {
			v.SymbolList = append(v.SymbolList, rtcp.TypeTCCPacketNotReceived)
			continue
		}
		v.SymbolList = append(v.SymbolList, rtcp.TypeTCCPacketReceivedLargeDelta)
		fb.RecvDeltas = append(fb.RecvDeltas, &rtcp.RecvDelta{Type: rtcp.TypeTCCPacketReceivedLargeDelta, Delta: int64((*a - last) / time.Microsecond)})
		last = *a
	}
	fb.PacketChunks = []rtcp.PacketStatusChunk{v}
	return fb
}

// A link that delivers what it is sent keeps the estimate; a standing
// queue (every packet later than the last) cuts it to what was
// delivered; a probe's raise lifts it; loss cuts it too. Jitter of single
// packets does not.
func TestEstimator(t *testing.T) {
	clock := time.Unix(1000, 0)
	e := newEstimator(func() time.Time { return clock })
	seq := uint16(0)
	// send sends n packets of 1000 bytes, 10 ms apart, and reports them
	// arriving after delay(i) of one-way delay beyond the first packet's.
	send := func(n int, delay func(i int) time.Duration, lost func(i int) bool) {
		first := seq
		var arr []*time.Duration
		for i := range n {
			e.noteSent(seq, 1000)
			at := time.Duration(clock.UnixNano()) + delay(i)
			if lost(i) {
				arr = append(arr, nil)
			} else {
				arr = append(arr, &at)
			}
			seq++
			clock = clock.Add(10 * time.Millisecond)
		}
		e.feedback(feedbackFor(first, arr))
	}
	none := func(int) time.Duration { return 0 }
	kept := func(int) bool { return false }
	for range 20 {
		send(10, none, kept)
	}
	if got, congested, _ := e.state(time.Second); got != initialBitrate || congested {
		t.Fatalf("calm link: target %d congested %v, want %d and calm", got, congested, initialBitrate)
	}
	for range 10 { // one packet in ten held up 200 ms: jitter
		send(10, func(i int) time.Duration { return time.Duration(i/9) * 200 * time.Millisecond }, kept)
	}
	if got, congested, _ := e.state(time.Second); got != initialBitrate || congested {
		t.Errorf("jitter: target %d congested %v, want %d and calm", got, congested, initialBitrate)
	}
	for k := range 10 { // a queue growing by 50 ms a feedback
		send(10, func(int) time.Duration { return time.Duration(k+1) * 50 * time.Millisecond }, kept)
	}
	got, congested, _ := e.state(time.Second)
	if !congested || got >= 1_000_000 || got < minBitrate {
		t.Errorf("standing queue: target %d congested %v, want below 1000000 and congested", got, congested)
	}
	// 800 kbit/s was sent (1000 bytes every 10 ms); the cut is to 85 % of
	// what arrived, not to nothing.
	if got < 400_000 {
		t.Errorf("standing queue: target %d, want about 85 %% of the 800 kbit/s delivered", got)
	}
	e.raise(2_000_000) // a probe said so
	if got := e.GetTargetBitrate(); got != 2_000_000 {
		t.Fatalf("after a raise: %d, want 2000000", got)
	}
	before := e.GetTargetBitrate()
	clock = clock.Add(11 * time.Second) // the queue drained; old delays forgotten
	for range 60 {
		send(10, func(int) time.Duration { return 0 }, func(i int) bool { return i%10 == 0 }) // 10 % lost
	}
	if got, congested, _ := e.state(time.Second); got != before || congested {
		t.Errorf("10 %% random loss, no queue: target %d (before %d), congested %v; want unchanged (NACK and RTX recover it)", got, before, congested)
	}
	for range 60 {
		send(10, func(int) time.Duration { return 0 }, func(i int) bool { return i%3 == 0 }) // a third lost
	}
	if got, congested, loss := e.state(time.Second); got >= before || !congested || loss < 0.3 {
		t.Errorf("33 %% loss: target %d (before %d), congested %v, loss %.2f; want lower, congested, ~0.33", got, before, congested, loss)
	}
}
