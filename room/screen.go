package room

import "fmt"

// ErrScreenNotAllowed: a member asked to share their screen in a room
// whose settings do not let members share (Settings.MembersCanShareScreen).
// It is an ErrForbidden.
var ErrScreenNotAllowed = fmt.Errorf("%w: only facilitators can share their screen in this meeting; "+
	"a facilitator can allow members to", ErrForbidden)

// ShareScreen starts or stops the participant's screen share. Facilitators
// may always share; members only when the room's settings allow it, and
// not while activity is suspended. One screen is shared at a time: a
// facilitator who starts sharing takes over from whoever shared; a member
// must wait until nobody shares. The server forwards a shared screen only
// while its sharer's Screen is set (signaling/meeting's gate).
func (s *State) ShareScreen(a Actor, on bool) ([]Event, error) {
	p, err := s.admittedActor(a, "share your screen")
	if err != nil {
		return nil, err
	}
	if !on {
		if !p.Screen {
			return nil, nil
		}
		p.Screen = false
		return []Event{s.participantEvent(EventUpdated, p)}, nil
	}
	if p.Screen {
		return nil, nil
	}
	if !p.Role.Moderates() {
		switch {
		case !s.Settings.MembersCanShareScreen:
			return nil, ErrScreenNotAllowed
		case p.CameraBlocked:
			return nil, notAllowed("screens are off while the facilitator has suspended activity")
		}
	}
	var evs []Event
	for _, o := range s.sortedParticipants() {
		if !o.Screen || o.ID == p.ID {
			continue
		}
		if !p.Role.Moderates() {
			return nil, notAllowed("someone else is sharing their screen; you can share when they stop")
		}
		o.Screen = false
		evs = append(evs, s.participantEvent(EventUpdated, o))
	}
	p.Screen = true
	return append(evs, s.participantEvent(EventUpdated, p)), nil
}

// stopMembersScreens stops the screen share of every member (the room no
// longer lets members share, or activity is suspended) and returns the
// events.
func (s *State) stopMembersScreens() []Event {
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.Screen && !p.Role.Moderates() {
			p.Screen = false
			if p.Present {
				evs = append(evs, s.participantEvent(EventUpdated, p))
			}
		}
	}
	return evs
}
