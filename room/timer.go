package room

// Timer is a running share timer.
type Timer struct {
	Speaker ParticipantID `json:"speaker"`
	// EndsAt is in Unix milliseconds.
	EndsAt   int64 `json:"endsAt"`
	Seconds  int   `json:"seconds"`
	AutoMute bool  `json:"autoMute"`
	// Warned: the 30-second warning was given.
	Warned bool `json:"warned,omitempty"`
}

// onStartTimer starts the share timer of the participant called on, for
// c.Seconds (when 0, the segment's share length, or the room's default).
func (s *State) onStartTimer(_, _ *Participant, c ModCommand, now int64) ([]Event, error) {
	if s.Speaker == (ParticipantID{}) {
		return nil, badCommand("call on someone first")
	}
	secs, auto := c.Seconds, s.Settings.AutoMute
	if seg := s.segment(); seg != nil && seg.ShareSeconds > 0 {
		auto = seg.AutoMute
		if secs == 0 {
			secs = seg.ShareSeconds
		}
	}
	if secs == 0 {
		secs = s.Settings.ShareSeconds
	}
	if secs < 10 || secs > 3600 {
		return nil, badCommand("a share lasts 10 to 3600 seconds")
	}
	if c.AutoMute != nil {
		auto = *c.AutoMute
	}
	t := &Timer{Speaker: s.Speaker, EndsAt: now + int64(secs)*1000, Seconds: secs, AutoMute: auto}
	return s.setRoom(func() { s.Timer = t }), nil
}

// onStopTimer stops the share timer.
func (s *State) onStopTimer(_, _ *Participant, _ ModCommand, _ int64) ([]Event, error) {
	if s.Timer == nil {
		return nil, nil
	}
	return s.setRoom(func() { s.Timer = nil }), nil
}

// Tick advances the share timer to now (Unix milliseconds): the warning 30
// seconds before the end, and the end itself, when the speaker's turn ends
// if the timer mutes. Any instance may call it; it does nothing twice.
func (s *State) Tick(now int64) []Event {
	t := s.Timer
	if t == nil {
		return nil
	}
	var evs []Event
	if !t.Warned && t.Seconds > 30 && now >= t.EndsAt-30_000 && now < t.EndsAt {
		t.Warned = true
		ev := s.targetEvent(EventTimerWarning, t.Speaker)
		ev.SecondsLeft = int((t.EndsAt - now + 999) / 1000)
		evs = append(evs, ev)
	}
	if now >= t.EndsAt {
		s.Timer = nil
		evs = append(evs, s.targetEvent(EventTimerEnded, t.Speaker))
		if t.AutoMute {
			if p, ok := s.Participants[t.Speaker]; ok && !p.Role.Moderates() && !p.Muted {
				p.Muted, p.MutedBy, p.AskedToUnmute = true, MutedByFacilitator, false
				evs = append(evs, s.participantEvent(EventUpdated, p))
			}
			if s.Speaker == t.Speaker {
				s.Speaker = ParticipantID{}
			}
		}
		evs = append(evs, s.roomEvent())
	}
	return evs
}
