// Package redisstore is the room.Store that keeps rooms in Redis, so that
// several Hearth instances share them: every instance sees the same state
// and receives every room's events.
//
// # Keys and channels
//
// A room's whole State is one JSON value at <prefix>room:{<id>}:state, and
// its events are published, one JSON room.Event per message, on the channel
// <prefix>room:{<id>}:events. The braces are a Redis Cluster hash tag: all
// of a room's keys live in one slot. The state key has a TTL (Params.TTL),
// set when the room is created and renewed by every update, so a room
// nobody uses disappears by itself; Delete removes it at once. Nothing else
// is stored.
//
// # Updates
//
// Update is optimistic: WATCH the state key, GET it, run fn on the decoded
// copy, then in one MULTI/EXEC write the new state (with its TTL) and
// PUBLISH the events. When another update won in between, EXEC fails and
// the whole thing, fn included, runs again on a fresh copy (up to
// maxAttempts times, with a short random pause). Because the state and its
// events are written in one transaction, events are published in sequence
// order, and Redis delivers a channel's messages in the order published.
//
// # Events
//
// A Store has one Redis connection for events, whatever the number of rooms
// and subscribers: it SUBSCRIBEs to a room's channel when the room gets its
// first local subscriber and UNSUBSCRIBEs when the last one cancels. One
// goroutine reads that connection and calls the room's deliver functions
// in order. Subscribe returns once Redis has confirmed the subscription (a
// PING written after the SUBSCRIBE was answered), so an event published
// after Subscribe returns is delivered.
//
// Redis Pub/Sub delivers at most once. When the event connection breaks
// (or stays silent despite a ping for two HealthCheck intervals) the Store
// drops it and keeps connecting again with backoff; once a room's channel
// is subscribed again, the room's subscribers get a room.EventResync and
// should reload the state with Get. A gap in a room's sequence (an event
// numbered more than one after the last) also produces a resync, before
// that event; an event numbered at or below the last is a duplicate and is
// dropped.
//
// While Redis cannot be reached, Create, Get, Update and Delete fail with an
// error wrapping Redis's (nothing is queued), and everything works again
// once it is back, without a restart.
package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// Defaults for Params.
const (
	// DefaultPrefix starts every key and channel name.
	DefaultPrefix = "hearth:"
	// DefaultTTL is how long a room is kept after its last update.
	DefaultTTL = 12 * time.Hour
	// DefaultHealthCheck is how long the event connection may be silent
	// before it is pinged.
	DefaultHealthCheck = 5 * time.Second
)

const (
	// maxAttempts bounds how often Update runs when concurrent updates of
	// the same room keep winning.
	maxAttempts = 50
	// opTimeout bounds each write on the event connection.
	opTimeout = 5 * time.Second
	// subscribeWait is how long Subscribe waits for Redis to confirm a
	// new subscription; after that it returns and the room's subscribers
	// get a resync once the subscription is confirmed.
	subscribeWait = 5 * time.Second
	// Backoff between attempts to connect the event connection.
	minBackoff = 100 * time.Millisecond
	maxBackoff = 2 * time.Second
	// pingPrefix marks the pings that confirm subscriptions.
	pingPrefix = "hearth-sub:"
)

// ErrClosed is returned by a Store's methods after Close.
var ErrClosed = errors.New("redisstore: store closed")

// Params configures a Store.
type Params struct {
	// Client is the Redis client (redis.NewClient, NewClusterClient,
	// NewFailoverClient or NewUniversalClient). The Store does not close
	// it. Set either Client or URL.
	Client redis.UniversalClient
	// URL is a redis:// or rediss:// URL, used when Client is nil. The
	// Store then owns its client and Close closes it.
	URL string
	// Log receives the Store's warnings; nil logs nothing. Only room ids
	// are logged, never what is in a room.
	Log *zap.Logger
	// Prefix starts every key and channel name; DefaultPrefix when empty.
	Prefix string
	// TTL is how long a room is kept after its last update; DefaultTTL
	// when zero.
	TTL time.Duration
	// HealthCheck: when the event connection has been silent this long it
	// is pinged, and when it stays silent as long again it is dropped and
	// made anew. DefaultHealthCheck when zero.
	HealthCheck time.Duration
}

// Store is a room.Store over Redis. Create it with New; it is safe for
// concurrent use. Close it when done.
type Store struct {
	client    redis.UniversalClient
	ownClient bool
	log       *zap.Logger
	prefix    string
	ttl       time.Duration
	health    time.Duration

	ctx    context.Context // done when the Store is closed
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	// psMu serialises what is written on the event connection (SUBSCRIBE,
	// UNSUBSCRIBE, PING) and its replacement, so that commands reach Redis
	// in the order the subscriptions changed. Lock order: psMu, then mu.
	psMu    sync.Mutex
	gen     uint64 // generation of the latest event connection; under psMu
	pingSeq uint64 // last confirming ping written; under psMu
	closed  bool   // under psMu

	ev       atomic.Pointer[eventConn] // the live event connection; nil while there is none
	lastRecv atomic.Int64              // when it last received anything, Unix ns

	// mu is the dispatch lock. It guards what follows and is held while
	// deliver functions run, which is what makes a subscriber's events
	// arrive one at a time and in order, and makes cancel final: once
	// cancel returns, deliver is not running and will not be called. So a
	// deliver function must not call the Store (cancel included).
	mu      sync.Mutex
	rooms   map[string]*roomSubs // by channel name
	nextSub uint64
	curGen  uint64 // generation of the live event connection; 0 while there is none
}

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

var _ room.Store = (*Store)(nil)

// New returns a Store over p.Client (or a client for p.URL), after
// checking that Redis answers.
func New(ctx context.Context, p Params) (*Store, error) {
	s := &Store{
		client: p.Client, log: p.Log, prefix: p.Prefix, ttl: p.TTL, health: p.HealthCheck,
		rooms: map[string]*roomSubs{},
	}
	switch {
	case p.Client != nil && p.URL != "":
		return nil, errors.New("redisstore: set Client or URL, not both")
	case p.Client == nil && p.URL == "":
		return nil, errors.New("redisstore: no Redis client nor URL")
	case p.Client == nil:
		opt, err := redis.ParseURL(p.URL)
		if err != nil {
			// The URL may hold a password: do not repeat it.
			return nil, errors.New("redisstore: the Redis URL is not valid (want redis://[user:password@]host:port[/db])")
		}
		s.client, s.ownClient = redis.NewClient(opt), true
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.prefix == "" {
		s.prefix = DefaultPrefix
	}
	if s.ttl <= 0 {
		s.ttl = DefaultTTL
	}
	if s.health <= 0 {
		s.health = DefaultHealthCheck
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	err := s.client.Ping(ctx).Err()
	if err == nil {
		// Connect the event connection now, so that the first Subscribe
		// does not find it missing.
		err = s.connect(ctx)
	}
	if err != nil {
		s.cancel()
		if s.ownClient {
			_ = s.client.Close()
		}
		return nil, fmt.Errorf("redisstore: redis does not answer: %w", err)
	}
	s.wg.Add(2)
	go s.receive()
	go s.watch()
	return s, nil
}

// Close stops delivering events and closes the event connection, and the
// client if the Store made it. Calls after the first do nothing.
func (s *Store) Close() {
	s.once.Do(func() {
		s.cancel()
		s.psMu.Lock()
		s.closed = true
		ec := s.ev.Swap(nil)
		s.psMu.Unlock()
		if ec != nil {
			_ = ec.ps.Close()
		}
		s.wg.Wait()
		if s.ownClient {
			_ = s.client.Close()
		}
	})
}

func (s *Store) stateKey(id room.RoomID) string { return s.prefix + "room:{" + id.String() + "}:state" }
func (s *Store) channel(id room.RoomID) string  { return s.prefix + "room:{" + id.String() + "}:events" }

// Create implements room.Store.
func (s *Store) Create(ctx context.Context, st *room.State) error {
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("redisstore: encode room %s: %w", st.ID, err)
	}
	ok, err := s.client.SetNX(ctx, s.stateKey(st.ID), b, s.ttl).Result()
	if err != nil {
		return fmt.Errorf("redisstore: create room %s: %w", st.ID, err)
	}
	if !ok {
		return room.ErrExists
	}
	return nil
}

// Get implements room.Store.
func (s *Store) Get(ctx context.Context, id room.RoomID) (*room.State, error) {
	if s.ctx.Err() != nil {
		return nil, ErrClosed
	}
	b, err := s.client.Get(ctx, s.stateKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, room.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("redisstore: get room %s: %w", id, err)
	}
	st, err := decodeState(b)
	if err != nil {
		return nil, fmt.Errorf("redisstore: get room %s: %w", id, err)
	}
	return st, nil
}

func decodeState(b []byte) (*room.State, error) {
	st := new(room.State)
	if err := json.Unmarshal(b, st); err != nil {
		return nil, fmt.Errorf("decode the stored state: %w", err)
	}
	// The rules write into these maps; a state that went through JSON
	// with none would have nil ones.
	if st.Participants == nil {
		st.Participants = map[room.ParticipantID]*room.Participant{}
	}
	if st.Identities == nil {
		st.Identities = map[string]room.ParticipantID{}
	}
	return st, nil
}

// fnError carries fn's error out of the transaction untouched.
type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

// Update implements room.Store. fn runs on a fresh copy of the stored
// state each time the transaction is tried.
func (s *Store) Update(ctx context.Context, id room.RoomID, fn func(*room.State) ([]room.Event, error)) ([]room.Event, error) {
	if s.ctx.Err() != nil {
		return nil, ErrClosed
	}
	key, ch := s.stateKey(id), s.channel(id)
	for attempt := 1; ; attempt++ {
		var evs []room.Event
		err := s.client.Watch(ctx, func(tx *redis.Tx) error {
			b, err := tx.Get(ctx, key).Bytes()
			if errors.Is(err, redis.Nil) {
				return room.ErrNotFound
			}
			if err != nil {
				return err
			}
			st, err := decodeState(b)
			if err != nil {
				return err
			}
			out, err := fn(st)
			if err != nil {
				return fnError{err}
			}
			nb, err := json.Marshal(st)
			if err != nil {
				return fmt.Errorf("encode room: %w", err)
			}
			msgs := make([][]byte, len(out))
			for i := range out {
				if msgs[i], err = json.Marshal(&out[i]); err != nil {
					return fmt.Errorf("encode event: %w", err)
				}
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				p.Set(ctx, key, nb, s.ttl)
				for _, m := range msgs {
					p.Publish(ctx, ch, m)
				}
				return nil
			})
			evs = out
			return err
		}, key)
		var fe fnError
		switch {
		case err == nil:
			return evs, nil
		case errors.As(err, &fe):
			return nil, fe.err
		case errors.Is(err, room.ErrNotFound):
			return nil, room.ErrNotFound
		case !errors.Is(err, redis.TxFailedErr):
			return nil, fmt.Errorf("redisstore: update room %s: %w", id, err)
		case attempt == maxAttempts:
			return nil, fmt.Errorf("redisstore: update room %s: %d concurrent updates won: %w", id, attempt, err)
		}
		// Another update won: try again after a short random pause, so
		// that the contenders spread out.
		pause := time.Duration(rand.Int64N(int64(min(attempt, 10)) * int64(time.Millisecond)))
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("redisstore: update room %s: %w", id, ctx.Err())
		case <-time.After(pause):
		}
	}
}

// Delete implements room.Store.
func (s *Store) Delete(ctx context.Context, id room.RoomID) error {
	if s.ctx.Err() != nil {
		return ErrClosed
	}
	n, err := s.client.Del(ctx, s.stateKey(id)).Result()
	if err != nil {
		return fmt.Errorf("redisstore: delete room %s: %w", id, err)
	}
	if n == 0 {
		return room.ErrNotFound
	}
	return nil
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
