package room

import (
	"crypto/subtle"
	"slices"
)

// JoinRequest is what a person brings when they join.
type JoinRequest struct {
	// Name is the display name; ignored when Identity is accepted.
	Name string
	// FacilitatorKey, when it matches the room's, makes the joiner a facilitator.
	FacilitatorKey string
	// Identity is the token from an earlier join; with it the participant
	// comes back as themselves.
	Identity string
	// Muted and Camera, when set, give the joiner's microphone and camera
	// state. A returning participant can only turn them off here (a
	// microphone or camera that is missing now).
	Muted  *bool
	Camera *bool
	// Instance is the server instance the joiner is connected to.
	Instance string
	// Passcode is the room's passcode, which a newcomer must bring when
	// the room has one (not needed with the facilitator key or a
	// returning identity).
	Passcode string
	// MemberKey is the "k" of the room's member link; a newcomer must
	// bring it (ErrBadLink) unless they bring the facilitator key or an
	// Invite.
	MemberKey string
	// Invite is the token of a per-person invite link ("i"). A use is
	// taken only by a newcomer's join (not by a returning identity).
	Invite string
	// NewHere: the newcomer says they are new to the group (shown to
	// facilitators only). A returning participant keeps what they said
	// at their first join.
	NewHere bool

	// invited: the Service took a use of Invite for this join.
	invited bool
}

// Joined is the result of a successful join.
type Joined struct {
	Self Participant
	// Identity is the participant's identity token.
	Identity string
	// Snapshot is the room right after the join.
	Snapshot *State
}

// Join brings a participant into the meeting, or into its waiting room.
// A new participant gets newID and the identity token newIdentity (both
// chosen by the caller, so that Join stays deterministic); a returning one
// (req.Identity) keeps theirs.
//
// Only a join with the facilitator key makes or keeps a facilitator: an
// identity token alone never brings back a facilitator's powers. A
// facilitator's identity without the key is refused (ErrKeyRequired); a
// co-facilitator's comes back as a member, whom a facilitator may promote
// again.
func (s *State) Join(req JoinRequest, newID ParticipantID, newIdentity string) (Joined, []Event, error) {
	isFacilitator := false
	if req.FacilitatorKey != "" {
		if !s.facilitatorKeyOK(req.FacilitatorKey) {
			return Joined{}, nil, ErrForbidden
		}
		isFacilitator = true
	}
	p, identity, err := s.resume(req, isFacilitator)
	if err != nil {
		return Joined{}, nil, err
	}
	if p == nil {
		if p, err = s.newcomer(req, newID, isFacilitator); err != nil {
			return Joined{}, nil, err
		}
		s.Participants[newID] = p
		s.Identities[hashSecret(newIdentity)] = newID
		identity = newIdentity
	}
	demoted := false
	switch {
	case isFacilitator:
		p.Role, p.Status = RoleFacilitator, StatusAdmitted
	case p.Role == RoleCoFacilitator:
		p.Role, demoted = RoleMember, true // see above: no powers without the key
	}
	if req.Muted != nil && *req.Muted && !p.Muted {
		p.Muted, p.MutedBy = true, MutedBySelf
	}
	if req.Camera != nil && !*req.Camera {
		p.Camera = false
	}
	// Someone coming back with a raised hand: the others dropped the
	// hand from their view when they left, and get the queue again.
	handBack := !p.Present && slices.Contains(s.Hands, p.ID)
	p.Screen = false // a new connection shares nothing yet
	p.Present = true
	p.Conn++
	p.Instance = req.Instance
	evs := []Event{s.participantEvent(EventJoined, p)}
	if handBack {
		evs = append(evs, s.handsEvent())
	}
	if p.Role.Moderates() && s.AutoLocked {
		s.AutoLocked = false
		evs = append(evs, s.roomEvent())
	}
	if demoted {
		evs = append(evs, s.checkAutoLock()...)
	}
	return Joined{Self: *p, Identity: identity, Snapshot: s.Clone()}, evs, nil
}

// resume finds the participant whose identity req brings, if any, and
// checks that they may come back.
func (s *State) resume(req JoinRequest, isFacilitator bool) (*Participant, string, error) {
	if req.Identity == "" {
		return nil, "", nil
	}
	hash := hashSecret(req.Identity)
	if removed, banned := s.Bans[banKey(hash)]; banned {
		if removed {
			return nil, "", ErrRemoved
		}
		return nil, "", ErrDenied
	}
	id, ok := s.Identities[hash]
	p := s.Participants[id]
	switch {
	case !ok || p == nil:
		return nil, "", ErrUnknownIdentity
	case p.Removed:
		return nil, "", ErrRemoved
	case p.Denied:
		return nil, "", ErrDenied
	case p.Role == RoleFacilitator && !isFacilitator:
		return nil, "", ErrKeyRequired
	case p.Status == StatusWaiting && !p.Present && !isFacilitator && s.waitingCount() >= s.maxWaiting():
		// Leaving and coming back must not get round the waiting room's cap.
		return nil, "", ErrWaitingRoomFull
	}
	return p, req.Identity, nil
}

// newcomer checks a new person's join and returns their record. People
// waiting count toward the waiting room's cap, not toward the meeting's:
// a public link filled with waiting bots does not lock members out of the
// meeting. Facilitators always get in.
func (s *State) newcomer(req JoinRequest, id ParticipantID, isFacilitator bool) (*Participant, error) {
	name, err := s.ownName(req.Name)
	if err != nil {
		return nil, err
	}
	p := &Participant{ID: id, Name: name, Role: RoleMember, Status: StatusAdmitted, Camera: true, NewHere: req.NewHere}
	if isFacilitator {
		return p, nil
	}
	switch {
	case req.invited:
		p.Invited = true
	case s.MemberKeyHash != "" && !keyOK(req.MemberKey, s.MemberKeyHash):
		return nil, ErrBadLink
	}
	p.LinkGen = s.LinkGen
	if err := s.checkPasscode(req.Passcode); err != nil {
		return nil, err
	}
	switch {
	case s.Locked || s.AutoLocked:
		return nil, ErrLocked
	case s.Settings.WaitingRoom && s.waitingCount() >= s.maxWaiting():
		return nil, ErrWaitingRoomFull
	case !s.Settings.WaitingRoom && s.admittedCount() >= s.maxParticipants():
		return nil, ErrFull
	}
	if s.Settings.WaitingRoom {
		p.Status = StatusWaiting
	}
	if s.Settings.MuteOnEntry {
		p.Muted, p.MutedBy = true, MutedBySelf
	}
	if seg := s.segment(); seg != nil && seg.Speaking != SpeakOpen {
		p.Muted, p.MutedBy = true, MutedBySelf // the segment's rule decides when they may unmute
	}
	if s.Suspended {
		p.Muted, p.MutedBy, p.Camera, p.CameraBlocked = true, MutedByFacilitator, false, true
	}
	return p, nil
}

// Leave marks the participant as gone, unless the connection is older
// than their current one (they already came back on a new one). A
// participant who leaves on purpose (explicit) gives up their hand and
// turn; one whose connection dropped keeps them, to come back to. When the
// last facilitator goes, the room locks itself until one returns.
func (s *State) Leave(a Actor, explicit bool) ([]Event, error) {
	p, err := s.actor(a)
	if err != nil {
		return nil, nil
	}
	p.Present = false
	evs := []Event{s.participantEvent(EventLeft, p)}
	if explicit {
		evs = append(evs, s.dropFloor(p.ID)...)
	}
	if p.Role.Moderates() {
		evs = append(evs, s.checkAutoLock()...)
	}
	return evs, nil
}

// NoteEmpty records, at time now (Unix milliseconds), whether the meeting
// is empty. Service calls it after every command on a meeting that has
// participants.
func (s *State) NoteEmpty(now int64) {
	for _, p := range s.Participants {
		if p.Present {
			s.EmptySince = 0
			return
		}
	}
	if s.EmptySince == 0 {
		s.EmptySince = now
	}
}

// CloseIdle ends a meeting nobody has been in for grace (milliseconds),
// at time now: its chat, hands, floor, bans and participants are deleted,
// as End meeting does, so that nothing said in it stays and the next
// meeting in the room (a recurring group's next week) starts clean.
// Nobody is present to be told, so there is no event. Service calls it
// before every command and when the grace has passed (see Service).
func (s *State) CloseIdle(now, grace int64) {
	if s.EmptySince != 0 && now-s.EmptySince >= grace {
		s.clearMeeting()
	}
}

// clearMeeting deletes the running meeting's state; the room and its
// settings remain.
func (s *State) clearMeeting() {
	s.Participants = map[ParticipantID]*Participant{}
	s.Identities = map[string]ParticipantID{}
	s.Gone, s.Bans = nil, nil
	s.Hands, s.Chat, s.Reports = nil, nil, nil
	s.Locked, s.AutoLocked, s.Suspended = false, false, false
	s.resetSegment()
	s.Speaker, s.Timer = ParticipantID{}, nil
	s.EmptySince, s.StartedAt = 0, 0
}

// End ends the running meeting (see clearMeeting) and tells everyone.
func (s *State) End() []Event {
	s.clearMeeting()
	return []Event{s.next(EventEnded), s.roomEvent()}
}

// startMeeting begins a new meeting at now (Unix milliseconds) from the
// room's definition: its name, settings and links, whatever the last
// meeting's facilitators changed. It is called when the first person
// arrives in a meeting with nobody in it.
func (s *State) startMeeting(d *Definition, now int64) {
	s.Name, s.Settings = d.Name, d.Settings
	s.FacilitatorKeyHash, s.MemberKeyHash, s.LinkGen = d.Links.FacilitatorKeyHash, d.Links.MemberKeyHash, d.Links.Generation
	s.StartedAt = now
	s.resetSegment()
}

// Rotate puts the room's new links l in force: the old keys are refused
// from now on, and people waiting who came through an older member link
// are sent away (an EventLinkRotated each, for those present) and
// forgotten, so that they come back only through the new link. People
// admitted, and those who came with an invite, stay.
func (s *State) Rotate(l Links) []Event {
	s.FacilitatorKeyHash, s.MemberKeyHash, s.LinkGen = l.FacilitatorKeyHash, l.MemberKeyHash, l.Generation
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.Status != StatusWaiting || p.Invited || p.LinkGen >= l.Generation {
			continue
		}
		if p.Present {
			p.Present = false
			evs = append(evs, s.participantEvent(EventLinkRotated, p))
		}
		s.forget(p.ID)
	}
	return evs
}

// forget deletes every trace of a participant.
func (s *State) forget(id ParticipantID) {
	delete(s.Participants, id)
	delete(s.Gone, id)
	for h, pid := range s.Identities {
		if pid == id {
			delete(s.Identities, h)
		}
	}
	s.lowerHand(id)
}

// Expire marks participants as gone whose connections were lost without a
// leave (e.g. their server died): the same as Leave, for each of them.
func (s *State) Expire(ids []ParticipantID) []Event {
	var evs []Event
	for _, id := range ids {
		if p, ok := s.Participants[id]; ok && p.Present {
			e, _ := s.Leave(Actor{ID: id, Conn: p.Conn}, false)
			evs = append(evs, e...)
		}
	}
	return evs // Leave closed the meeting if it emptied
}

// Instances returns the instances holding the connections of present
// participants.
func (s *State) Instances() map[string]bool {
	out := map[string]bool{}
	for _, p := range s.Participants {
		if p.Present && p.Instance != "" {
			out[p.Instance] = true
		}
	}
	return out
}

// ExpireInstance marks as gone every participant whose connection was held
// by instance, except those in keep (connections the instance still holds;
// nil when the instance is dead).
func (s *State) ExpireInstance(instance string, keep map[ParticipantID]bool) []Event {
	var ids []ParticipantID
	for _, p := range s.sortedParticipants() {
		if p.Present && p.Instance == instance && !keep[p.ID] {
			ids = append(ids, p.ID)
		}
	}
	return s.Expire(ids)
}

// checkAutoLock locks the room when no facilitator is present.
func (s *State) checkAutoLock() []Event {
	if s.AutoLocked {
		return nil
	}
	for _, q := range s.Participants {
		if q.Present && q.Role.Moderates() {
			return nil
		}
	}
	s.AutoLocked = true
	return []Event{s.roomEvent()}
}

// dropFloor lowers the participant's hand and ends their turn.
func (s *State) dropFloor(id ParticipantID) []Event {
	var evs []Event
	if s.lowerHand(id) {
		evs = append(evs, s.handsEvent())
	}
	if s.Speaker == id {
		s.Speaker, s.Timer = ParticipantID{}, nil
		evs = append(evs, s.roomEvent())
	}
	return evs
}

func (s *State) facilitatorKeyOK(key string) bool {
	if s.FacilitatorKeyHash == "" {
		return false
	}
	got := hashSecret(key)
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.FacilitatorKeyHash)) == 1
}
