package media

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
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

// tccSender sends packets through an estimator and says what a receiver
// would report of them.
type tccSender struct {
	e     *estimator
	clock *time.Time
	seq   uint16
}

// send sends n packets of 1000 bytes, 10 ms apart, and returns the
// feedback that reports them arriving after delay(i) of one-way delay
// beyond the first packet's, or lost when lost(i).
func (s *tccSender) send(n int, delay func(i int) time.Duration, lost func(i int) bool) *rtcp.TransportLayerCC {
	first := s.seq
	var arr []*time.Duration
	for i := range n {
		s.e.noteSent(s.seq, 1000, 0, 0)
		at := time.Duration(s.clock.UnixNano()) + delay(i)
		if lost(i) {
			arr = append(arr, nil)
		} else {
			arr = append(arr, &at)
		}
		s.seq++
		*s.clock = s.clock.Add(10 * time.Millisecond)
	}
	return feedbackFor(first, arr)
}

// A link that delivers what it is sent keeps the estimate; a standing
// queue (every packet later than the last) cuts it to what was
// delivered; a probe's raise lifts it; loss cuts it too. Jitter of single
// packets does not.
func TestEstimator(t *testing.T) {
	clock := time.Unix(1000, 0)
	e := newEstimator(func() time.Time { return clock })
	snd := &tccSender{e: e, clock: &clock}
	send := func(n int, delay func(i int) time.Duration, lost func(i int) bool) {
		e.feedback(snd.send(n, delay, lost))
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

// linkSim drives an estimator with a simulated sender, link and receiver,
// one millisecond at a time: the sender sends 1000-byte packets at the
// lesser of want and the estimator's target (as the allocator would);
// the link delivers them (or drops them); the receiver stamps each
// packet's arrival (stamp, which may hold it back as a starved receiver
// does) and reports every fbEvery, or at its first wake after a stall.
type linkSim struct {
	e     *estimator
	clock time.Time
	want  int // bits per second the sender would send
	// link returns when packet i (sent at, size bytes) arrives, or false
	// when it is lost.
	link func(i int, at time.Duration, size int) (time.Duration, bool)
	// stamp returns when the receiver notes an arrival at a, and whether
	// it is awake at a (a starved receiver neither stamps nor reports).
	stamp func(a time.Duration) time.Duration
	awake func(now time.Duration) bool

	seq      uint16
	credit   float64
	pending  []simPacket // sent, not yet reported
	lastFb   time.Duration
	sent     int
	lostSeen int
}

type simPacket struct {
	seq     uint16
	arrival time.Duration // stamped; 0 lost
	lost    bool
}

const fbEvery = 60 * time.Millisecond

// elapsed is the simulation's time since the unix epoch.
func (s *linkSim) elapsed() time.Duration { return time.Duration(s.clock.UnixNano()) }

// run simulates d.
func (s *linkSim) run(d time.Duration) {
	for end := s.elapsed() + d; s.elapsed() < end; s.clock = s.clock.Add(time.Millisecond) {
		now := s.elapsed()
		s.credit += float64(min(s.want, s.e.GetTargetBitrate())) / 8 / 1000
		for s.credit >= 1000 {
			s.credit -= 1000
			s.e.noteSent(s.seq, 1000, 0, 0)
			p := simPacket{seq: s.seq}
			if a, ok := s.link(s.sent, now, 1000); ok {
				p.arrival = s.stamp(a)
			} else {
				p.lost = true
			}
			s.pending = append(s.pending, p)
			s.seq++
			s.sent++
		}
		if now-s.lastFb < fbEvery || !s.awake(now) {
			continue
		}
		s.lastFb = now
		// Report, in order, every packet stamped by now (and the lost
		// ones among them).
		n := 0
		for n < len(s.pending) && (s.pending[n].lost || s.pending[n].arrival <= now) {
			n++
		}
		for n > 0 && s.pending[n-1].lost { // not known lost before a later one arrives
			n--
		}
		if n == 0 {
			continue
		}
		var arr []*time.Duration
		for _, p := range s.pending[:n] {
			if p.lost {
				arr = append(arr, nil)
				s.lostSeen++
				continue
			}
			a := p.arrival
			arr = append(arr, &a)
		}
		s.e.feedback(feedbackFor(s.pending[0].seq, arr))
		s.pending = append(s.pending[:0], s.pending[n:]...)
	}
}

// tbf returns a link like Linux's tbf qdisc: rate bits/s, a queue of
// latency at that rate (packets that would wait longer are dropped), and
// a one-way delay of 5 ms.
func tbf(rate int, latency time.Duration) func(int, time.Duration, int) (time.Duration, bool) {
	var free time.Duration // when the link has sent what it holds
	return func(_ int, at time.Duration, size int) (time.Duration, bool) {
		start := max(free, at)
		if start-at > latency {
			return 0, false
		}
		free = start + time.Duration(size*8)*time.Second/time.Duration(rate)
		return free + 5*time.Millisecond, true
	}
}

// freeLink delivers everything after 5 ms.
func freeLink(_ int, at time.Duration, _ int) (time.Duration, bool) {
	return at + 5*time.Millisecond, true
}

// A bottleneck is found and the estimate comes down to what it carries;
// a receiver or sender starved of CPU, which delivers everything but
// late and in bursts, is not taken for one.
func TestEstimatorTellsBottleneckFromStarvation(t *testing.T) {
	now := func(a time.Duration) time.Duration { return a }
	always := func(time.Duration) bool { return true }
	// stalls: the receiver sleeps for stall every period, then stamps
	// what waited in chunks, one per wake, wake apart.
	stalls := func(period, stall, wake time.Duration, chunks int) (func(time.Duration) time.Duration, func(time.Duration) bool) {
		asleep := func(a time.Duration) (bool, time.Duration) {
			in := a % period
			if in >= period-stall {
				return true, a - in + period // the stall's end
			}
			return false, 0
		}
		stamp := func(a time.Duration) time.Duration {
			if s, end := asleep(a); s {
				// The backlog is worked through in chunks.
				k := time.Duration(int(a-(end-stall)) * chunks / int(stall))
				return end + k*wake
			}
			return a
		}
		awake := func(n time.Duration) bool { s, _ := asleep(n); return !s }
		return stamp, awake
	}
	steady, steadyAwake := stalls(2*time.Second, 400*time.Millisecond, time.Millisecond, 1)
	chunked, chunkedAwake := stalls(2*time.Second, 900*time.Millisecond, fbEvery, 5)
	// behind: for 2 s of every 3 the receiver falls further behind (by up
	// to 400 ms) and stamps what waited every 150 ms, all at once.
	behind := func(a time.Duration) time.Duration {
		in := a % (3 * time.Second)
		if in >= 2*time.Second {
			return a
		}
		lagged := a + in/5
		return (lagged/(150*time.Millisecond) + 1) * 150 * time.Millisecond
	}
	rand := uint32(1)
	random := func(percent uint32) func(int, time.Duration, int) (time.Duration, bool) {
		return func(_ int, at time.Duration, _ int) (time.Duration, bool) {
			rand = rand*1664525 + 1013904223
			return at + 5*time.Millisecond, rand>>16%100 >= percent
		}
	}
	for _, c := range []struct {
		name      string
		want      int
		link      func(int, time.Duration, int) (time.Duration, bool)
		stamp     func(time.Duration) time.Duration
		awake     func(time.Duration) bool
		congested bool
		low, high int // the estimate after 20 s
		lossMax   float64
	}{
		{"free link", 1_500_000, freeLink, now, always, false, initialBitrate, initialBitrate, 0},
		{"tbf 300 kbit/s, sending 1.5 Mbit/s", 1_500_000, tbf(300_000, 400*time.Millisecond), now, always, true, 150_000, 300_000, 0.02},
		{"tbf 300 kbit/s, sending 400 kbit/s", 400_000, tbf(300_000, 400*time.Millisecond), now, always, true, 150_000, 300_000, 0.02},
		{"tbf 1 Mbit/s, sending 1.2 Mbit/s", 1_200_000, tbf(1_000_000, 400*time.Millisecond), now, always, true, 500_000, 1_000_000, 0.02},
		{"receiver asleep 400 ms every 2 s", 1_500_000, freeLink, steady, steadyAwake, false, initialBitrate, initialBitrate, 0},
		{"receiver asleep 900 ms every 2 s, catching up in 5 reports", 1_500_000, freeLink, chunked, chunkedAwake, false, initialBitrate, initialBitrate, 0},
		{"receiver falling 400 ms behind, stamping in bursts", 1_500_000, freeLink, behind, always, false, initialBitrate, initialBitrate, 0},
		{"10 % random loss", 1_500_000, random(10), now, always, false, initialBitrate, initialBitrate, 1},
		{"40 % random loss", 1_500_000, random(40), now, always, true, minBitrate, initialBitrate / 2, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := &linkSim{e: newEstimator(nil), clock: time.Unix(1000, 0), want: c.want, link: c.link, stamp: c.stamp, awake: c.awake}
			s.e.now = func() time.Time { return s.clock }
			s.run(10 * time.Second)
			sent, lost := s.sent, s.lostSeen
			s.run(10 * time.Second)
			got := s.e.GetTargetBitrate()
			congested := s.e.congestedAt != 0
			loss := float64(s.lostSeen-lost) / float64(max(s.sent-sent, 1))
			t.Logf("estimate %d, congestion seen %v, loss in the last 10 s %.3f", got, congested, loss)
			if congested != c.congested {
				t.Errorf("congestion seen: %v, want %v", congested, c.congested)
			}
			if got < c.low || got > c.high {
				t.Errorf("estimate after 20 s: %d, want %d to %d", got, c.low, c.high)
			}
			if loss > c.lossMax {
				t.Errorf("%.1f %% lost in the last 10 s, want at most %.1f %%", 100*loss, 100*c.lossMax)
			}
		})
	}
}

// A probe's packets are measured: through a bottleneck they arrive at
// its rate, less than they were sent at; on a free link at the rate
// sent.
func TestEstimatorMeasuresProbe(t *testing.T) {
	always := func(time.Duration) bool { return true }
	same := func(a time.Duration) time.Duration { return a }
	for _, c := range []struct {
		name    string
		link    func(int, time.Duration, int) (time.Duration, bool)
		carried bool
	}{
		{"free link", freeLink, true},
		{"tbf at 300 kbit/s", tbf(300_000, 400*time.Millisecond), false},
	} {
		s := &linkSim{e: newEstimator(nil), clock: time.Unix(1000, 0), want: 450_000, link: c.link, stamp: same, awake: always}
		s.e.now = func() time.Time { return s.clock }
		s.e.measure(600 * time.Millisecond)
		s.run(time.Second)
		sent, delivered := s.e.measured()
		t.Logf("%s: sent at %d, delivered at %d", c.name, sent, delivered)
		if sent < 400_000 || sent > 500_000 {
			t.Errorf("%s: measured sending at %d bit/s, want about 450000", c.name, sent)
		}
		if carried := delivered*100 >= sent*probeCarried; carried != c.carried {
			t.Errorf("%s: delivered at %d of %d sent: carried %v, want %v", c.name, delivered, sent, carried, c.carried)
		}
		if !c.carried && (delivered < 270_000 || delivered > 330_000) {
			t.Errorf("%s: delivered at %d bit/s, want about the link's 300000", c.name, delivered)
		}
	}
}

// A subscriber whose address changed loses everything sent to the old
// one; the feedback that comes back once ICE found the new path (or even
// a little before pion says so) reports it lost. That is no congestion:
// the estimate stays, so that video is not paused on the new path. Loss
// on the new path is judged again, from the packets sent on it.
func TestEstimatorForgetsALostPath(t *testing.T) {
	clock := time.Unix(1000, 0)
	e := newEstimator(func() time.Time { return clock })
	snd := &tccSender{e: e, clock: &clock}
	send := func(n int, lost func(i int) bool) *rtcp.TransportLayerCC {
		return snd.send(n, func(int) time.Duration { return 20 * time.Millisecond }, lost)
	}
	kept := func(int) bool { return false }
	for range 20 {
		e.feedback(send(10, kept))
	}
	// The address changes: 2.5 s of packets go nowhere; the server
	// restarts ICE (pathDown); the receiver's first feedback on the new
	// path reports them lost, then ICE says the new pair is selected.
	outage := send(250, func(i int) bool { return i < 240 })
	e.pathDown()
	e.feedback(outage)
	e.pathChanged()
	for range 20 {
		e.feedback(send(10, kept))
	}
	if got, congested, _ := e.state(time.Second); got != initialBitrate || congested {
		t.Fatalf("after a network change: target %d congested %v, want %d and calm", got, congested, initialBitrate)
	}
	// Without the restart's pathDown, the same report is congestion once
	// the loss goes on into the next half second (one window of loss is
	// not enough: lossWindows).
	outage = send(250, func(i int) bool { return i < 240 })
	e.feedback(outage)
	e.feedback(send(60, func(i int) bool { return i%2 == 0 }))
	if got, congested, _ := e.state(time.Second); got >= initialBitrate || !congested {
		t.Errorf("2.4 s lost without a path change: target %d congested %v, want a cut", got, congested)
	}
	// After pathChanged, loss on the new path counts again.
	e.raise(2_000_000) // a probe said so
	before := e.GetTargetBitrate()
	clock = clock.Add(time.Second)
	e.pathDown()
	e.pathChanged()
	for range 60 {
		e.feedback(send(10, func(i int) bool { return i%2 == 0 }))
	}
	if got, congested, _ := e.state(time.Second); got >= before || !congested {
		t.Errorf("half lost on the new path: target %d (before %d) congested %v, want a cut", got, before, congested)
	}
}

// The estimator numbers every packet of the connection (the transport-wide
// sequence number extension), and feedback that reports packets lost
// names, for sending them again, the video packets among them as they
// went out (SSRC and RTP sequence number): not audio, padding or
// retransmissions, which nobody resends.
func TestFeedbackNamesLostVideo(t *testing.T) {
	clock := time.Unix(1000, 0)
	e := newEstimator(func() time.Time { return clock })
	var named []lostPacket
	e.setOnLost(func(ssrc uint32, seq uint16) { named = append(named, lostPacket{ssrc: ssrc, seq: seq}) })
	ext := []interceptor.RTPHeaderExtension{{URI: transportCCURI, ID: 5}}
	sink := interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil })
	video := e.AddStream(&interceptor.StreamInfo{SSRC: 1111, MimeType: "video/VP8", RTPHeaderExtensions: ext}, sink)
	audio := e.AddStream(&interceptor.StreamInfo{SSRC: 2222, MimeType: "audio/opus", RTPHeaderExtensions: ext}, sink)
	twcc := uint16(0) // the connection's numbers, from 0
	send := func(w interceptor.RTPWriter, ssrc uint32, seq uint16, payload []byte) {
		h := &rtp.Header{Version: 2, SSRC: ssrc, SequenceNumber: seq}
		if len(payload) == 0 {
			h.Padding, h.PaddingSize = true, 200
		}
		if _, err := w.Write(h, payload, nil); err != nil {
			t.Fatal(err)
		}
		if ext := h.GetExtension(5); len(ext) != 2 || binary.BigEndian.Uint16(ext) != twcc {
			t.Fatalf("packet %d went out with transport-wide extension %v, want number %d", seq, ext, twcc)
		}
		twcc++
	}
	frame := make([]byte, 900)
	send(video, 1111, 7000, frame) // lost
	send(audio, 2222, 50, frame[:80])
	send(video, 1111, 7001, frame)
	send(video, 1111, 7002, nil)        // padding
	send(video, 3333, 9, frame)         // a retransmission, on the RTX SSRC
	send(video, 1111, 7003, frame[:10]) // lost
	arrived := 20 * time.Millisecond
	lostAt := func(lost ...int) []*time.Duration {
		out := make([]*time.Duration, 6)
		for i := range out {
			out[i] = &arrived
		}
		for _, i := range lost {
			out[i] = nil
		}
		return out
	}
	// All but the second video packet lost.
	e.feedback(feedbackFor(0, lostAt(0, 1, 3, 4, 5)))
	want := []lostPacket{{ssrc: 1111, seq: 7000}, {ssrc: 1111, seq: 7003}}
	if !slices.Equal(named, want) {
		t.Fatalf("feedback named %v as lost, want %v", named, want)
	}
	// Nothing lost: nothing named.
	named = nil
	send(video, 1111, 7004, frame)
	e.feedback(feedbackFor(6, []*time.Duration{&arrived}))
	if len(named) != 0 {
		t.Errorf("feedback with no loss named %v", named)
	}
}

// subscribeWriter returns the writer of a video stream (SSRC 1111) of a
// subscribe connection's interceptors, writing to sink; withPion puts
// pion's header extension interceptor in front (the arrangement before
// session 8).
func subscribeWriter(tb testing.TB, sink interceptor.RTPWriter, withPion bool) interceptor.RTPWriter {
	tb.Helper()
	s := &SFU{}
	me, reg := &webrtc.MediaEngine{}, &interceptor.Registry{}
	if err := registerCodecs(me); err != nil {
		tb.Fatal(err)
	}
	if err := s.configureCongestionControl(me, reg); err != nil {
		tb.Fatal(err)
	}
	if withPion {
		if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, reg); err != nil {
			tb.Fatal(err)
		}
	}
	in, err := reg.Build("")
	if err != nil {
		tb.Fatal(err)
	}
	return in.BindLocalStream(&interceptor.StreamInfo{SSRC: 1111, MimeType: "video/VP8",
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: transportCCURI, ID: 3}}}, sink)
}

// writeNumbered writes one packet through w as downTrack.write does.
func writeNumbered(tb testing.TB, w interceptor.RTPWriter, h *rtp.Header, payload []byte) {
	h.SequenceNumber++
	if _, err := w.Write(h, payload, nil); err != nil {
		tb.Fatal(err)
	}
	h.Extension, h.Extensions = false, h.Extensions[:0]
}

// Numbering a subscriber's packets for transport-wide feedback, through
// the interceptors of a subscribe connection, allocates nothing (pion's
// header extension interceptor allocates the extension's two bytes for
// each packet).
func TestTransportSequenceAllocatesNothing(t *testing.T) {
	var sent atomic.Int64
	sink := interceptor.RTPWriterFunc(func(h *rtp.Header, _ []byte, _ interceptor.Attributes) (int, error) {
		if len(h.GetExtension(3)) == 2 {
			sent.Add(1)
		}
		return 0, nil
	})
	w := subscribeWriter(t, sink, false)
	h := &rtp.Header{Version: 2, SSRC: 1111, Extensions: make([]rtp.Extension, 0, 2)}
	payload := make([]byte, 1000)
	if allocs := testing.AllocsPerRun(1000, func() { writeNumbered(t, w, h, payload) }); allocs != 0 {
		t.Errorf("%v allocations per packet, want 0", allocs)
	}
	if sent.Load() < 1000 {
		t.Errorf("%d of %d packets carried the transport-wide sequence number", sent.Load(), 1001)
	}
}

// BenchmarkTransportSequence measures what numbering a copy for
// transport-wide feedback costs on a subscribe connection: the
// estimator's writer alone, and with pion's header extension interceptor
// in front (as before session 8).
func BenchmarkTransportSequence(b *testing.B) {
	sink := interceptor.RTPWriterFunc(func(*rtp.Header, []byte, interceptor.Attributes) (int, error) { return 0, nil })
	for _, withPion := range []bool{false, true} {
		name := "estimator"
		if withPion {
			name = "pion+estimator"
		}
		b.Run(name, func(b *testing.B) {
			w := subscribeWriter(b, sink, withPion)
			h := &rtp.Header{Version: 2, SSRC: 1111, Extensions: make([]rtp.Extension, 0, 2)}
			payload := make([]byte, 1000)
			b.ReportAllocs()
			for b.Loop() {
				writeNumbered(b, w, h, payload)
			}
		})
	}
}

// Ten minutes of 10 % random loss on a subscriber's few tens of packets
// a half second is no congestion: a half second that loses over a
// quarter by chance does not cut the estimate (it takes lossWindows in
// a row).
func TestEstimatorRidesOutRandomLoss(t *testing.T) {
	clock := time.Unix(1000, 0)
	e := newEstimator(func() time.Time { return clock })
	snd := &tccSender{e: e, clock: &clock}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 6000 { // 5 packets a feedback, 10 ms apart: 100 ms each
		e.feedback(snd.send(5, func(int) time.Duration { return 20 * time.Millisecond },
			func(int) bool { return rng.IntN(10) == 0 }))
	}
	if got, congested, loss := e.state(10 * time.Minute); got != initialBitrate || congested {
		t.Errorf("10 %% random loss (%.3f): target %d congested %v, want %d and calm", loss, got, congested, initialBitrate)
	}
}
