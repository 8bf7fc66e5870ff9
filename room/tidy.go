package room

import (
	"bytes"
	"cmp"
	"slices"
	"time"
)

// This file keeps a meeting's state bounded: people who left are pruned
// after the grace, bans shrink to a hash prefix, and a meeting nobody is
// in ends by itself (see CloseIdle and Service).

// ResumeGrace is how long a participant who left (or whose connection
// dropped) may come back as themselves, with their role, hand and mute;
// after it they are pruned from the meeting's state, identity included.
// It is also how long an empty meeting lasts: once nobody can come back
// as themselves, nothing is kept of it. Two minutes covers a reconnecting
// client, a reload and a restarted or failed-over instance.
const ResumeGrace = 2 * time.Minute

// MaxGoneKept bounds the people who left the waiting room kept for their
// return: when more have left within the grace (a churn of scripted joins
// and hang-ups through a public link), the ones gone longest are pruned
// first, so that the cost of a command stays flat. Admitted participants
// who left are bounded by the room's participant limit instead, so that
// when a whole meeting drops at once (an instance died) everyone can come
// back as themselves.
const MaxGoneKept = 24

// banHashLen is how much of an identity's hex hash a ban keeps: 128 bits.
const banHashLen = 32

// banKey is the key of an identity (by its hex hash) in State.Bans.
func banKey(hash string) string { return hash[:min(len(hash), banHashLen)] }

// Tidy prunes, at time now (Unix milliseconds), the participants gone for
// grace (milliseconds) or more, and the oldest gone beyond MaxGoneKept;
// a removed or denied one leaves a ban. It closes the meeting if it has
// been empty for grace (CloseIdle). The events say what the pruning
// changed for those present (the hand queue, the floor).
func (s *State) Tidy(now, grace int64) []Event {
	s.CloseIdle(now, grace)
	s.noteGone(now)
	due := s.dueGone(now, grace)
	if len(due) == 0 {
		return nil
	}
	hashes := map[ParticipantID][]string{}
	for h, id := range s.Identities {
		if slices.Contains(due, id) {
			hashes[id] = append(hashes[id], h)
		}
	}
	var evs []Event
	for _, id := range due {
		p := s.Participants[id]
		for _, h := range hashes[id] {
			if p.Removed || p.Denied {
				if s.Bans == nil {
					s.Bans = map[string]bool{}
				}
				s.Bans[banKey(h)] = p.Removed
			}
			delete(s.Identities, h)
		}
		evs = append(evs, s.dropFloor(id)...)
		delete(s.Participants, id)
		delete(s.Gone, id)
	}
	if len(s.Gone) == 0 {
		s.Gone = nil
	}
	return evs
}

// noteGone records when each participant not present was first seen gone.
func (s *State) noteGone(now int64) {
	for id, p := range s.Participants {
		switch _, known := s.Gone[id]; {
		case p.Present && known:
			delete(s.Gone, id)
		case !p.Present && !known:
			if s.Gone == nil {
				s.Gone = map[ParticipantID]int64{}
			}
			s.Gone[id] = now
		}
	}
	for id := range s.Gone {
		if _, ok := s.Participants[id]; !ok {
			delete(s.Gone, id)
		}
	}
	if len(s.Gone) == 0 {
		s.Gone = nil
	}
}

// dueGone returns the participants to prune: those whose grace is over,
// and the ones gone longest beyond the bounds (MaxGoneKept).
func (s *State) dueGone(now, grace int64) []ParticipantID {
	var waiting, admitted []ParticipantID
	for id := range s.Gone {
		if s.Participants[id].Status == StatusWaiting {
			waiting = append(waiting, id)
		} else {
			admitted = append(admitted, id)
		}
	}
	return append(s.due(waiting, MaxGoneKept, now, grace), s.due(admitted, s.maxParticipants(), now, grace)...)
}

// due returns, of ids, those gone for grace and the oldest beyond keep.
func (s *State) due(ids []ParticipantID, keep int, now, grace int64) []ParticipantID {
	slices.SortFunc(ids, func(a, b ParticipantID) int {
		return cmp.Or(cmp.Compare(s.Gone[a], s.Gone[b]), bytes.Compare(a[:], b[:]))
	})
	n := max(0, len(ids)-keep)
	for n < len(ids) && now-s.Gone[ids[n]] >= grace {
		n++
	}
	return ids[:n]
}

// nextDue returns when the next Tidy has something to do (Unix
// milliseconds): the end of someone's grace, or of the empty meeting's;
// zero when nothing is waiting for time to pass.
func (s *State) nextDue(grace int64) int64 {
	var next int64
	note := func(at int64) {
		if next == 0 || at < next {
			next = at
		}
	}
	if s.EmptySince != 0 {
		note(s.EmptySince + grace)
	}
	for _, at := range s.Gone {
		note(at + grace)
	}
	return next
}
