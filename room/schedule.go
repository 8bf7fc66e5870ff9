package room

import (
	"context"
	"errors"
	"time"
)

// This file holds the Service's timers: the tidy of a meeting when
// someone's grace, or the empty meeting's, ends (see Service).

const (
	// tidyTimeout bounds one timed tidy of a room's state.
	tidyTimeout = 5 * time.Second
	// tidyRetry is how long after a failed timed tidy it is tried again,
	// and tidyAttempts how often, before it waits for the next command.
	tidyRetry    = time.Second
	tidyAttempts = 5
)

// pendingTidy is a room's timed tidy: due at (Unix milliseconds).
type pendingTidy struct {
	at   int64
	stop func() bool
}

// schedule arranges a tidy of the room at time at (Unix milliseconds),
// unless one is due earlier.
func (s *Service) schedule(id RoomID, at int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.due[id]; ok {
		if p.at <= at {
			return
		}
		p.stop()
	}
	d := max(0, time.Duration(at-s.now().UnixMilli())*time.Millisecond)
	s.due[id] = pendingTidy{at: at, stop: s.after(d, func() { s.fire(id, at, 1) })}
}

// fire runs a room's timed tidy: the rules prune who is due and close the
// meeting if it has been empty for the grace; what is still to come is
// scheduled again by update.
func (s *Service) fire(id RoomID, at int64, attempt int) {
	s.mu.Lock()
	if p, ok := s.due[id]; !ok || p.at != at {
		s.mu.Unlock()
		return // replaced by an earlier one
	}
	delete(s.due, id)
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), tidyTimeout)
	defer cancel()
	err := s.Tidy(ctx, id)
	if err == nil || errors.Is(err, ErrNotFound) || attempt >= tidyAttempts {
		return // a failed tidy waits for the room's next command
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.due[id]; !ok {
		retry := s.now().Add(tidyRetry).UnixMilli()
		s.due[id] = pendingTidy{at: retry, stop: s.after(tidyRetry, func() { s.fire(id, retry, attempt+1) })}
	}
}

// Tidy prunes the room's participants whose grace has ended and closes
// its meeting if it has been empty for the grace (see State.Tidy). The
// Service calls it by itself when the grace ends; calling it again does
// nothing more.
func (s *Service) Tidy(ctx context.Context, id RoomID) error {
	_, err := s.update(ctx, id, func(*State, int64) ([]Event, error) { return nil, nil })
	return err
}
