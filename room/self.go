package room

import (
	"fmt"
	"slices"
)

// SelfUpdate is a change a participant makes to their own state. Nil
// fields are left as they are.
type SelfUpdate struct {
	Muted  *bool
	Camera *bool
}

// SetSelf changes the participant's own microphone and camera state. A
// member may unmute only when the room's rules let them: in open mode
// unless a facilitator muted them, in moderated mode only while called on
// or when a facilitator asked them to.
func (s *State) SetSelf(a Actor, u SelfUpdate) ([]Event, error) {
	p, err := s.actor(a)
	if err != nil {
		return nil, err
	}
	next := *p
	if u.Muted != nil && *u.Muted != p.Muted {
		if *u.Muted {
			next.Muted, next.MutedBy = true, MutedBySelf
		} else {
			if err := s.mayUnmute(p); err != nil {
				return nil, err
			}
			next.Muted, next.MutedBy, next.AskedToUnmute = false, "", false
		}
	}
	if u.Camera != nil && *u.Camera != p.Camera {
		if *u.Camera && p.CameraBlocked && !p.Role.Moderates() {
			return nil, notAllowed("cameras are off while the facilitator has suspended activity")
		}
		next.Camera = *u.Camera
	}
	if next == *p {
		return nil, nil
	}
	*p = next
	return []Event{s.participantEvent(EventUpdated, p)}, nil
}

// mayUnmute returns nil when p may unmute now, or why not. Facilitators
// always may; in a segment where only facilitators speak, no member may;
// otherwise the one called on or asked to unmute may, and, where anyone
// may speak, members nobody else muted.
func (s *State) mayUnmute(p *Participant) error {
	if p.Role.Moderates() {
		return nil
	}
	if err := s.segmentRefuses(p, "your microphone stays off"); err != nil {
		return err
	}
	if p.AskedToUnmute || s.Speaker == p.ID {
		return nil
	}
	open, seg := s.speaking() == SpeakOpen, s.segment()
	switch {
	case open && p.MutedBy != MutedByFacilitator:
		return nil
	case p.MutedBy == MutedByFacilitator && (open || seg == nil):
		return notAllowed("the facilitator muted you; you can unmute when they call on you or ask you to")
	case seg != nil:
		return notAllowed(fmt.Sprintf("during %q you can unmute when the facilitator calls on you; raise your hand to share", seg.Title))
	}
	return notAllowed("in this meeting you can unmute when the facilitator calls on you")
}

// RaiseHand puts the participant's hand up, at the end of the queue.
func (s *State) RaiseHand(a Actor) ([]Event, error) {
	p, err := s.admittedActor(a, "raise your hand")
	if err != nil {
		return nil, err
	}
	if err := s.segmentRefuses(p, "hands are taken in a later segment"); err != nil {
		return nil, err
	}
	if slices.Contains(s.Hands, p.ID) {
		return nil, nil
	}
	s.Hands = append(s.Hands, p.ID)
	return []Event{s.handsEvent()}, nil
}

// LowerHand takes the participant's hand down.
func (s *State) LowerHand(a Actor) ([]Event, error) {
	p, err := s.admittedActor(a, "raise and lower your hand")
	if err != nil {
		return nil, err
	}
	if !s.lowerHand(p.ID) {
		return nil, nil
	}
	return []Event{s.handsEvent()}, nil
}

// Rename changes the participant's own name, if the room allows it and
// they are in the meeting: people waiting keep the name they came with
// (a facilitator may still rename them).
func (s *State) Rename(a Actor, name string) ([]Event, error) {
	p, err := s.admittedActor(a, "change your name")
	if err != nil {
		return nil, err
	}
	if !p.Role.Moderates() && !s.Settings.SelfRename {
		return nil, notAllowed("the facilitator has turned off renaming")
	}
	name, err = s.ownName(name)
	if err != nil {
		return nil, err
	}
	return s.rename(p, name)
}

// rename gives p the name; a facilitator's rename of someone (onRename)
// comes here with any name CleanName accepts, also in a room with the
// first-names-only policy: telling two Sams apart ("Sam B.") is the
// facilitator's call.
func (s *State) rename(p *Participant, name string) ([]Event, error) {
	name, err := CleanName(name)
	if err != nil {
		return nil, err
	}
	if name == p.Name {
		return nil, nil
	}
	p.Name = name
	return []Event{s.participantEvent(EventUpdated, p)}, nil
}
