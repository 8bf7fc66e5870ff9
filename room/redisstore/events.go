package redisstore

// The event connection: one Redis Pub/Sub connection per Store, the rooms
// subscribed on it, and the goroutines that read it (receive) and watch
// its health (watch). See "Events" in the package documentation.

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// eventConn is one event connection: a go-redis PubSub used until its
// first error, then closed and replaced.
type eventConn struct {
	ps  *redis.PubSub
	gen uint64
}

// roomSubs is a room's local subscribers and what the Store knows of the
// room's event stream. Guarded by Store.mu.
type roomSubs struct {
	id   room.RoomID
	subs map[uint64]func(room.Event)
	// gen is the event connection the room's SUBSCRIBE was written on and
	// ping the confirming ping written after it (0: not written yet).
	gen  uint64
	ping uint64
	// ready: Redis confirmed the subscription on the live connection;
	// readyCh is closed when it becomes so.
	ready   bool
	readyCh chan struct{}
	// owed: the subscribers may have missed events; a resync is delivered
	// as soon as the subscription is confirmed.
	owed bool
	// last is the sequence number of the last event delivered (if haveLast).
	last     uint64
	haveLast bool
}

// Subscribe implements room.Store. It returns once Redis has confirmed the
// room's subscription, or after a few seconds when it does not (Redis is
// unreachable): the subscribers then get a resync once it does. deliver is
// called from the Store's event goroutine, under the Store's dispatch lock
// (see Store.mu): it must not block and must not call the Store.
func (s *Store) Subscribe(id room.RoomID, deliver func(room.Event)) (cancel func()) {
	ch := s.channel(id)
	s.psMu.Lock()
	if s.closed {
		s.psMu.Unlock()
		return func() {}
	}
	ec := s.ev.Load()
	s.mu.Lock()
	r := s.rooms[ch]
	first := r == nil
	if first {
		r = &roomSubs{id: id, subs: map[uint64]func(room.Event){}, readyCh: make(chan struct{})}
		if ec != nil {
			r.gen = ec.gen
		} else {
			r.owed = true // whatever happens until the connection is back is missed
		}
		s.rooms[ch] = r
	}
	n := s.nextSub
	s.nextSub++
	r.subs[n] = deliver
	s.mu.Unlock()
	if first && ec != nil {
		if err := s.subscribeLocked(ec, r, ch); err != nil {
			s.discardLocked(ec, err)
		}
	}
	s.psMu.Unlock()

	s.mu.Lock()
	wait := r.readyCh
	if r.ready || s.curGen == 0 {
		wait = nil // confirmed, or no connection to wait for (a resync is owed)
	}
	s.mu.Unlock()
	if wait != nil {
		t := time.NewTimer(subscribeWait)
		select {
		case <-wait:
		case <-t.C:
			s.mu.Lock()
			if !r.ready {
				r.owed = true
				s.log.Warn("redis did not confirm a subscription in time; the room will resync",
					zap.Stringer("room", id))
			}
			s.mu.Unlock()
		case <-s.ctx.Done():
		}
		t.Stop()
	}
	var once sync.Once
	return func() { once.Do(func() { s.unsubscribe(ch, r, n) }) }
}

// subscribeLocked writes SUBSCRIBE for r's channel and the ping that
// confirms it. psMu is held.
func (s *Store) subscribeLocked(ec *eventConn, r *roomSubs, ch string) error {
	ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
	defer cancel()
	if err := ec.ps.Subscribe(ctx, ch); err != nil {
		// When the write fails go-redis may reconnect at once, before it
		// records the channel, and so without it; the connection is
		// dropped below in any case and the next one subscribes to every
		// room.
		return err
	}
	s.pingSeq++
	p := s.pingSeq
	s.mu.Lock()
	r.ping = p
	s.mu.Unlock()
	return ec.ps.Ping(ctx, pingPrefix+strconv.FormatUint(p, 10))
}

func (s *Store) unsubscribe(ch string, r *roomSubs, n uint64) {
	s.psMu.Lock()
	defer s.psMu.Unlock()
	s.mu.Lock()
	delete(r.subs, n)
	last := len(r.subs) == 0 && s.rooms[ch] == r
	if last {
		delete(s.rooms, ch)
	}
	s.mu.Unlock()
	if !last {
		return
	}
	if ec := s.ev.Load(); ec != nil {
		ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
		defer cancel()
		if err := ec.ps.Unsubscribe(ctx, ch); err != nil {
			s.discardLocked(ec, err)
		}
	}
}

// discard drops the event connection ec after an error, unless it was
// replaced already.
func (s *Store) discard(ec *eventConn, err error) {
	s.psMu.Lock()
	defer s.psMu.Unlock()
	s.discardLocked(ec, err)
}

// discardLocked is discard with psMu held. Every room then owes its
// subscribers a resync; the event goroutine connects again.
func (s *Store) discardLocked(ec *eventConn, err error) {
	if !s.ev.CompareAndSwap(ec, nil) {
		return
	}
	s.mu.Lock()
	s.curGen = 0
	for _, r := range s.rooms {
		if r.ready {
			r.ready, r.readyCh = false, make(chan struct{})
		}
		r.owed, r.ping = true, 0
	}
	s.mu.Unlock()
	_ = ec.ps.Close()
	if s.ctx.Err() == nil {
		s.log.Warn("lost the Redis event connection; reconnecting, rooms will resync", zap.Error(err))
	}
}

// connect makes a new event connection, subscribes it to every room with
// local subscribers and makes it the live one.
// ctx bounds the attempt.
func (s *Store) connect(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, opTimeout)
	defer cancel()
	ps := s.client.Subscribe(ctx)
	if err := ps.Ping(ctx); err != nil { // dials
		_ = ps.Close()
		return err
	}
	s.psMu.Lock()
	defer s.psMu.Unlock()
	if s.closed {
		_ = ps.Close()
		return ErrClosed
	}
	s.gen++
	ec := &eventConn{ps: ps, gen: s.gen}
	// Rooms are added and removed under psMu only: this set is stable.
	s.mu.Lock()
	chans := make([]string, 0, len(s.rooms))
	for ch, r := range s.rooms {
		chans = append(chans, ch)
		r.gen, r.ping = ec.gen, 0
	}
	s.mu.Unlock()
	if len(chans) > 0 {
		if err := ps.Subscribe(ctx, chans...); err != nil {
			_ = ps.Close()
			return err
		}
	}
	s.pingSeq++
	p := s.pingSeq
	if err := ps.Ping(ctx, pingPrefix+strconv.FormatUint(p, 10)); err != nil {
		_ = ps.Close()
		return err
	}
	s.mu.Lock()
	for _, r := range s.rooms {
		r.ping = p
	}
	s.curGen = ec.gen
	s.mu.Unlock()
	s.lastRecv.Store(time.Now().UnixNano())
	s.ev.Store(ec)
	return nil
}

// receive is the event goroutine: it keeps an event connection and
// dispatches what it receives.
func (s *Store) receive() {
	defer s.wg.Done()
	backoff, down := minBackoff, false
	for s.ctx.Err() == nil {
		ec := s.ev.Load()
		if ec == nil {
			if err := s.connect(s.ctx); err != nil {
				if s.ctx.Err() != nil {
					return
				}
				if !down {
					s.log.Warn("cannot connect the Redis event connection; retrying", zap.Error(err))
					down = true
				}
				pause := backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)))
				backoff = min(2*backoff, maxBackoff)
				select {
				case <-s.ctx.Done():
					return
				case <-time.After(pause):
				}
				continue
			}
			if down {
				s.log.Info("Redis event connection is back")
				down = false
			}
			backoff = minBackoff
			continue
		}
		msg, err := ec.ps.Receive(s.ctx)
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			s.discard(ec, err)
			continue
		}
		s.lastRecv.Store(time.Now().UnixNano())
		switch m := msg.(type) {
		case *redis.Message:
			s.dispatch(ec.gen, m)
		case *redis.Pong:
			if p, ok := strings.CutPrefix(m.Payload, pingPrefix); ok {
				if n, err := strconv.ParseUint(p, 10, 64); err == nil {
					s.confirm(ec.gen, n)
				}
			}
		}
	}
}

// confirm handles the answer to ping n on connection gen: every room whose
// SUBSCRIBE was written before that ping is subscribed.
func (s *Store) confirm(gen, n uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.curGen {
		return
	}
	for _, r := range s.rooms {
		if !r.ready && r.gen == gen && r.ping != 0 && r.ping <= n {
			r.ready = true
			close(r.readyCh)
			if r.owed {
				s.resync(r, r.last)
			}
		}
	}
}

// resync delivers an EventResync to r's subscribers. mu is held.
func (s *Store) resync(r *roomSubs, seq uint64) {
	r.owed = false
	// The stream starts anew: after an outage the room may even have
	// been created again, with its sequence from 1.
	r.haveLast = false
	s.log.Debug("room resync", zap.Stringer("room", r.id), zap.Uint64("seq", seq))
	ev := room.Event{Kind: room.EventResync, Room: r.id, Seq: seq}
	for _, deliver := range r.subs {
		deliver(ev)
	}
}

// dispatch delivers one published event to its room's subscribers.
func (s *Store) dispatch(gen uint64, m *redis.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if gen != s.curGen {
		return
	}
	r := s.rooms[m.Channel]
	if r == nil {
		return // nobody here listens to this room any more
	}
	var ev room.Event
	if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil || ev.Room != r.id || ev.Kind == room.EventResync {
		s.log.Warn("ignored a malformed event", zap.Stringer("room", r.id), zap.Error(err))
		return
	}
	if ev.Kind == room.EventHands && ev.Hands == nil {
		// Event.Hands is omitempty, so an empty queue comes back as
		// nil; the rules always send a non-nil one.
		ev.Hands = []room.ParticipantID{}
	}
	if r.haveLast && ev.Seq <= r.last {
		return // a duplicate
	}
	if r.haveLast && ev.Seq > r.last+1 && !r.owed {
		s.log.Warn("gap in a room's events", zap.Stringer("room", r.id),
			zap.Uint64("last", r.last), zap.Uint64("seq", ev.Seq))
		s.resync(r, ev.Seq)
	}
	r.last, r.haveLast = ev.Seq, true
	for _, deliver := range r.subs {
		deliver(ev)
	}
}

// watch pings the event connection when it has been silent for a while
// and drops it when it does not answer.
func (s *Store) watch() {
	defer s.wg.Done()
	tick := time.NewTicker(max(s.health/2, 10*time.Millisecond))
	defer tick.Stop()
	var pinged time.Time // when the silent connection was pinged; zero: not pinged
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
		ec := s.ev.Load()
		last := time.Unix(0, s.lastRecv.Load())
		switch {
		case ec == nil || time.Since(last) < s.health:
			pinged = time.Time{}
		case pinged.IsZero() || pinged.Before(last):
			pinged = time.Now()
			s.psMu.Lock()
			if s.ev.Load() == ec {
				ctx, cancel := context.WithTimeout(s.ctx, opTimeout)
				if err := ec.ps.Ping(ctx); err != nil {
					s.discardLocked(ec, err)
				}
				cancel()
			}
			s.psMu.Unlock()
		case time.Since(pinged) >= s.health:
			pinged = time.Time{}
			s.discard(ec, errors.New("no answer to ping"))
		}
	}
}
