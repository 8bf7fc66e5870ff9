package main

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/signaling"
)

// others is what draining needs of the instances' registry
// (redisstore.Registry): to say this instance drains, and to know
// whether another one can take its participants.
type others interface {
	Drain(ctx context.Context) error
	Ready(ctx context.Context) (int, error)
}

// drainPoll: how often a draining instance looks for a ready instance to
// move its participants to, and whether its participants are gone.
const drainPoll = 500 * time.Millisecond

// drain runs the graceful drain that the first SIGTERM starts
// (docs/operations.md, "Draining and upgrades"): no new joins (/readyz
// fails from now on), running meetings go on; as soon as another
// instance is ready (cluster not nil), the participants are moved there.
// It returns when no participant is left here, at the deadline (timeout),
// or when ctx ends (a second signal); the caller then shuts down.
func drain(ctx context.Context, sig *signaling.Server, cluster others, timeout time.Duration, log *zap.Logger) {
	sig.Drain()
	if cluster != nil {
		dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		if err := cluster.Drain(dctx); err != nil {
			log.Warn("record the drain in the registry; the heartbeat retries", zap.Error(err))
		}
		cancel()
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	moved := false
	for {
		rooms, participants := sig.Counts()
		if participants == 0 {
			log.Info("drained: no participant left")
			return
		}
		if cluster != nil && !moved {
			rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			n, err := cluster.Ready(rctx)
			cancel()
			if err == nil && n > 0 {
				log.Info("moving participants to the other instances", zap.Int("ready_instances", n),
					zap.Int("meetings", rooms), zap.Int("participants", participants))
				sig.Move()
				moved = true
			}
		}
		select {
		case <-ctx.Done():
			log.Info("second signal: ending now", zap.Int("meetings", rooms), zap.Int("participants", participants))
			return
		case <-deadline.C:
			log.Info("drain deadline reached: ending now", zap.Duration("drain_timeout", timeout),
				zap.Int("meetings", rooms), zap.Int("participants", participants))
			return
		case <-tick.C:
		}
	}
}
