package media

import (
	"sync"
	"time"
)

// keyframeGate throttles and coalesces the keyframe requests (PLI, RFC
// 4585 section 6.3.1) sent to one publisher for one of its streams. A
// keyframe is large: a subscriber that joins, one that lost packets and a
// layer switch each want one, and a publisher asked for every one of them
// would send keyframes back to back for everyone. The gate sends the first
// request at once; requests within the next interval do not each send one:
// they are folded into a single request sent when the interval ends, so a
// request is never lost, only delayed by at most one interval.
type keyframeGate struct {
	// static after construction
	interval time.Duration
	now      func() time.Time

	mu sync.Mutex // guards below
	// last is when a request was last sent.
	last time.Time
	// pending is set while a request waits for the interval to end.
	pending bool
	// stopped is set when the stream ended: nothing more is sent.
	stopped bool
	timer   *time.Timer
}

func newKeyframeGate(interval time.Duration, now func() time.Time) *keyframeGate {
	if now == nil {
		now = time.Now
	}
	return &keyframeGate{interval: interval, now: now}
}

// request asks for a keyframe: send is called now (on the caller's
// goroutine) if none was sent within the interval, else once when the
// interval ends (on a timer's goroutine), for all the requests made
// meanwhile. It reports whether the request was folded into another.
func (g *keyframeGate) request(send func()) (coalesced bool) {
	g.mu.Lock()
	if g.stopped || g.pending {
		g.mu.Unlock()
		return true
	}
	now := g.now()
	wait := g.last.Add(g.interval).Sub(now)
	if g.last.IsZero() || wait <= 0 {
		g.last = now
		g.mu.Unlock()
		send()
		return false
	}
	g.pending = true
	g.timer = time.AfterFunc(wait, func() {
		g.mu.Lock()
		if g.stopped {
			g.mu.Unlock()
			return
		}
		g.pending = false
		g.last = g.now()
		g.mu.Unlock()
		send()
	})
	g.mu.Unlock()
	return false
}

// stop drops a request waiting for its interval; later requests send
// nothing.
func (g *keyframeGate) stop() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stopped = true
	if g.timer != nil {
		g.timer.Stop()
	}
}
