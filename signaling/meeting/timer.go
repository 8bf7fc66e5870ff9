package meeting

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
)

// This file holds the owner's timed duties: the share timer's tick and
// the retries of what the shared state did not take.

// planTimer runs the share-timer tick while a share timer runs. Every
// instance with people in the room ticks; room.State.Tick does nothing
// twice.
func (m *Meeting) planTimer() {
	switch running := m.info.Timer != nil; {
	case running && m.ticker == nil:
		m.ticker = time.NewTicker(time.Second)
	case !running && m.ticker != nil:
		m.ticker.Stop()
		m.ticker = nil
	}
}

// tick is the share timer's channel, nil while no timer runs.
func (m *Meeting) tick() <-chan time.Time {
	if m.ticker == nil {
		return nil
	}
	return m.ticker.C
}

// tickTimer advances the share timer, from a goroutine of its own so that
// the owner never waits for the shared state.
func (m *Meeting) tickTimer() {
	if m.ticking {
		return
	}
	m.ticking = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		err := m.ms.p.Rooms.Tick(ctx, m.id)
		cancel()
		if err != nil {
			m.log.Debug("tick share timer", zap.Error(err))
		}
		m.do(func() { m.ticking = false })
	}()
}

// retry tries again what failed: reloading the room's state, and leaves
// the shared state did not take.
func (m *Meeting) retry() {
	if m.loading {
		m.fetch()
	}
	if len(m.leaves) == 0 {
		return
	}
	leaves := m.leaves
	m.leaves = nil
	go func() {
		var failed []pendingLeave
		ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
		defer cancel()
		for _, l := range leaves {
			err := m.ms.p.Rooms.Leave(ctx, m.id, l.actor, l.explicit)
			if err != nil && !errors.Is(err, room.ErrNotFound) {
				failed = append(failed, l)
			}
		}
		m.do(func() {
			m.leaves = append(m.leaves, failed...)
			for range len(leaves) - len(failed) {
				m.ms.release(m)
			}
		})
	}()
}
