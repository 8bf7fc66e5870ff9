package room

// The waiting room's rules. A room's member link is often public (that is
// how newcomers find a group), so the waiting room is built to hold
// whoever comes through it without harming the meeting: people waiting
// have their own cap (MaxWaiting) and do not count toward the meeting's
// (MaxParticipants), they may not rename themselves, chat or raise hands
// (admittedActor refuses them), and a facilitator can turn them all away
// at once (ActDenyAll). A facilitator may talk with someone waiting before
// letting them in (see SendChat), and send an admitted member back to wait
// (ActMoveToWaiting).

// maxParticipants is how many people the meeting admits.
func (s *State) maxParticipants() int {
	if s.Settings.MaxParticipants > 0 {
		return s.Settings.MaxParticipants
	}
	return DefaultMaxParticipants
}

// maxWaiting is how many people the waiting room holds.
func (s *State) maxWaiting() int {
	if s.Settings.MaxWaiting > 0 {
		return s.Settings.MaxWaiting
	}
	return DefaultMaxWaiting
}

// admittedCount is how many people are in the meeting (facilitators too).
func (s *State) admittedCount() int { return s.countPresent(StatusAdmitted) }

// waitingCount is how many people are in the waiting room.
func (s *State) waitingCount() int { return s.countPresent(StatusWaiting) }

func (s *State) countPresent(status Status) int {
	n := 0
	for _, p := range s.Participants {
		if p.Present && p.Status == status {
			n++
		}
	}
	return n
}

func (s *State) onAdmit(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if target.Status == StatusWaiting && s.admittedCount() >= s.maxParticipants() {
		return nil, ErrFull
	}
	return s.admit(target)
}

func (s *State) onDeny(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if target.Status != StatusWaiting {
		return nil, badCommand("they are not waiting")
	}
	return []Event{s.deny(target)}, nil
}

// onAdmitAll lets in everyone waiting, as long as the meeting has room;
// those beyond its cap stay waiting. When nobody could be let in for want
// of room, it fails with ErrFull.
func (s *State) onAdmitAll(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	var evs []Event
	room := s.maxParticipants() - s.admittedCount()
	full := false
	for _, p := range s.sortedParticipants() {
		if !p.Present || p.Status != StatusWaiting {
			continue
		}
		if room <= 0 {
			full = true
			break
		}
		e, _ := s.admit(p)
		evs = append(evs, e...)
		room--
	}
	if full && len(evs) == 0 {
		return nil, ErrFull
	}
	return evs, nil
}

// onDenyAll turns away everyone in the waiting room, also those whose
// connection dropped (so that they cannot come back to wait again with
// their identity). Only those present are told.
func (s *State) onDenyAll(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.Status != StatusWaiting || p.Denied || p.Removed {
			continue
		}
		if p.Present {
			evs = append(evs, s.deny(p))
		} else {
			p.Denied = true
		}
	}
	return evs, nil
}

func (s *State) admit(p *Participant) ([]Event, error) {
	if p.Status != StatusWaiting {
		return nil, badCommand("they are not waiting")
	}
	p.Status = StatusAdmitted
	return []Event{s.participantEvent(EventUpdated, p)}, nil
}

// deny turns away a waiting person; their identity is barred from the
// meeting.
func (s *State) deny(p *Participant) Event {
	p.Denied, p.Present = true, false
	return s.participantEvent(EventDenied, p)
}

// onMoveToWaiting sends an admitted member back to the waiting room: their
// hand goes down, they lose the floor, they are muted by the facilitator
// and their camera is off, so that admitting them again brings them back
// quietly. The others see them leave (a left event with their record as
// it was); facilitators and the person then see them waiting. Their media
// stops at once, since only admitted participants' media is forwarded.
func (s *State) onMoveToWaiting(actor, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	switch {
	case target.ID == actor.ID:
		return nil, badCommand("you cannot send yourself to the waiting room")
	case target.Status != StatusAdmitted:
		return nil, badCommand("they are already waiting")
	case target.Role != RoleMember:
		return nil, badCommand("only a member can be moved to the waiting room; demote them first")
	}
	evs := []Event{s.participantEvent(EventLeft, target)}
	evs = append(evs, s.dropFloor(target.ID)...)
	target.Status = StatusWaiting
	target.Muted, target.MutedBy, target.AskedToUnmute, target.Camera = true, MutedByFacilitator, false, false
	target.Screen = false
	return append(evs, s.participantEvent(EventUpdated, target)), nil
}
