package media

import (
	"sort"
	"sync/atomic"
	"time"

	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/webrtc/v4"
)

// This file holds what each subscriber's bandwidth is spent on. The
// subscribe connection estimates it (estimator.go, from transport-wide
// congestion control feedback). Each subscriber has an allocator
// goroutine: every allocEvery it takes the estimate, serves audio first,
// shares the rest among the video tracks (allocate.go) by the size the
// subscriber shows each at (SetVideoSizes; none under SetAudioOnly), and
// sets each video's layer. The estimate falls on congestion and rises
// only when a probe shows more room: when a video gets less than it wants
// and the link has been calm, the allocator sends padding for probeFor so
// that everything sent reaches 1.5 times the budget; if the estimator saw
// no congestion meanwhile, the estimate is raised to that. Probes that
// fail wait longer each time (up to probeBackoffMax).

// Bandwidth estimation settings.
const (
	// allocEvery is how often a subscriber's layers are chosen again;
	// padTick how often probing padding is sent.
	allocEvery = 250 * time.Millisecond
	padTick    = 25 * time.Millisecond
	// probeFor is how long a probe sends padding; probeJudge how long
	// after it the estimator's verdict is awaited.
	probeFor   = 600 * time.Millisecond
	probeJudge = 400 * time.Millisecond
	// probeBackoffMin and probeBackoffMax bound the wait after a failed
	// probe, which doubles each time.
	probeBackoffMin = time.Second
	probeBackoffMax = 4 * time.Second
	// probeCarried (percent): a probe succeeds when the link delivered at
	// least this share of the rate sent meanwhile (a bottleneck delivers
	// its own rate, less than was sent); the estimate is then raised to
	// what it delivered, up to what the probe tested.
	probeCarried = 90
)

// Unlimited is the budget of a relay to another instance: it takes the
// top layer of every track (the other instance's subscribers are served
// from it).
const unlimited = 1 << 40

// newSubscribeConn makes a subscribe connection and returns the
// bandwidth estimator pion made for it.
func (s *SFU) newSubscribeConn() (*webrtc.PeerConnection, cc.BandwidthEstimator, error) {
	s.estimatorMu.Lock()
	defer s.estimatorMu.Unlock()
	s.nextEstimator = nil
	pc, err := s.subAPI.NewPeerConnection(webrtc.Configuration{})
	e := s.nextEstimator
	s.nextEstimator = nil
	return pc, e, err
}

// VideoSize is the size at which a subscriber shows one publisher's video
// of one source (device pixels); 0x0 is hidden.
type VideoSize struct {
	Publisher string
	Source    string
	Width     int
	Height    int
}

// sizeKey identifies a publisher's video by source.
type sizeKey struct{ publisher, source string }

// SetVideoSizes says at which size the subscriber shows each video: a
// video not listed, or listed at 0x0, is hidden and not sent. Until the
// first call every video is sent at the layer bandwidth allows.
func (p *Peer) SetVideoSizes(sizes []VideoSize) {
	m := make(map[sizeKey][2]int, len(sizes))
	for _, s := range sizes {
		m[sizeKey{s.Publisher, s.Source}] = [2]int{s.Width, s.Height}
	}
	p.mu.Lock()
	p.sizes = m
	p.mu.Unlock()
	p.reallocate()
}

// SetAudioOnly stops (on) or restarts the subscriber's video.
func (p *Peer) SetAudioOnly(on bool) {
	p.audioOnly.Store(on)
	p.reallocate()
}

// AudioOnly reports whether the subscriber receives audio only.
func (p *Peer) AudioOnly() bool { return p.audioOnly.Load() }

// reallocate has the allocator choose layers now rather than at its next
// tick.
func (p *Peer) reallocate() {
	select {
	case p.realloc <- struct{}{}:
	default:
	}
}

// allocator chooses a subscriber's layers; it is owned by the peer's
// allocation goroutine (allocate).
type allocator struct {
	p   *Peer
	est cc.BandwidthEstimator // nil: none (unlimited budget)

	// the probe under way (probeEnd zero: none), and when the next may
	// start.
	probeEnd, nextProbe time.Time
	probePad            int // bits/s of padding
	probeTo             int // the budget it tests
	probeFailed         bool
	// padded counts the bits of padding the probe sent: a probe that
	// could not send most of its padding (nothing to pad yet) shows
	// nothing.
	padded int
	// padCredit is the padding (bits) due and not sent yet: at a low
	// budget a tick's share is less than one packet.
	padCredit     int
	backoff       time.Duration
	lastCongested time.Time
	// used is the bit rate of what the subscriber was last given.
	used int
	// paused counts the subscriber's videos paused for bandwidth now (its
	// share of Stats.VideoPaused); observed is when the estimate was last
	// added to Stats.Estimates.
	paused   int64
	observed time.Time
	// scratch, reused each round
	downs  []*downTrack
	wishes []wish
}

// allocate runs the peer's allocator until the peer closes.
func (p *Peer) allocate(est cc.BandwidthEstimator) {
	a := &allocator{p: p, est: est}
	if e, ok := est.(*estimator); ok {
		// A cut is acted on at once, not at the next round.
		e.OnTargetBitrateChange(func(int) { p.reallocate() })
	}
	alloc := time.NewTicker(allocEvery)
	pad := time.NewTicker(padTick)
	defer func() {
		alloc.Stop()
		pad.Stop()
		p.sfu.stats.VideoPaused.Add(-a.paused)
	}()
	for {
		select {
		case <-p.quit:
			return
		case now := <-alloc.C:
			a.round(now)
		case <-p.realloc:
			a.round(time.Now())
		case now := <-pad.C:
			a.pad(now)
		}
	}
}

// estimate reads the estimator: its target bit rate, and whether it saw
// the link congested lately.
func (a *allocator) estimate() (rate int, congested bool) {
	e, ok := a.est.(*estimator)
	if !ok || a.p.params.Kind != Client || !a.p.feedback.Load() {
		// A relay, or a client that gives no feedback (such as a Go
		// client without the interceptor): nothing to estimate from.
		return unlimited, false
	}
	rate, congested, _ = e.state(2 * allocEvery)
	return rate, congested
}

// round chooses the subscriber's layers once.
func (a *allocator) round(now time.Time) {
	budget, congested := a.estimate()
	if congested {
		a.lastCongested = now
		if !a.probeEnd.IsZero() {
			a.probeFailed = true
		}
	}
	if budget != unlimited && now.Sub(a.observed) >= time.Second {
		a.p.sfu.stats.Estimates.Observe(budget)
		a.observed = now
	}
	audio, limited := a.share(budget, now.UnixNano())
	a.probe(now, budget, audio, limited)
}

// share serves audio, then shares the rest of budget among the videos
// and sets their layers. It returns the audio's bit rate and whether a
// video got less than it wants.
func (a *allocator) share(budget int, now int64) (audio int, limited bool) {
	p := a.p
	p.mu.Lock()
	a.downs = a.downs[:0]
	for _, d := range p.downs {
		a.downs = append(a.downs, d)
	}
	sizes := p.sizes
	p.mu.Unlock()
	// A stable order (allocate puts talking publishers first).
	sort.Slice(a.downs, func(i, j int) bool { return a.downs[i].track.id < a.downs[j].track.id })
	audioOnly := p.audioOnly.Load()
	a.wishes = a.wishes[:0]
	vids := a.downs[:0:0]
	for _, d := range a.downs {
		t := d.track
		if t.kind == webrtc.RTPCodecTypeAudio {
			if l := t.layers[0].Load(); l != nil {
				audio += max(l.bitrate(now), audioAllowance)
			}
			continue
		}
		w := wish{speaking: t.speaking.Load(), max: t.Layers() - 1, current: d.currentLayer()}
		for i := range t.layers {
			if l := t.layers[i].Load(); l != nil {
				w.rates[i] = l.bitrate(now)
			}
		}
		switch {
		case audioOnly:
			w.max = noLayer
		case sizes != nil:
			s := sizes[sizeKey{t.streamID, string(t.source)}]
			w.max = maxLayerFor(t, s[0], s[1])
		}
		a.wishes = append(a.wishes, w)
		vids = append(vids, d)
	}
	left := allocate(budget-audio, a.wishes)
	paused := int64(0)
	for i, d := range vids {
		w := &a.wishes[i]
		if !d.setTarget(w.got) && w.got != noLayer && d.currentLayer() != w.got {
			d.track.requestLayerKeyframe(w.got) // still waiting: ask again (throttled)
		}
		if w.max != noLayer && w.got == noLayer {
			paused++
		}
		limited = limited || w.limited
	}
	p.sfu.stats.VideoPaused.Add(paused - a.paused)
	a.paused = paused
	a.used = budget - left
	return audio, limited
}

// audioAllowance is the least bit rate counted for an audio track (Opus
// at its usual rate with packet overhead), so that audio that has not
// been measured yet is served first all the same.
const audioAllowance = 48_000

// probe starts a probe when a video gets less than it wants and the link
// has been calm, and ends one, raising the floor if the link carried it.
func (a *allocator) probe(now time.Time, budget, audio int, limited bool) {
	if !a.probeEnd.IsZero() {
		if now.Before(a.probeEnd.Add(probeJudge)) {
			return
		}
		e, _ := a.est.(*estimator)
		sent, delivered := 0, 0
		if e != nil {
			sent, delivered = e.measured()
		}
		switch {
		case a.padded < a.probePad*int(probeFor/time.Millisecond)/1000/2 || sent == 0:
			a.nextProbe = now.Add(probeBackoffMin) // nothing said either way
		case a.probeFailed || delivered*100 < sent*probeCarried:
			// Congestion, or the link did not carry what was sent.
			a.backoff = min(max(a.backoff*2, probeBackoffMin), probeBackoffMax)
			a.nextProbe = now.Add(a.backoff)
		default:
			e.raise(min(a.probeTo, delivered))
			a.backoff = 0
			a.nextProbe = now
		}
		a.probeEnd, a.probePad = time.Time{}, 0
		return
	}
	if !limited || budget >= unlimited || now.Before(a.nextProbe) || now.Sub(a.lastCongested) < probeBackoffMin {
		return
	}
	// After a failed probe the link is near: smaller steps find it.
	a.probeTo = budget * 3 / 2
	if a.backoff > 0 {
		a.probeTo = budget * 115 / 100
	}
	a.probePad = a.probeTo - a.used
	if a.probePad <= 0 {
		return
	}
	a.probeFailed, a.padded, a.padCredit = false, 0, 0
	a.probeEnd = now.Add(probeFor)
	if e, ok := a.est.(*estimator); ok {
		e.measure(probeFor)
	}
	a.p.sfu.stats.Probes.Add(1)
}

// pad sends one tick's share of the probe's padding on the subscriber's
// video copies.
func (a *allocator) pad(now time.Time) {
	if a.probeEnd.IsZero() || now.After(a.probeEnd) {
		return
	}
	const packetBits = (maxPadding + 12 + packetOverhead) * 8
	// What was due and could not be sent (no video between two frames)
	// is not sent later in a burst: at most two ticks' worth is kept.
	due := a.probePad * int(padTick/time.Millisecond) / 1000
	a.padCredit = min(a.padCredit+due, 2*max(due, packetBits))
	for _, d := range a.downs {
		if d.track.kind != webrtc.RTPCodecTypeVideo {
			continue
		}
		for a.padCredit >= packetBits && d.pad() {
			a.padCredit -= packetBits
			a.padded += packetBits
		}
		if a.padCredit < packetBits {
			return
		}
	}
}

// Histogram counts observations in fixed buckets, atomically.
type Histogram struct {
	// Bounds are the buckets' upper bounds, ascending; counts has one
	// more, for values above the last.
	Bounds []float64
	counts []atomic.Uint64
	sum    atomic.Uint64
}

// newHistogram makes a histogram with the given upper bounds.
func newHistogram(bounds ...float64) *Histogram {
	return &Histogram{Bounds: bounds, counts: make([]atomic.Uint64, len(bounds)+1)}
}

// EstimateBuckets are the upper bounds of Stats.Estimates, in bits per
// second.
func EstimateBuckets() []float64 {
	return []float64{100e3, 200e3, 300e3, 500e3, 750e3, 1e6, 1.5e6, 2e6, 3e6, 5e6, 10e6}
}

// Observe adds one value.
func (h *Histogram) Observe(v int) {
	i := sort.SearchFloat64s(h.Bounds, float64(v))
	h.counts[i].Add(1)
	h.sum.Add(uint64(v))
}

// Snapshot returns the cumulative count per bound (as Prometheus wants
// them), the count of all observations and their sum.
func (h *Histogram) Snapshot() (buckets map[float64]uint64, count uint64, sum float64) {
	buckets = make(map[float64]uint64, len(h.Bounds))
	for i, b := range h.Bounds {
		count += h.counts[i].Load()
		buckets[b] = count
	}
	count += h.counts[len(h.Bounds)].Load()
	return buckets, count, float64(h.sum.Load())
}
