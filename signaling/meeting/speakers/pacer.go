package speakers

import "time"

// Pacer lets a changing set of talking speakers out only when it changed,
// and at most once per interval: a change that comes sooner waits for a
// later Offer. It is not safe for concurrent use.
type Pacer[K comparable] struct {
	every time.Duration
	last  map[K]struct{} // the set last let out
	at    time.Time      // when
}

// NewPacer returns a pacer letting out at most one set per every; the
// first set it is offered is the empty one.
func NewPacer[K comparable](every time.Duration) *Pacer[K] {
	return &Pacer[K]{every: every, last: map[K]struct{}{}}
}

// Offer reports whether set (who is talking now; its order does not
// matter) is to be sent at now: it differs from the set last let out, and
// that was at least the pacer's interval ago. When it reports true, set
// becomes the last one let out.
func (p *Pacer[K]) Offer(set []K, now time.Time) bool {
	if p.same(set) || (!p.at.IsZero() && now.Sub(p.at) < p.every) {
		return false
	}
	clear(p.last)
	for _, id := range set {
		p.last[id] = struct{}{}
	}
	p.at = now
	return true
}

// Pending reports whether set differs from the set last let out.
func (p *Pacer[K]) Pending(set []K) bool { return !p.same(set) }

func (p *Pacer[K]) same(set []K) bool {
	n := 0
	for _, id := range set {
		if _, ok := p.last[id]; !ok {
			return false
		}
		n++
	}
	return n == len(p.last)
}
