// Package redisstore is the room.Store that keeps rooms in Redis, so that
// several Hearth instances share them: every instance sees the same state
// and receives every room's events.
//
// # Keys and channels
//
// A room's State, but for its chat, is one JSON value at
// <prefix>room:{<id>}:state; the running meeting's chat is a list at
// <prefix>room:{<id>}:chat (see chat.go), so that a command does not
// rewrite it. Its events are published, one JSON room.Event per message,
// on the channel <prefix>room:{<id>}:events. The braces are a Redis
// Cluster hash tag: all of a room's keys live in one slot. Both keys have
// a TTL (Params.TTL), set when the room is created and renewed by every
// update, so a room nobody uses disappears by itself; Delete removes them
// at once. Nothing else is stored.
//
// # Updates
//
// Update is optimistic: WATCH the state key, GET it and the chat, run fn
// on the decoded copy, then in one MULTI/EXEC write the new state (with
// its TTL), append the new chat messages, and PUBLISH the events. The chat
// list is written only in those transactions, so watching the state key
// covers it too. When another update won in between, EXEC fails and
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
	"slices"
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
	// URL is a redis://, rediss:// or redis-sentinel:// URL (see
	// NewClient), used when Client is nil. The
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

	// roomLocks serialise this instance's updates of a room (by the last
	// byte of its id), so that only other instances' updates contend for
	// its WATCH: optimistic retries among many local writers of one room
	// would otherwise grow without bound under a churn.
	// Each is a semaphore of capacity 1, so that waiting for it honours
	// the caller's context.
	roomLocks [256]chan struct{}
	// releaseTurn deletes a room's turn key if it still holds our token.
	releaseTurn *redis.Script
	// yieldUntil is, per lock, until when this instance lets the others
	// take the room's turn first (Unix ns); see takeTurn.
	yieldUntil [256]atomic.Int64
	chats      chatCache // the chats of the rooms this Store updates

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

var _ room.Store = (*Store)(nil)

// New returns a Store over p.Client (or a client for p.URL), after
// checking that Redis answers.
func New(ctx context.Context, p Params) (*Store, error) {
	s := &Store{
		client: p.Client, log: p.Log, prefix: p.Prefix, ttl: p.TTL, health: p.HealthCheck,
		rooms:       map[string]*roomSubs{},
		releaseTurn: redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`),
	}
	for i := range s.roomLocks {
		s.roomLocks[i] = make(chan struct{}, 1)
	}
	switch {
	case p.Client != nil && p.URL != "":
		return nil, errors.New("redisstore: set Client or URL, not both")
	case p.Client == nil && p.URL == "":
		return nil, errors.New("redisstore: no Redis client nor URL")
	case p.Client == nil:
		c, err := NewClient(p.URL)
		if err != nil {
			// NewClient's errors never repeat the URL, which may hold a password.
			return nil, fmt.Errorf("redisstore: the Redis URL is not valid: %w", err)
		}
		s.client, s.ownClient = c, true
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
		s.chats.forgetAll()
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
	b, err := encodeState(st)
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
	if len(st.Chat) == 0 {
		return nil
	}
	_, err = s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		return s.writeChat(ctx, p, st.ID, nil, st.Chat)
	})
	if err != nil {
		return fmt.Errorf("redisstore: create room %s: %w", st.ID, err)
	}
	return nil
}

// Get implements room.Store.
func (s *Store) Get(ctx context.Context, id room.RoomID) (*room.State, error) {
	if s.ctx.Err() != nil {
		return nil, ErrClosed
	}
	var r stored
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		r = s.read(ctx, p, id)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: get room %s: %w", id, err)
	}
	st, err := r.decode()
	if errors.Is(err, room.ErrNotFound) {
		return nil, room.ErrNotFound
	}
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
	slot := int(id[len(id)-1])
	select {
	case s.roomLocks[slot] <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-s.roomLocks[slot] }()
	defer s.takeTurn(ctx, id, slot)()
	for attempt := 1; ; attempt++ {
		var evs []room.Event
		var chat []room.ChatMessage
		err := s.client.Watch(ctx, func(tx *redis.Tx) error {
			st, err := s.readForUpdate(ctx, tx, id)
			if err != nil {
				return err
			}
			oldChat := slices.Clone(st.Chat) // fn may change st.Chat in place
			out, err := fn(st)
			if err != nil {
				return fnError{err}
			}
			nb, err := encodeState(st)
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
				if err := s.writeChat(ctx, p, id, oldChat, st.Chat); err != nil {
					return err
				}
				for _, m := range msgs {
					p.Publish(ctx, ch, m)
				}
				return nil
			})
			evs, chat = out, st.Chat
			return err
		}, key)
		var fe fnError
		switch {
		case err == nil:
			s.chats.remember(id, chat)
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
	n, err := s.client.Del(ctx, s.stateKey(id), s.chatKey(id), s.turnKey(id)).Result()
	if err != nil {
		return fmt.Errorf("redisstore: delete room %s: %w", id, err)
	}
	if n == 0 {
		return room.ErrNotFound
	}
	return nil
}
