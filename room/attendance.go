package room

// Proofs of attendance (issue 14): the room says whether a participant may
// have one and what it states; signing is room/attest's. Nothing here
// lists who attended: the times live in the participant's record, which
// goes with the meeting.

// Attendance is what a participant's proof of attendance states, as the
// room knows it.
type Attendance struct {
	// Label is the meeting's public label (Settings.Label).
	Label string
	// AdmittedAt is when they were first let in (Unix milliseconds).
	AdmittedAt int64
	// Confirmed by a facilitator.
	Confirmed bool
}

// noteAdmitted stamps participants let in by the last command with the
// time (the first admission counts: moved to the waiting room and let in
// again, they keep it).
func (s *State) noteAdmitted(now int64) {
	for _, p := range s.Participants {
		if p.Status == StatusAdmitted && p.AdmittedAt == 0 {
			p.AdmittedAt = now
		}
	}
}

// Attendance returns what the actor's proof of attendance states, if the
// room gives proofs and they are in the meeting.
func (s *State) Attendance(a Actor) (Attendance, error) {
	p, err := s.admittedActor(a, "ask for a proof of attendance")
	if err != nil {
		return Attendance{}, err
	}
	if !s.Settings.AttendanceProof {
		return Attendance{}, notAllowed("this room does not give proofs of attendance")
	}
	return Attendance{Label: s.Settings.Label(s.Name), AdmittedAt: p.AdmittedAt, Confirmed: p.AttendanceConfirmed}, nil
}

// onConfirmAttendance confirms a participant's attendance for their proof.
func (s *State) onConfirmAttendance(actor, target *Participant, _ ModCommand, _ int64) ([]Event, error) {
	switch {
	case !s.Settings.AttendanceProof:
		return nil, notAllowed("this room does not give proofs of attendance")
	case target.ID == actor.ID:
		return nil, badCommand("you cannot confirm your own attendance")
	case target.Status != StatusAdmitted:
		return nil, badCommand("they are still waiting")
	case target.AttendanceConfirmed:
		return nil, nil
	}
	target.AttendanceConfirmed = true
	return []Event{s.participantEvent(EventAttendanceConfirmed, target)}, nil
}
