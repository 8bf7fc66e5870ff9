package redisstore

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-meet/hearth/room"
)

// An update must give the rules the room's chat, but reading the whole
// list (up to room.MaxChatKept messages) for every command would make a
// command's cost grow with the chat. So each Store remembers the chat of
// the rooms it updates, and an update reads only the list's length and
// last element: a room's chat only grows at its end (message ids are
// never reused), loses its oldest messages or is cleared, so when both
// match, the list is the one remembered. A remembered chat is forgotten
// after chatCacheTTL without use, and at once when the chat is cleared.

// chatCacheTTL is how long a Store remembers a room's chat unused.
const chatCacheTTL = time.Minute

// cachedChat is a room's chat as this Store last read or wrote it.
type cachedChat struct {
	msgs  []room.ChatMessage
	last  string // the list's last element, as stored
	used  time.Time
	timer *time.Timer
}

// chatCache holds the remembered chats, by room.
type chatCache struct {
	mu    sync.Mutex // guards rooms and the entries
	rooms map[room.RoomID]*cachedChat
}

// probe is the cheap read of a room's chat: its length and last element.
type probe struct {
	n    *redis.IntCmd
	last *redis.StringCmd
}

func (s *Store) probeChat(ctx context.Context, p redis.Pipeliner, id room.RoomID) probe {
	key := s.chatKey(id)
	return probe{n: p.LLen(ctx, key), last: p.LIndex(ctx, key, -1)}
}

// lookup returns the remembered chat if the probe shows it unchanged.
func (c *chatCache) lookup(id room.RoomID, pr probe) ([]room.ChatMessage, bool) {
	n, err := pr.n.Result()
	if err != nil {
		return nil, false
	}
	if n == 0 {
		return nil, true
	}
	last, err := pr.last.Result()
	if err != nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.rooms[id]
	if e == nil || int64(len(e.msgs)) != n || e.last != last {
		return nil, false
	}
	e.used = time.Now()
	return slices.Clone(e.msgs), true
}

// remember keeps msgs as the room's chat; an empty chat is forgotten.
func (c *chatCache) remember(id room.RoomID, msgs []room.ChatMessage) {
	var last []byte
	if len(msgs) > 0 {
		last, _ = json.Marshal(&msgs[len(msgs)-1]) // as writeChat encodes it
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.rooms[id]
	if len(msgs) == 0 || last == nil {
		if e != nil {
			e.timer.Stop()
			delete(c.rooms, id)
		}
		return
	}
	if e == nil {
		e = &cachedChat{}
		e.timer = time.AfterFunc(chatCacheTTL, func() { c.expire(id, e) })
		if c.rooms == nil {
			c.rooms = map[room.RoomID]*cachedChat{}
		}
		c.rooms[id] = e
	}
	e.msgs, e.last, e.used = slices.Clone(msgs), string(last), time.Now()
}

// expire forgets e unless it was used within chatCacheTTL.
func (c *chatCache) expire(id room.RoomID, e *cachedChat) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rooms[id] != e {
		return
	}
	if idle := time.Since(e.used); idle < chatCacheTTL {
		e.timer.Reset(chatCacheTTL - idle)
		return
	}
	delete(c.rooms, id)
}

// forgetAll drops every remembered chat (the Store is closing).
func (c *chatCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, e := range c.rooms {
		e.timer.Stop()
		delete(c.rooms, id)
	}
}
