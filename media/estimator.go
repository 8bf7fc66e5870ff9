package media

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
)

// This file holds the bandwidth estimator of a subscribe connection: a
// cc.BandwidthEstimator (pion's congestion control interceptor runs it)
// fed by transport-wide congestion control feedback
// (draft-holmer-rmcat-transport-wide-cc-extensions-01). Every packet the
// SFU sends carries a transport-wide sequence number (pion's TWCC header
// extension interceptor); the estimator notes when each left and how big
// it was; the subscriber's browser reports when each arrived, or that it
// did not. From each feedback it takes:
//
//   - the queueing delay of each packet: its one-way delay less the
//     smallest seen in the last 10 to 20 s (the clocks' offset cancels
//     out), and the smallest of the feedback (one packet held up does not
//     make a queue);
//   - when the packets it reports left and arrived, how many bytes
//     arrived, and how many packets were lost.
//
// A bottleneck and a busy machine both delay packets; they differ in how
// the packets arrive. A link that carries less than is sent holds the
// excess in a queue that lets packets out at the link's rate: the
// queueing delay stays up and grows while more is sent than the link
// carries, arrivals are spread at least as far apart as the departures
// (the delivered rate is below the sent rate), and once the queue is full
// packets are dropped. A receiver starved of CPU (or a sender descheduled)
// stamps packets late and then all at once: the delay jumps up and falls
// back as a burst arrives faster than it was sent, nothing is lost, and
// over a few feedbacks everything sent arrived. So congestion is (see
// queueVerdict):
//
//   - a standing queue: over the last feedbacks covering at least
//     congestionSpan of arrivals (and at least congestionFeedbacks of
//     them), every one's smallest queueing delay over congestionDelay,
//     the arrivals not compressed (their span at least compressedSpan of
//     the departures': not a burst after a stall), and the queue either
//     growing (by congestionRise and by a tenth of the span) or losing
//     packets (congestionQueueLoss) while not draining: a queue that is
//     full drops;
//   - or heavy loss: over congestionLoss of the packets of half a second
//     lost in lossWindows half seconds in a row, with or without a queue
//     (10 % random loss on a wireless link is left to NACK and RTX).
//
// On congestion the target falls to 85 % of the rate delivered over the
// congested feedbacks (the link's rate while its queue is standing; half
// of the target while nothing was delivered yet), never below minBitrate.
// Packets sent before a cut are not judged again after it: the queue they
// met is the one the cut is draining. The target rises only when the
// allocator's probe shows the link carries more (raise). Nothing is
// judged while the path is gone or being replaced (an ICE restart after
// an address change): what it lost is no congestion (pathDown,
// pathChanged).
//
// pion's GCC (interceptor/pkg/gcc) was tried first: its delay detector
// took the jitter of a busy machine (a race-detecting test server beside
// three browsers on two cores) for congestion, and collapsed estimates to
// the audio rate on loopback. libwebrtc's inter-arrival filter merges
// packets that arrive in a burst for the same reason; LiveKit's send-side
// estimator also asks for a queue that lasts several groups of packets.

// Estimator settings.
const (
	// initialBitrate holds nothing back until the link shows congestion
	// (a shared screen or a speaker's video is not paused for a guess).
	initialBitrate = 10_000_000
	// minBitrate is the lowest estimate: two or three members' audio. A
	// link weaker than that still gets audio, served first.
	minBitrate = 100_000
	// congestionDelay, congestionFeedbacks and congestionSpan: a standing
	// queue is one of more than congestionDelay in every one of the last
	// feedbacks, at least congestionFeedbacks of them covering at least
	// congestionSpan of arrivals.
	congestionDelay     = 100 * time.Millisecond
	congestionFeedbacks = 3
	congestionSpan      = 250 * time.Millisecond
	// congestionRise is how much a standing queue must grow over those
	// feedbacks (and by a tenth of their span at least: more sent than
	// the link carries by a tenth) to be congestion without loss.
	congestionRise = 30 * time.Millisecond
	// congestionQueueLoss is the share of packets lost that, with a
	// standing queue, shows a full queue dropping.
	congestionQueueLoss = 0.05
	// compressedSpan (percent): arrivals spread over less than this share
	// of the departures' span came in a burst after a stall, not through
	// a bottleneck (which spreads them at least as far apart as sent).
	compressedSpan = 70
	// congestionLoss is the share of packets lost (per half second) that
	// is congestion without a queue. Random loss well above what a
	// wireless or mobile link shows (10 % in TestLabLossRecovery) is
	// recovered by NACK and RTX, not by pausing video.
	congestionLoss = 0.25
	// lossWindows is how many half seconds in a row must lose that much.
	// A subscriber's half second is a few tens of packets (audio and a
	// low layer): at 10 % random loss one in a few hundred loses over a
	// quarter by chance, so a meeting would pause its video every minute
	// or two for nothing (TestLabLossRecovery saw it: a cut to the audio
	// rate, then seconds of probing back). Two in a row by chance: one in
	// some tens of thousands. A full queue dropping goes on.
	lossWindows = 2
	// sentRing is how many sent packets are remembered, by transport-wide
	// sequence number.
	sentRing = 2048
	// baseWindow is how long each of the two buckets of the smallest
	// one-way delay lasts.
	baseWindow = 10 * time.Second
	// fbHistory is how many feedbacks the queue verdict can look back on.
	fbHistory = 16
	// cutEvery is the least time between two cuts.
	cutEvery = 300 * time.Millisecond
)

// fbSample is what one feedback said about the packets it reports that
// were sent after the last cut.
type fbSample struct {
	// qMin is the smallest queueing delay (-1: no packet arrived).
	qMin int64
	// sentFirst and sentLast: when the first and last packet reported
	// left (ours); arrFirst and arrLast when the first and last that
	// arrived did (the receiver's clock).
	sentFirst, sentLast int64
	arrFirst, arrLast   int64
	// recvSpan is the span of departures of the packets that arrived.
	recvFirst, recvLast int64
	recv, lost          int
	// recvBytes are the bytes that arrived, firstSize those of the first
	// that did (a span of arrivals delivers all but its first packet).
	recvBytes, firstSize int
	// sentBytes are the bytes of every packet reported (the meter's).
	sentBytes int
}

// estimator is one subscribe connection's bandwidth estimator.
type estimator struct {
	now func() time.Time
	// nextSeq is the connection's next transport-wide sequence number;
	// seqBytes hold the extensions of the packets being written.
	nextSeq  atomic.Uint32
	seqBytes [256][2]byte

	mu   sync.Mutex // guards everything below
	sent [sentRing]sentPacket
	// target is the estimate, bits per second.
	target int
	// base holds the smallest one-way delay of the current and the last
	// bucket; baseAt when the current began.
	base   [2]int64
	baseAt int64
	// hist holds the last feedbacks' samples, newest at hist[(hn-1) %
	// fbHistory]; hn counts them.
	hist [fbHistory]fbSample
	hn   int
	// the current half second: packets received and lost, bytes acked,
	// and the arrival times of the first and last acked.
	recv, lost        int
	acked             int
	ackFirst, ackLast int64
	windowAt          int64
	loss              float64
	// lossy counts the half seconds in a row that lost over
	// congestionLoss.
	lossy     int
	delivered int
	queue     time.Duration
	// congestedAt is when congestion was last seen (feedback time);
	// cutAt when the target was last cut, and cutSent the send time
	// from which packets are judged again (sent after that cut).
	congestedAt, cutAt, cutSent int64
	// meter measures what the link carried of the packets sent from
	// meterFrom to meterTo (a probe's: measure, measured).
	meterFrom, meterTo int64
	meter              fbSample
	onChange           func(int)
	closed             bool
	// down is set while the path is gone or being replaced: feedback
	// is not judged (pathDown, pathChanged).
	down bool
	// onLost is given each resendable packet a feedback reports lost
	// (see Peer.resendLost); lostPkts holds them until e.mu is let go.
	onLost   func(ssrc uint32, seq uint16)
	lostPkts [maxUnasked]lostPacket
	nLost    int
}

var _ cc.BandwidthEstimator = (*estimator)(nil)

func newEstimator(now func() time.Time) *estimator {
	if now == nil {
		now = time.Now
	}
	return &estimator{now: now, target: initialBitrate}
}

// judgeFeedback reads one feedback packet: its samples, and the packets
// it reports lost (e.lostPkts). e.mu is held.
func (e *estimator) judgeFeedback(fb *rtcp.TransportLayerCC) {
	now := e.now().UnixNano()
	if e.down {
		return
	}
	arrival := int64(fb.ReferenceTime) * 64e6
	seq := fb.BaseSequenceNumber
	left := int(fb.PacketStatusCount)
	delta := 0
	smp := fbSample{qMin: -1}
	take := func(symbol uint16) {
		if left <= 0 {
			return
		}
		left--
		s := seq
		seq++
		sp := e.sent[int(s)%sentRing]
		known := sp.seq == s && sp.at != 0
		metered := known && e.meterFrom != 0 && sp.at >= e.meterFrom && sp.at <= e.meterTo
		if metered {
			e.meter.sent(sp.at)
			e.meter.sentBytes += int(sp.size)
		}
		if symbol == rtcp.TypeTCCPacketNotReceived {
			if known && sp.ssrc != 0 && e.nLost < maxUnasked {
				e.lostPkts[e.nLost] = lostPacket{ssrc: sp.ssrc, seq: sp.rtpSeq}
				e.nLost++
			}
			if known && sp.at > e.cutSent {
				e.lost++
				smp.lost++
				smp.sent(sp.at)
			}
			return
		}
		if delta < len(fb.RecvDeltas) {
			arrival += fb.RecvDeltas[delta].Delta * 1000
			delta++
		}
		if !known {
			return
		}
		q := e.queueDelay(arrival-sp.at, now)
		if metered {
			e.meter.arrived(arrival, int(sp.size))
		}
		if sp.at <= e.cutSent {
			return // judged before the last cut
		}
		e.recv++
		smp.sent(sp.at)
		if smp.recvFirst == 0 {
			smp.recvFirst = sp.at
		}
		smp.recvLast = sp.at
		if smp.qMin < 0 || q < smp.qMin {
			smp.qMin = q
		}
		smp.arrived(arrival, int(sp.size))
		e.acked += int(sp.size)
		if e.ackFirst == 0 {
			e.ackFirst = arrival
		}
		e.ackLast = arrival
	}
	for _, c := range fb.PacketChunks {
		switch c := c.(type) {
		case *rtcp.RunLengthChunk:
			for range c.RunLength {
				take(c.PacketStatusSymbol)
			}
		case *rtcp.StatusVectorChunk:
			for _, s := range c.SymbolList {
				take(s)
			}
		}
	}
	e.judge(now, smp)
}

// judge keeps one feedback's sample and cuts the estimate when the
// queue or the loss says the link is congested. e.mu is held.
func (e *estimator) judge(now int64, smp fbSample) {
	if smp.recv+smp.lost > 0 {
		e.hist[e.hn%fbHistory] = smp
		e.hn++
	}
	if smp.qMin >= 0 {
		e.queue = time.Duration(smp.qMin)
	}
	e.closeWindow(now)
	queued, delivered := e.queueVerdict()
	switch {
	case queued:
		e.congested(now, delivered)
	case e.lossy >= lossWindows && e.windowAt == now:
		e.congested(now, e.delivered)
	}
}

// arrived adds a packet of size bytes that arrived at.
func (s *fbSample) arrived(at int64, size int) {
	if s.arrFirst == 0 {
		s.arrFirst, s.firstSize = at, size
	}
	s.arrLast = at
	s.recvBytes += size
	s.recv++
}

// sent widens the sample's span of departures to take at.
func (s *fbSample) sent(at int64) {
	if s.sentFirst == 0 || at < s.sentFirst {
		s.sentFirst = at
	}
	s.sentLast = max(s.sentLast, at)
}

// queueVerdict reports whether the last feedbacks show a bottleneck's
// standing queue (see the top of this file), and the rate delivered over
// them (bits per second).
func (e *estimator) queueVerdict() (queued bool, delivered int) {
	var (
		n                 int
		first, last       *fbSample
		recv, lost, bytes int
		// the spans of arrivals, and of those packets' departures,
		// within each feedback
		arrived, departed int64
	)
	for i := 1; i <= min(e.hn, fbHistory); i++ {
		s := &e.hist[(e.hn-i)%fbHistory]
		if s.sentFirst <= e.cutSent {
			return false, 0
		}
		if s.recv == 0 {
			lost += s.lost // all lost: a full queue drops, but says nothing of the delay
			continue
		}
		if s.qMin <= int64(congestionDelay) {
			return false, 0
		}
		if last == nil {
			last = s
		}
		first = s
		n++
		recv += s.recv
		lost += s.lost
		bytes += s.recvBytes
		arrived += s.arrLast - s.arrFirst
		departed += s.recvLast - s.recvFirst
		if n >= congestionFeedbacks && last.arrLast-s.arrFirst >= int64(congestionSpan) {
			break
		}
	}
	if n < congestionFeedbacks {
		return false, 0
	}
	// Compressed arrivals are counted within each feedback: a starved
	// receiver's bursts come in several feedbacks, with its stalls
	// between them.
	arrSpan := last.arrLast - first.arrFirst
	if arrSpan < int64(congestionSpan) || arrived*100 < departed*compressedSpan {
		return false, 0
	}
	bytes -= first.firstSize
	rise := last.qMin - first.qMin
	growing := rise >= int64(congestionRise) && rise*10 >= arrSpan
	// A full queue drops; one draining (falling by a tenth of the span,
	// after a cut) drops its last excess, and is not congestion anew.
	dropping := float64(lost) >= congestionQueueLoss*float64(recv+lost) && rise*10 > -arrSpan
	return growing || dropping, int(int64(bytes) * 8 * 1e9 / arrSpan)
}

// queueDelay returns the queueing delay of a packet whose one-way delay
// (with the clocks' offset) is owd, updating the smallest delay seen.
func (e *estimator) queueDelay(owd, now int64) int64 {
	if e.baseAt == 0 || now-e.baseAt > int64(baseWindow) {
		e.base[1], e.base[0], e.baseAt = e.base[0], owd, now
		if e.base[1] == 0 {
			e.base[1] = owd
		}
	}
	if owd < e.base[0] {
		e.base[0] = owd
	}
	return owd - min(e.base[0], e.base[1])
}

// closeWindow ends the half-second window when it is due: the loss and
// the delivered rate are measured anew.
func (e *estimator) closeWindow(now int64) {
	if e.windowAt == 0 {
		e.windowAt = now
		return
	}
	if now-e.windowAt < 500e6 {
		return
	}
	if n := e.recv + e.lost; n > 0 {
		e.loss = float64(e.lost) / float64(n)
	}
	if e.loss > congestionLoss {
		e.lossy++
	} else {
		e.lossy = 0
	}
	if span := e.ackLast - e.ackFirst; span > 100e6 {
		e.delivered = int(int64(e.acked) * 8 * 1e9 / span)
	}
	e.recv, e.lost, e.acked, e.ackFirst, e.ackLast = 0, 0, 0, 0, 0
	e.windowAt = now
}

// congested notes congestion and lowers the target to 85 % of delivered
// (half of it when nothing was measured), at most every cutEvery. The
// packets sent until now are not judged again.
func (e *estimator) congested(now int64, delivered int) {
	e.congestedAt = now
	if now-e.cutAt < int64(cutEvery) {
		return
	}
	e.cutAt = now
	e.cutSent = now
	e.recv, e.lost = 0, 0
	next := e.target / 2
	if delivered > 0 {
		next = delivered * 85 / 100
	}
	e.setTarget(min(max(next, minBitrate), e.target))
}

func (e *estimator) setTarget(t int) {
	if t == e.target {
		return
	}
	e.target = t
	if e.onChange != nil {
		go e.onChange(t)
	}
}

// pathDown stops judging while the subscriber's network path is gone
// or being replaced (ICE disconnected, failed, or restarting): what
// the feedback reports lost meanwhile was lost to the network change,
// not to congestion, and cutting for it would pause video that the new
// path carries. pathChanged resumes judging.
func (e *estimator) pathDown() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.down = true
}

// pathChanged starts afresh on a path that works again (ICE selected a
// candidate pair, or connected again). The packets sent before it are
// not judged (those sent while the old path was gone were lost to it),
// the smallest one-way delay is measured anew (a new path's may be
// longer, which is no queue), and a probe under way measures nothing.
// The target stays: the new path shows congestion soon enough if it
// carries less.
func (e *estimator) pathChanged() {
	now := e.now().UnixNano()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.down = false
	e.cutSent = now
	e.hn = 0
	e.recv, e.lost, e.acked, e.ackFirst, e.ackLast, e.windowAt, e.loss = 0, 0, 0, 0, 0, 0, 0
	e.base, e.baseAt = [2]int64{}, 0
	e.meterFrom, e.meterTo, e.meter = 0, 0, fbSample{}
}

// measure starts measuring what the link carries of the packets sent
// in the next d.
func (e *estimator) measure(d time.Duration) {
	now := e.now().UnixNano()
	e.mu.Lock()
	defer e.mu.Unlock()
	e.meterFrom, e.meterTo, e.meter = now, now+int64(d), fbSample{}
}

// measured returns the rate (bits per second) at which the packets
// measured and reported so far were sent, and the rate at which those
// that arrived did; zeros when too few were reported to tell.
func (e *estimator) measured() (sent, delivered int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	m := &e.meter
	sentSpan, arrSpan := m.sentLast-m.sentFirst, m.arrLast-m.arrFirst
	if m.recv < 5 || sentSpan < int64(congestionSpan) || arrSpan <= 0 {
		return 0, 0
	}
	// A span of n packets' departures (arrivals) is n-1 packets long.
	return int(int64(m.sentBytes-m.firstSize) * 8 * 1e9 / sentSpan),
		int(int64(m.recvBytes-m.firstSize) * 8 * 1e9 / arrSpan)
}

// raise sets the target to at least t: a probe showed the link carries
// it.
func (e *estimator) raise(t int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if t > e.target {
		e.setTarget(t)
	}
}

// state returns the target, whether the link was congested within the
// last since, and the loss of the last half second.
func (e *estimator) state(since time.Duration) (target int, congested bool, loss float64) {
	now := e.now().UnixNano()
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.target, e.congestedAt != 0 && now-e.congestedAt < int64(since), e.loss
}

// GetTargetBitrate implements cc.BandwidthEstimator.
func (e *estimator) GetTargetBitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.target
}

// OnTargetBitrateChange implements cc.BandwidthEstimator.
func (e *estimator) OnTargetBitrateChange(f func(int)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.onChange = f
}

// GetStats implements cc.BandwidthEstimator.
func (e *estimator) GetStats() map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	return map[string]any{"target": e.target, "loss": e.loss, "delivered": e.delivered,
		"queueDelayMs": e.queue.Milliseconds()}
}

// Close implements cc.BandwidthEstimator.
func (e *estimator) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.closed = true
	return nil
}
