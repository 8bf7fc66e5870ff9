package redisstore

import (
	"context"
	"math/rand/v2"
	"time"

	"github.com/hearth-meet/hearth/room"
)

// Updates of one room take turns across instances: before its WATCH, an
// update takes the room's turn, a key <prefix>room:{<id>}:turn set with
// NX, holding a random token and expiring after turnTTL, and deletes it
// once done. Within an instance, updates of a room queue on a local lock
// first (Store.roomLocks), so at most one update per instance waits for
// the turn. Without turns, writers of a busy room on several instances
// keep failing each other's transactions and each retry redoes the whole
// update: under a churn of joins, a command waited seconds. The WATCH
// stays: an update whose turn expired, or that gave up waiting for it,
// is still safe.

const (
	// turnTTL bounds how long an instance that died holding a turn keeps
	// the others waiting.
	turnTTL = 2 * time.Second
	// turnWait bounds how long an update waits for the turn before it
	// goes ahead without (the WATCH still guards it).
	turnWait = 2 * time.Second
	// turnPoll is the first pause between attempts to take a busy turn;
	// it doubles up to turnPollMax, so that an instance that died holding
	// a turn is not answered with thousands of attempts a second.
	turnPoll    = 100 * time.Microsecond
	turnPollMax = 10 * time.Millisecond
	// turnYield: an instance that found the turn busy, handing it back,
	// waits this long before taking it again for its next update, so that
	// the other instances waiting get it (a busy turn is not fair by
	// itself: the instance that hands it back is the first to see it free).
	turnYield = time.Millisecond
)

func (s *Store) turnKey(id room.RoomID) string { return s.prefix + "room:{" + id.String() + "}:turn" }

// takeTurn waits for the room's turn and returns what hands it back. It
// gives up waiting (and returns a release that does nothing) after
// turnWait or when ctx ends.
func (s *Store) takeTurn(ctx context.Context, id room.RoomID, slot int) func() {
	if time.Now().UnixNano()-s.yieldUntil[slot].Load() < 0 {
		time.Sleep(turnYield)
	}
	busy := false
	key, token := s.turnKey(id), room.NewSecret()
	deadline := time.Now().Add(turnWait)
	pause := turnPoll
	for {
		ok, err := s.client.SetNX(ctx, key, token, turnTTL).Result()
		if err != nil || ctx.Err() != nil {
			return func() {}
		}
		if ok {
			return func() {
				rctx, cancel := context.WithTimeout(context.Background(), opTimeout)
				_ = s.releaseTurn.Run(rctx, s.client, []string{key}, token).Err()
				cancel()
				if busy {
					s.yieldUntil[slot].Store(time.Now().Add(turnYield).UnixNano())
				}
			}
		}
		busy = true
		if time.Now().After(deadline) {
			return func() {}
		}
		time.Sleep(pause + time.Duration(rand.Int64N(int64(pause))))
		pause = min(2*pause, turnPollMax)
	}
}
