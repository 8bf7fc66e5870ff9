package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-meet/hearth/room"
)

// A room's chat is not in its state value, which every command rewrites:
// it is a list of its own, <prefix>room:{<id>}:chat, one JSON
// room.ChatMessage per element, oldest first, with the state's TTL. An
// update appends the new messages and trims the list to the state's; a
// chat cleared (End meeting, an empty meeting closed) deletes the list.

func (s *Store) chatKey(id room.RoomID) string { return s.prefix + "room:{" + id.String() + "}:chat" }

// encodeState returns the stored form of st: everything but the chat.
func encodeState(st *room.State) ([]byte, error) {
	c := *st
	c.Chat = nil
	return json.Marshal(&c)
}

// stored is what a read of a room returns: its state and chat, as stored.
type stored struct {
	state *redis.StringCmd
	chat  *redis.StringSliceCmd
}

// read queues the reads of a room's state and chat on p.
func (s *Store) read(ctx context.Context, p redis.Pipeliner, id room.RoomID) stored {
	return stored{state: p.Get(ctx, s.stateKey(id)), chat: p.LRange(ctx, s.chatKey(id), 0, -1)}
}

// decode returns the room's state with its chat; room.ErrNotFound when
// there is none.
func (r stored) decode() (*room.State, error) {
	st, err := stateOf(r.state)
	if err != nil {
		return nil, err
	}
	msgs, err := r.chat.Result()
	if err != nil {
		return nil, err
	}
	st.Chat, err = decodeChat(msgs)
	return st, err
}

// stateOf decodes the answer of a GET of a room's state key, without its
// chat; room.ErrNotFound when there is none.
func stateOf(cmd *redis.StringCmd) (*room.State, error) {
	b, err := cmd.Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, room.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeState(b)
}

func decodeChat(msgs []string) ([]room.ChatMessage, error) {
	if len(msgs) == 0 {
		return nil, nil
	}
	out := make([]room.ChatMessage, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal([]byte(m), &out[i]); err != nil {
			return nil, fmt.Errorf("decode the stored chat: %w", err)
		}
	}
	return out, nil
}

// readForUpdate reads the room's state within tx, with its chat as this
// Store remembers it when the list shows no change (see chatCache), else
// read in full.
func (s *Store) readForUpdate(ctx context.Context, tx *redis.Tx, id room.RoomID) (*room.State, error) {
	var state *redis.StringCmd
	var pr probe
	_, err := tx.Pipelined(ctx, func(p redis.Pipeliner) error {
		state = p.Get(ctx, s.stateKey(id))
		pr = s.probeChat(ctx, p, id)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	st, err := stateOf(state)
	if err != nil {
		return nil, err
	}
	if msgs, ok := s.chats.lookup(id, pr); ok {
		st.Chat = msgs
		return st, nil
	}
	all, err := tx.LRange(ctx, s.chatKey(id), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	st.Chat, err = decodeChat(all)
	return st, err
}

// writeChat queues on p what makes the stored chat, old, into cur:
// appending the new messages and trimming, or, when cur is not old with
// messages added at the end (the chat was cleared), writing it anew.
func (s *Store) writeChat(ctx context.Context, p redis.Pipeliner, id room.RoomID, old, cur []room.ChatMessage) error {
	key := s.chatKey(id)
	added, ok := appended(old, cur)
	if !ok {
		p.Del(ctx, key)
		added = cur
	}
	if len(added) > 0 {
		vals := make([]any, len(added))
		for i := range added {
			b, err := json.Marshal(&added[i])
			if err != nil {
				return fmt.Errorf("encode chat: %w", err)
			}
			vals[i] = b
		}
		p.RPush(ctx, key, vals...)
	}
	if len(cur) > 0 {
		p.LTrim(ctx, key, int64(-len(cur)), -1)
		p.PExpire(ctx, key, s.ttl)
	}
	return nil
}

// appended returns the messages cur has after those it shares with old,
// when cur is old's latest messages followed by new ones.
func appended(old, cur []room.ChatMessage) ([]room.ChatMessage, bool) {
	seen := make(map[string]bool, len(old))
	for i := range old {
		seen[old[i].ID] = true
	}
	k := 0
	for k < len(cur) && !seen[cur[len(cur)-1-k].ID] {
		k++
	}
	kept := cur[:len(cur)-k]
	if len(kept) > len(old) {
		return nil, false
	}
	tail := old[len(old)-len(kept):]
	for i := range kept {
		if kept[i] != tail[i] {
			return nil, false
		}
	}
	if len(kept) == 0 && len(old) > 0 {
		return nil, false // everything old went: write anew
	}
	return cur[len(cur)-k:], true
}
