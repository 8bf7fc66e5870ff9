package room

import "errors"

// ErrIdentityInUse refuses a join that brings the identity of a
// participant whose connection is still alive: a resume never takes over
// a live connection (the session decides, after a probe; see Probe).
var ErrIdentityInUse = errors.New("this identity is in use on a live connection")

// Probe asks whoever holds the connection of the participant whose
// identity token req brings whether that connection is still alive. If the
// participant is present, it returns an EventProbe (seen by no client)
// with their record (and so their connection, Conn and Instance) and
// probe as its Probe; otherwise no event, and nothing to wait for.
//
// The session holding that connection pings its client and, if it
// answers in time, applies Alive; the joining session waits for that
// answer (signaling/liveness.go).
//
// A wrong facilitator key is refused first (ErrForbidden), as Join does:
// it gets nobody pinged.
func (s *State) Probe(req JoinRequest, probe string) ([]Event, error) {
	if req.FacilitatorKey != "" && !s.facilitatorKeyOK(req.FacilitatorKey) {
		return nil, ErrForbidden
	}
	if req.Identity == "" || probe == "" {
		return nil, nil
	}
	id, ok := s.Identities[hashSecret(req.Identity)]
	p := s.Participants[id]
	if !ok || p == nil || !p.Present {
		return nil, nil
	}
	ev := s.participantEvent(EventProbe, p)
	ev.Probe = probe
	return []Event{ev}, nil
}

// Alive answers probe for the actor: their connection answered a ping.
// It returns an EventAlive (seen by no client) naming the actor, with the
// probe, if the actor is present on that connection; otherwise nothing
// (the connection was replaced or left meanwhile).
func (s *State) Alive(a Actor, probe string) ([]Event, error) {
	p, err := s.actor(a)
	if err != nil || probe == "" {
		return nil, nil
	}
	ev := s.participantEvent(EventAlive, p)
	ev.Probe = probe
	return []Event{ev}, nil
}
