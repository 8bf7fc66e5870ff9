package room

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Moderation actions (docs/protocol.md, "moderate").
const (
	ActAdmit       = "admit"
	ActDeny        = "deny"
	ActAdmitAll    = "admit_all"
	ActLock        = "lock"
	ActUnlock      = "unlock"
	ActLowerHand   = "lower_hand"
	ActNextSpeaker = "next_speaker"
	ActLetSpeak    = "let_speak"
	ActEndTurn     = "end_turn"
	ActMute        = "mute"
	ActMuteAll     = "mute_all"
	ActAskUnmute   = "ask_unmute"
	ActStartTimer  = "start_timer"
	ActStopTimer   = "stop_timer"
	ActRemove      = "remove"
	ActRename      = "rename"
	ActSettings    = "settings"
	ActCloseChat   = "close_chat"
	ActOpenChat    = "open_chat"
	ActDeleteChat  = "delete_chat"
	ActSuspend     = "suspend"
	ActResume      = "resume"
	ActEndMeeting  = "end_meeting"
	ActPromote     = "promote"
	ActDemote      = "demote"
)

// Actions lists every moderation action.
func Actions() []string {
	return []string{ActAdmit, ActDeny, ActAdmitAll, ActLock, ActUnlock, ActLowerHand, ActNextSpeaker,
		ActLetSpeak, ActEndTurn, ActMute, ActMuteAll, ActAskUnmute, ActStartTimer, ActStopTimer, ActRemove,
		ActRename, ActSettings, ActCloseChat, ActOpenChat, ActDeleteChat, ActSuspend, ActResume,
		ActEndMeeting, ActPromote, ActDemote}
}

// targeted reports whether the action needs a Target.
func targeted(action string) bool {
	switch action {
	case ActAdmit, ActDeny, ActLowerHand, ActLetSpeak, ActEndTurn, ActMute, ActAskUnmute, ActRemove, ActRename, ActPromote, ActDemote:
		return true
	}
	return false
}

// needsPresence reports whether the action's target must be connected.
func needsPresence(action string) bool {
	switch action {
	case ActAdmit, ActDeny, ActLetSpeak, ActAskUnmute, ActPromote:
		return true
	}
	return false
}

// onFacilitatorOnly reports whether only a facilitator may aim the action
// at a facilitator.
func onFacilitatorOnly(action string) bool {
	switch action {
	case ActMute, ActRemove, ActRename, ActDemote:
		return true
	}
	return false
}

// SettingsUpdate changes some of a room's settings; nil fields stay.
type SettingsUpdate struct {
	WaitingRoom  *bool   `json:"waitingRoom,omitempty"`
	MuteOnEntry  *bool   `json:"muteOnEntry,omitempty"`
	Mode         *string `json:"mode,omitempty"`
	SelfRename   *bool   `json:"selfRename,omitempty"`
	PrivateChat  *bool   `json:"privateChat,omitempty"`
	Guidelines   *string `json:"guidelines,omitempty"`
	ShareSeconds *int    `json:"shareSeconds,omitempty"`
	AutoMute     *bool   `json:"autoMute,omitempty"`
	// MaxParticipants: 2 to 1000.
	MaxParticipants *int `json:"maxParticipants,omitempty"`
}

// ModCommand is a facilitator's command.
type ModCommand struct {
	Action string
	Target ParticipantID
	// Name for ActRename; Seconds and AutoMute for ActStartTimer;
	// MessageID for ActDeleteChat; Settings for ActSettings.
	Name      string
	Seconds   int
	AutoMute  *bool
	MessageID string
	Settings  *SettingsUpdate
}

// Moderate applies a facilitator's command at time now (Unix
// milliseconds). Only facilitators and co-facilitators may moderate; only
// a facilitator may mute, remove, rename or demote a facilitator.
func (s *State) Moderate(a Actor, c ModCommand, now int64) ([]Event, error) {
	actor, err := s.admittedActor(a)
	if err != nil {
		return nil, err
	}
	if !actor.Role.Moderates() {
		return nil, notAllowed("only a facilitator can do this")
	}
	if !slices.Contains(Actions(), c.Action) {
		return nil, badCommand("unknown action")
	}
	var target *Participant
	if targeted(c.Action) {
		target = s.Participants[c.Target]
		// Someone whose connection dropped can still be removed, muted or
		// renamed, so that they do not come back as they were.
		if target == nil || target.Removed || (!target.Present && needsPresence(c.Action)) {
			return nil, badCommand("no such participant")
		}
		if target.Role == RoleFacilitator && actor.Role != RoleFacilitator && onFacilitatorOnly(c.Action) {
			return nil, notAllowed("only a facilitator can do this to a facilitator")
		}
	}
	switch c.Action {
	case ActAdmit:
		return s.admit(target)
	case ActDeny:
		if target.Status != StatusWaiting {
			return nil, badCommand("they are not waiting")
		}
		target.Denied, target.Present = true, false
		return []Event{s.participantEvent(EventDenied, target)}, nil
	case ActAdmitAll:
		var evs []Event
		for _, p := range s.sortedParticipants() {
			if p.Present && p.Status == StatusWaiting {
				e, _ := s.admit(p)
				evs = append(evs, e...)
			}
		}
		return evs, nil
	case ActLock, ActUnlock:
		return s.setRoom(func() { s.Locked = c.Action == ActLock }), nil
	case ActLowerHand:
		i := slices.Index(s.Hands, target.ID)
		if i < 0 {
			return nil, nil
		}
		s.Hands = slices.Delete(s.Hands, i, i+1)
		return []Event{s.handsEvent()}, nil
	case ActNextSpeaker:
		for _, id := range s.Hands {
			if p := s.Participants[id]; p != nil && p.Present && p.Status == StatusAdmitted {
				return s.callOn(p), nil
			}
		}
		return nil, badCommand("no hand is raised")
	case ActLetSpeak:
		if target.Status != StatusAdmitted {
			return nil, badCommand("they are still waiting")
		}
		return s.callOn(target), nil
	case ActEndTurn:
		return s.endTurn(target), nil
	case ActMute:
		return s.forceMute(target), nil
	case ActMuteAll:
		var evs []Event
		// Also those whose connection just dropped: they come back muted.
		for _, p := range s.sortedParticipants() {
			if !p.Role.Moderates() && !p.Removed && !p.Denied {
				evs = append(evs, s.forceMute(p)...)
			}
		}
		return evs, nil
	case ActAskUnmute:
		if !target.Muted {
			return nil, nil
		}
		target.AskedToUnmute = true
		return []Event{s.participantEvent(EventAskUnmute, target)}, nil
	case ActStartTimer:
		return s.startTimer(c, now)
	case ActStopTimer:
		if s.Timer == nil {
			return nil, nil
		}
		return s.setRoom(func() { s.Timer = nil }), nil
	case ActRemove:
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
	case ActRename:
		return s.rename(target, c.Name)
	case ActSettings:
		return s.applySettings(c.Settings)
	case ActCloseChat, ActOpenChat:
		return s.setRoom(func() { s.ChatOpen = c.Action == ActOpenChat }), nil
	case ActDeleteChat:
		i := slices.IndexFunc(s.Chat, func(m ChatMessage) bool { return m.ID == c.MessageID })
		if i < 0 {
			return nil, badCommand("no such message")
		}
		s.Chat = slices.Delete(s.Chat, i, i+1)
		ev := s.next(EventChatDeleted)
		ev.MessageID = c.MessageID
		return []Event{ev}, nil
	case ActSuspend:
		return s.suspend(), nil
	case ActResume:
		return s.resume(), nil
	case ActEndMeeting:
		return s.endMeeting(), nil
	case ActPromote:
		if target.Role != RoleMember || target.Status != StatusAdmitted {
			return nil, badCommand("only an admitted member can be promoted")
		}
		target.Role, target.CameraBlocked = RoleCoFacilitator, false
		return []Event{s.participantEvent(EventUpdated, target)}, nil
	case ActDemote:
		if target.Role == RoleMember {
			return nil, badCommand("they are a member already")
		}
		target.Role = RoleMember
		return append([]Event{s.participantEvent(EventUpdated, target)}, s.checkAutoLock()...), nil
	}
	return nil, badCommand("unknown action")
}

func (s *State) admit(p *Participant) ([]Event, error) {
	if p.Status != StatusWaiting {
		return nil, badCommand("they are not waiting")
	}
	p.Status = StatusAdmitted
	return []Event{s.participantEvent(EventUpdated, p)}, nil
}

// setRoom changes room-level state and reports it.
func (s *State) setRoom(change func()) []Event {
	before := s.Info.clone()
	change()
	if infoEqual(before, s.Info) {
		return nil
	}
	return []Event{s.roomEvent()}
}

func infoEqual(a, b Info) bool {
	at, bt := a.Timer, b.Timer
	a.Timer, b.Timer = nil, nil
	if a != b {
		return false
	}
	if at == nil || bt == nil {
		return at == bt
	}
	return *at == *bt
}

// callOn gives the floor to p: their hand goes down, any running timer
// stops.
func (s *State) callOn(p *Participant) []Event {
	var evs []Event
	if i := slices.Index(s.Hands, p.ID); i >= 0 {
		s.Hands = slices.Delete(s.Hands, i, i+1)
		evs = append(evs, s.handsEvent())
	}
	return append(evs, s.setRoom(func() { s.Speaker, s.Timer = p.ID, nil })...)
}

// endTurn takes the floor back; in moderated mode a member is muted.
func (s *State) endTurn(p *Participant) []Event {
	if s.Speaker != p.ID {
		return nil
	}
	evs := s.setRoom(func() { s.Speaker, s.Timer = ParticipantID{}, nil })
	if s.Settings.Mode == ModeModerated && !p.Role.Moderates() {
		evs = append(evs, s.forceMute(p)...)
	}
	return evs
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

func (s *State) startTimer(c ModCommand, now int64) ([]Event, error) {
	if s.Speaker == (ParticipantID{}) {
		return nil, badCommand("call on someone first")
	}
	secs := c.Seconds
	if secs == 0 {
		secs = s.Settings.ShareSeconds
	}
	if secs < 10 || secs > 3600 {
		return nil, badCommand("a share lasts 10 to 3600 seconds")
	}
	auto := s.Settings.AutoMute
	if c.AutoMute != nil {
		auto = *c.AutoMute
	}
	t := &Timer{Speaker: s.Speaker, EndsAt: now + int64(secs)*1000, Seconds: secs, AutoMute: auto}
	return s.setRoom(func() { s.Timer = t }), nil
}

func (s *State) applySettings(u *SettingsUpdate) ([]Event, error) {
	if u == nil {
		return nil, badCommand("settings missing")
	}
	next := s.Settings
	set := func(dst *bool, v *bool) {
		if v != nil {
			*dst = *v
		}
	}
	set(&next.WaitingRoom, u.WaitingRoom)
	set(&next.MuteOnEntry, u.MuteOnEntry)
	set(&next.SelfRename, u.SelfRename)
	set(&next.PrivateChat, u.PrivateChat)
	set(&next.AutoMute, u.AutoMute)
	if u.Mode != nil {
		if *u.Mode != ModeOpen && *u.Mode != ModeModerated {
			return nil, badCommand(`mode must be "open" or "moderated"`)
		}
		next.Mode = *u.Mode
	}
	if u.Guidelines != nil {
		g := strings.TrimSpace(*u.Guidelines)
		if !utf8.ValidString(g) || utf8.RuneCountInString(g) > 2000 {
			return nil, badCommand("guidelines are at most 2000 characters")
		}
		next.Guidelines = g
	}
	if u.MaxParticipants != nil {
		if *u.MaxParticipants < 2 || *u.MaxParticipants > 1000 {
			return nil, badCommand("a meeting holds 2 to 1000 people")
		}
		next.MaxParticipants = *u.MaxParticipants
	}
	if u.ShareSeconds != nil {
		if *u.ShareSeconds < 10 || *u.ShareSeconds > 3600 {
			return nil, badCommand("a share lasts 10 to 3600 seconds")
		}
		next.ShareSeconds = *u.ShareSeconds
	}
	return s.setRoom(func() { s.Settings = next }), nil
}

// suspend is "Suspend all activity": everyone but facilitators muted, every
// member's camera off and blocked, chat closed, room locked.
func (s *State) suspend() []Event {
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.Role.Moderates() {
			continue
		}
		before := *p
		p.Muted, p.MutedBy, p.AskedToUnmute, p.Camera, p.CameraBlocked = true, MutedByFacilitator, false, false, true
		if *p != before && p.Present {
			evs = append(evs, s.participantEvent(EventUpdated, p))
		}
	}
	return append(evs, s.setRoom(func() {
		s.ChatOpen, s.Locked, s.Suspended, s.Speaker, s.Timer = false, true, true, ParticipantID{}, nil
	})...)
}

// resume lifts the block on cameras; chat and lock stay as they are.
func (s *State) resume() []Event {
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.CameraBlocked {
			p.CameraBlocked = false
			if p.Present {
				evs = append(evs, s.participantEvent(EventUpdated, p))
			}
		}
	}
	return append(evs, s.setRoom(func() { s.Suspended = false })...)
}

// endMeeting clears the meeting: participants, identities (and with them
// bans), hands, chat, floor and lock. The room and its settings remain.
func (s *State) endMeeting() []Event {
	s.clearMeeting()
	return []Event{s.next(EventEnded), s.roomEvent()}
}

// sortedParticipants returns the participants in a fixed order (by id), so
// that commands touching several produce their events deterministically.
func (s *State) sortedParticipants() []*Participant {
	out := make([]*Participant, 0, len(s.Participants))
	for _, p := range s.Participants {
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b *Participant) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}
