package room

// The handlers of the moderation actions, in the order of actionTable
// (those of the waiting room are in waiting.go). Moderate has checked the
// actor and, for a targeted action, the target.

func (s *State) onLock(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	return s.setRoom(func() { s.Locked = true }), nil
}

func (s *State) onUnlock(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	return s.setRoom(func() { s.Locked = false }), nil
}

func (s *State) onLowerHand(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if !s.lowerHand(target.ID) {
		return nil, nil
	}
	return []Event{s.handsEvent()}, nil
}

func (s *State) onNextSpeaker(_, _ *Participant, _ ModCommand, now int64) ([]Event, error) {
	for _, id := range s.Hands {
		if p := s.Participants[id]; p != nil && p.Present && p.Status == StatusAdmitted {
			if err := s.segmentRefuses(p, "call on them in a segment where members speak"); err != nil {
				return nil, err
			}
			return s.callOn(p, now), nil
		}
	}
	return nil, badCommand("no hand is raised")
}

func (s *State) onLetSpeak(_, target *Participant, _ ModCommand, now int64) ([]Event, error) {
	if target.Status != StatusAdmitted {
		return nil, badCommand("they are still waiting")
	}
	if err := s.segmentRefuses(target, "call on them in a segment where members speak"); err != nil {
		return nil, err
	}
	return s.callOn(target, now), nil
}

// callOn gives the floor to p at now: their hand goes down, any running
// timer stops; in a format's segment with a share length, their share
// timer starts at once.
func (s *State) callOn(p *Participant, now int64) []Event {
	var evs []Event
	if s.lowerHand(p.ID) {
		evs = append(evs, s.handsEvent())
	}
	var t *Timer
	if seg := s.segment(); seg != nil && seg.ShareSeconds > 0 {
		t = &Timer{Speaker: p.ID, EndsAt: now + int64(seg.ShareSeconds)*1000, Seconds: seg.ShareSeconds, AutoMute: seg.AutoMute}
	}
	return append(evs, s.setRoom(func() { s.Speaker, s.Timer = p.ID, t })...)
}

// onEndTurn takes the floor back; where members speak only when called
// on (moderated mode, or such a segment), a member is muted.
func (s *State) onEndTurn(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if s.Speaker != target.ID {
		return nil, nil
	}
	evs := s.setRoom(func() { s.Speaker, s.Timer = ParticipantID{}, nil })
	if s.speaking() != SpeakOpen && !target.Role.Moderates() {
		evs = append(evs, s.forceMute(target)...)
	}
	return evs, nil
}

func (s *State) onMute(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	return s.forceMute(target), nil
}

func (s *State) onMuteAll(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	var evs []Event
	// Also those whose connection just dropped: they come back muted.
	for _, p := range s.sortedParticipants() {
		if !p.Role.Moderates() && !p.Removed && !p.Denied {
			evs = append(evs, s.forceMute(p)...)
		}
	}
	return evs, nil
}

// forceMute mutes p as a facilitator does; only a present participant's
// change is announced (others learn it when they come back).
func (s *State) forceMute(p *Participant) []Event {
	if p.Muted && p.MutedBy == MutedByFacilitator && !p.AskedToUnmute {
		return nil
	}
	p.Muted, p.MutedBy, p.AskedToUnmute = true, MutedByFacilitator, false
	if !p.Present {
		return nil
	}
	return []Event{s.participantEvent(EventUpdated, p)}
}

func (s *State) onAskUnmute(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if !target.Muted {
		return nil, nil
	}
	if err := s.segmentRefuses(target, "ask them in a segment where members speak"); err != nil {
		return nil, err
	}
	target.AskedToUnmute = true
	return []Event{s.participantEvent(EventAskUnmute, target)}, nil
}

func (s *State) onRemove(actor, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if target.ID == actor.ID {
		return nil, badCommand("you cannot remove yourself; leave instead")
	}
	target.Removed, target.Present = true, false
	evs := []Event{s.participantEvent(EventRemoved, target)}
	evs = append(evs, s.dropFloor(target.ID)...)
	if target.Role.Moderates() {
		evs = append(evs, s.checkAutoLock()...)
	}
	return evs, nil
}

func (s *State) onRename(_, target *Participant, c ModCommand, _ int64) ([]Event, error) {
	return s.rename(target, c.Name)
}

func (s *State) onCloseChat(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	return s.setRoom(func() { s.ChatOpen = false }), nil
}

func (s *State) onOpenChat(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	return s.setRoom(func() { s.ChatOpen = true }), nil
}

func (s *State) onDeleteChat(_, _ *Participant, c ModCommand, _ int64) ([]Event, error) {
	if !deleteFirst(&s.Chat, func(m ChatMessage) bool { return m.ID == c.MessageID }) {
		return nil, badCommand("no such message")
	}
	ev := s.next(EventChatDeleted)
	ev.MessageID = c.MessageID
	return []Event{ev}, nil
}

// onSuspend is "Suspend all activity": everyone but facilitators muted,
// every member's camera off and blocked, chat closed, room locked.
func (s *State) onSuspend(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.Role.Moderates() {
			continue
		}
		before := *p
		p.Muted, p.MutedBy, p.AskedToUnmute, p.Camera, p.CameraBlocked = true, MutedByFacilitator, false, false, true
		p.Screen = false
		if *p != before && p.Present {
			evs = append(evs, s.participantEvent(EventUpdated, p))
		}
	}
	return append(evs, s.setRoom(func() {
		s.ChatOpen, s.Locked, s.Suspended, s.Speaker, s.Timer = false, true, true, ParticipantID{}, nil
	})...), nil
}

// onResume lifts the block on cameras; chat and lock stay as they are.
func (s *State) onResume(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.CameraBlocked {
			p.CameraBlocked = false
			if p.Present {
				evs = append(evs, s.participantEvent(EventUpdated, p))
			}
		}
	}
	return append(evs, s.setRoom(func() { s.Suspended = false })...), nil
}

// onEndMeeting clears the meeting: participants, identities (and with them
// bans), hands, chat, floor and lock. The room and its settings remain.
func (s *State) onEndMeeting(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	return s.End(), nil
}

func (s *State) onPromote(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if target.Role != RoleMember || target.Status != StatusAdmitted {
		return nil, badCommand("only an admitted member can be promoted")
	}
	target.Role, target.CameraBlocked = RoleCoFacilitator, false
	return []Event{s.participantEvent(EventUpdated, target)}, nil
}

func (s *State) onDemote(_, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if target.Role == RoleMember {
		return nil, badCommand("they are a member already")
	}
	target.Role = RoleMember
	if !s.Settings.MembersCanShareScreen {
		target.Screen = false
	}
	if s.segmentRefuses(target, "") != nil {
		target.Muted, target.MutedBy = true, MutedByFacilitator
	}
	return append([]Event{s.participantEvent(EventUpdated, target)}, s.checkAutoLock()...), nil
}
