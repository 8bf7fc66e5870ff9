package room

import (
	"maps"
	"slices"
)

// Action is a facilitator's moderation action (docs/protocol.md,
// "moderate"). The wire's string converts to it as Action(s); Moderate
// refuses one that is not Valid with ErrBadCommand.
type Action string

// Moderation actions. Each has one row in actionTable.
const (
	ActAdmit       Action = "admit"
	ActDeny        Action = "deny"
	ActAdmitAll    Action = "admit_all"
	ActDenyAll     Action = "deny_all"
	ActLock        Action = "lock"
	ActUnlock      Action = "unlock"
	ActLowerHand   Action = "lower_hand"
	ActNextSpeaker Action = "next_speaker"
	ActLetSpeak    Action = "let_speak"
	ActEndTurn     Action = "end_turn"
	ActMute        Action = "mute"
	ActMuteAll     Action = "mute_all"
	ActAskUnmute   Action = "ask_unmute"
	ActStartTimer  Action = "start_timer"
	ActStopTimer   Action = "stop_timer"
	ActRemove      Action = "remove"
	ActRename      Action = "rename"
	ActSettings    Action = "settings"
	ActCloseChat   Action = "close_chat"
	ActOpenChat    Action = "open_chat"
	ActDeleteChat  Action = "delete_chat"
	ActSuspend     Action = "suspend"
	ActResume      Action = "resume"
	ActEndMeeting  Action = "end_meeting"
	ActPromote     Action = "promote"
	ActDemote      Action = "demote"
	// ActMoveToWaiting sends an admitted member back to the waiting room.
	ActMoveToWaiting Action = "move_to_waiting_room"
	// ActConfirmAttendance confirms a member's attendance: their proof
	// of attendance says so (wire: confirm_attendance).
	ActConfirmAttendance Action = "confirm_attendance"
	// ActDismissReport deletes a report (ModCommand.ReportID).
	ActDismissReport Action = "dismiss_report"
)

// actionHandler carries out one action, once Moderate has checked the actor
// and, for a targeted action, the target (nil otherwise).
type actionHandler func(s *State, actor, target *Participant, c ModCommand, now int64) ([]Event, error)

// actionSpec is what Moderate checks before an action, and its handler.
type actionSpec struct {
	// targeted: the action aims at ModCommand.Target.
	targeted bool
	// present: the target must be connected. (Someone whose connection
	// dropped can still be removed, muted or renamed, so that they do not
	// come back as they were.)
	present bool
	// facilitatorOnly: only a facilitator may aim it at a facilitator.
	facilitatorOnly bool
	// do carries the action out.
	do actionHandler
}

// actionTable is the one list of moderation actions: adding an action is
// a row here and its handler.
func actionTable() map[Action]actionSpec {
	return map[Action]actionSpec{
		ActAdmit:             {targeted: true, present: true, do: (*State).onAdmit},
		ActDeny:              {targeted: true, present: true, do: (*State).onDeny},
		ActAdmitAll:          {do: (*State).onAdmitAll},
		ActDenyAll:           {do: (*State).onDenyAll},
		ActLock:              {do: (*State).onLock},
		ActUnlock:            {do: (*State).onUnlock},
		ActLowerHand:         {targeted: true, do: (*State).onLowerHand},
		ActNextSpeaker:       {do: (*State).onNextSpeaker},
		ActLetSpeak:          {targeted: true, present: true, do: (*State).onLetSpeak},
		ActEndTurn:           {targeted: true, do: (*State).onEndTurn},
		ActMute:              {targeted: true, facilitatorOnly: true, do: (*State).onMute},
		ActMuteAll:           {do: (*State).onMuteAll},
		ActAskUnmute:         {targeted: true, present: true, do: (*State).onAskUnmute},
		ActStartTimer:        {do: (*State).onStartTimer},
		ActStopTimer:         {do: (*State).onStopTimer},
		ActRemove:            {targeted: true, facilitatorOnly: true, do: (*State).onRemove},
		ActRename:            {targeted: true, facilitatorOnly: true, do: (*State).onRename},
		ActSettings:          {do: (*State).onSettings},
		ActCloseChat:         {do: (*State).onCloseChat},
		ActOpenChat:          {do: (*State).onOpenChat},
		ActDeleteChat:        {do: (*State).onDeleteChat},
		ActSuspend:           {do: (*State).onSuspend},
		ActResume:            {do: (*State).onResume},
		ActEndMeeting:        {do: (*State).onEndMeeting},
		ActPromote:           {targeted: true, present: true, do: (*State).onPromote},
		ActDemote:            {targeted: true, facilitatorOnly: true, do: (*State).onDemote},
		ActMoveToWaiting:     {targeted: true, present: true, do: (*State).onMoveToWaiting},
		ActConfirmAttendance: {targeted: true, present: true, do: (*State).onConfirmAttendance},
		ActDismissReport:     {do: (*State).onDismissReport},
	}
}

// Valid reports whether a is a known moderation action.
func (a Action) Valid() bool {
	_, ok := actionTable()[a]
	return ok
}

// Actions lists every moderation action, sorted.
func Actions() []Action {
	return slices.Sorted(maps.Keys(actionTable()))
}

// ModCommand is a facilitator's command.
type ModCommand struct {
	Action Action
	Target ParticipantID
	// Name for ActRename; Seconds and AutoMute for ActStartTimer;
	// MessageID for ActDeleteChat; Settings for ActSettings; ReportID
	// for ActDismissReport.
	Name      string
	Seconds   int
	AutoMute  *bool
	MessageID string
	Settings  *SettingsUpdate
	ReportID  string
}

// Moderate applies a facilitator's command at time now (Unix
// milliseconds). Only facilitators and co-facilitators may moderate; only
// a facilitator may mute, remove, rename or demote a facilitator.
func (s *State) Moderate(a Actor, c ModCommand, now int64) ([]Event, error) {
	actor, err := s.admittedActor(a, "")
	if err != nil {
		return nil, err
	}
	if !actor.Role.Moderates() {
		return nil, notAllowed("only a facilitator can do this")
	}
	spec, ok := actionTable()[c.Action]
	if !ok {
		return nil, badCommand("unknown action")
	}
	var target *Participant
	if spec.targeted {
		target = s.Participants[c.Target]
		if target == nil || target.Removed || (!target.Present && spec.present) {
			return nil, badCommand("no such participant")
		}
		if target.Role == RoleFacilitator && actor.Role != RoleFacilitator && spec.facilitatorOnly {
			return nil, notAllowed("only a facilitator can do this to a facilitator")
		}
	}
	return spec.do(s, actor, target, c, now)
}
