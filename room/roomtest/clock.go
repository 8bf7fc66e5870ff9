package roomtest

import (
	"slices"
	"sync"
	"time"
)

// Clock is a settable clock for room.ServiceParams: Now and AfterFunc.
// Time passes only with Advance, which runs the functions that came due.
type Clock struct {
	mu     sync.Mutex // guards what follows
	now    time.Time
	timers []*clockTimer
}

type clockTimer struct {
	at      time.Time
	f       func()
	stopped bool // under Clock.mu
}

// NewClock returns a Clock set to start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arranges f to run, from Advance, once d has passed; stop
// cancels it, reporting whether it had not run yet.
func (c *Clock) AfterFunc(d time.Duration, f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &clockTimer{at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

// Advance moves the clock on by d and runs, in the caller's goroutine and
// in time order, the functions that came due (those they arrange too).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	for {
		t := c.nextDue()
		if t == nil {
			return
		}
		t.f()
	}
}

// nextDue takes the earliest timer due, if any.
func (c *Clock) nextDue() *clockTimer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = slices.DeleteFunc(c.timers, func(t *clockTimer) bool { return t.stopped })
	slices.SortStableFunc(c.timers, func(a, b *clockTimer) int { return a.at.Compare(b.at) })
	if len(c.timers) == 0 || c.timers[0].at.After(c.now) {
		return nil
	}
	t := c.timers[0]
	t.stopped = true
	return t
}
