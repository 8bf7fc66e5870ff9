package room_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

const testKey = "facilitator-key-for-tests"

// t0 is the time of the tests' commands, in Unix milliseconds.
const t0 int64 = 1_800_000_000_000

func ptr[T any](v T) *T { return &v }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newState returns an empty room with the default settings (waiting room
// on, mute on entry on, open mode) whose facilitator key is testKey.
func newState() *room.State {
	return room.NewState(room.NewRoomID(), "Tuesday group", testKey)
}

// newDemoState is newState with the demo settings: people come straight in,
// unmuted.
func newDemoState() *room.State {
	s := newState()
	s.Settings = room.DemoSettings()
	return s
}

// run applies cmd to s and checks what every command must keep:
//   - its events are numbered s.Seq+1, s.Seq+2, ... and s.Seq ends at the
//     last one, so that the sequence has no gap within a command nor across
//     commands;
//   - they belong to the room and carry the state after the command (the
//     last event about a participant, room event and hands event);
//   - a refused command returns no event and leaves s unchanged, and so
//     does a command that produces no event.
func run(t testing.TB, s *room.State, cmd func(*room.State) ([]room.Event, error)) ([]room.Event, error) {
	t.Helper()
	before := s.Clone()
	evs, err := cmd(s)
	checkEvents(t, before, s, evs)
	if err != nil && evs != nil {
		t.Errorf("refused command (%v) returned events %v", err, describe(evs))
	}
	if err != nil {
		assertUnchanged(t, before, s)
	} else if len(evs) == 0 {
		// A command without events may only change people who are not
		// there to be told (e.g. a mute that waits for their return).
		assertUnchanged(t, withoutAbsent(before), withoutAbsent(s))
	}
	return evs, err
}

// withoutAbsent is a copy of s without the participants not present.
func withoutAbsent(s *room.State) *room.State {
	c := s.Clone()
	for id, p := range c.Participants {
		if !p.Present {
			delete(c.Participants, id)
		}
	}
	return c
}

// mustRun is run for a command that must succeed.
func mustRun(t testing.TB, s *room.State, cmd func(*room.State) ([]room.Event, error)) []room.Event {
	t.Helper()
	evs, err := run(t, s, cmd)
	if err != nil {
		t.Fatalf("command refused: %v", err)
	}
	return evs
}

// participantKinds are the kinds of event whose Participant is the
// participant concerned.
var participantKinds = []room.EventKind{room.EventJoined, room.EventUpdated, room.EventLeft, room.EventAskUnmute,
	room.EventTimerWarning, room.EventTimerEnded, room.EventRemoved, room.EventDenied, room.EventChat, room.EventAttendanceConfirmed}

func checkEvents(t testing.TB, before, after *room.State, evs []room.Event) {
	t.Helper()
	for i, ev := range evs {
		if want := before.Seq + uint64(i) + 1; ev.Seq != want {
			t.Errorf("event %d (%s) has seq %d, want %d (events %v)", i, ev.Kind, ev.Seq, want, describe(evs))
		}
		if ev.Room != after.ID {
			t.Errorf("event %d (%s) is of room %v, want %v", i, ev.Kind, ev.Room, after.ID)
		}
	}
	if want := before.Seq + uint64(len(evs)); after.Seq != want {
		t.Errorf("State.Seq = %d after %d events from seq %d, want %d", after.Seq, len(evs), before.Seq, want)
	}
	lastAbout := map[room.ParticipantID]room.Event{}
	var lastRoom, lastHands *room.Event
	for i := range evs {
		ev := &evs[i]
		switch {
		case slices.Contains(participantKinds, ev.Kind):
			lastAbout[ev.Participant.ID] = *ev
		case ev.Kind == room.EventRoom:
			lastRoom = ev
		case ev.Kind == room.EventHands:
			lastHands = ev
		}
		if ev.Kind == room.EventChat && ev.Chat == nil {
			t.Errorf("chat event without a message")
		}
	}
	for id, ev := range lastAbout {
		if p, ok := after.Participants[id]; ok && ev.Participant != *p {
			t.Errorf("%s event carries %+v, but the participant is now %+v", ev.Kind, ev.Participant, *p)
		}
	}
	if lastRoom != nil && (lastRoom.Info == nil || !reflect.DeepEqual(*lastRoom.Info, after.Info)) {
		t.Errorf("room event carries %+v, but the room is now %+v", lastRoom.Info, after.Info)
	}
	if lastHands != nil && (lastHands.Hands == nil || !slices.Equal(lastHands.Hands, after.Hands)) {
		t.Errorf("hands event carries %v, but the hands are now %v", lastHands.Hands, after.Hands)
	}
}

// describe names each event as kind or kind:participant name.
func describe(evs []room.Event) []string {
	out := []string{}
	for _, ev := range evs {
		switch {
		case ev.Kind == room.EventChat:
			out = append(out, "chat:"+ev.Chat.FromName)
		case slices.Contains(participantKinds, ev.Kind):
			out = append(out, string(ev.Kind)+":"+ev.Participant.Name)
		case ev.Kind == room.EventChatDeleted:
			out = append(out, string(ev.Kind)+":"+ev.MessageID)
		default:
			out = append(out, string(ev.Kind))
		}
	}
	return out
}

func wantEvents(t testing.TB, evs []room.Event, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if got := describe(evs); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
}

// joinAs joins with run's checks, and checks the result: Self is the
// stored participant, Snapshot a copy of the room right after.
func joinAs(t testing.TB, s *room.State, req room.JoinRequest, newID room.ParticipantID, identity string) (room.Joined, []room.Event, error) {
	t.Helper()
	var j room.Joined
	evs, err := run(t, s, func(s *room.State) ([]room.Event, error) {
		var evs []room.Event
		var err error
		j, evs, err = s.Join(req, newID, identity)
		return evs, err
	})
	if err != nil {
		if !reflect.DeepEqual(j, room.Joined{}) {
			t.Errorf("refused Join returned %+v, want zero", j)
		}
		return j, evs, err
	}
	if p := s.Participants[j.Self.ID]; p == nil || *p != j.Self {
		t.Errorf("Joined.Self = %+v, stored %+v", j.Self, p)
	}
	if j.Snapshot == nil || j.Snapshot == s || !reflect.DeepEqual(j.Snapshot, s) {
		t.Errorf("Joined.Snapshot is not a copy of the room after the join")
	}
	if len(evs) == 0 || evs[0].Kind != room.EventJoined || evs[0].Participant != j.Self {
		t.Errorf("join events = %v, want joined first", describe(evs))
	}
	return j, evs, err
}

func join(t testing.TB, s *room.State, req room.JoinRequest, identity string) (room.Joined, []room.Event, error) {
	t.Helper()
	return joinAs(t, s, req, room.NewParticipantID(), identity)
}

// mustJoin joins a new participant named name (with key as facilitator key,
// possibly empty) and returns the result; the identity token is
// "identity-"+name.
func mustJoin(t testing.TB, s *room.State, name, key string) room.Joined {
	t.Helper()
	j, evs, err := join(t, s, room.JoinRequest{Name: name, FacilitatorKey: key}, "identity-"+name)
	if err != nil {
		t.Fatalf("join %q: %v", name, err)
	}
	if len(evs) != 1 {
		t.Fatalf("join %q: events %v, want 1", name, describe(evs))
	}
	return j
}

// act is the participant acting on their current connection.
func act(s *room.State, id room.ParticipantID) room.Actor {
	if p, ok := s.Participants[id]; ok {
		return room.Actor{ID: id, Conn: p.Conn}
	}
	return room.Actor{ID: id, Conn: 1}
}

func leave(t testing.TB, s *room.State, a room.Actor, explicit bool) []room.Event {
	t.Helper()
	evs, err := run(t, s, func(s *room.State) ([]room.Event, error) { return s.Leave(a, explicit) })
	if err != nil {
		t.Fatalf("Leave: %v", err)
	}
	return evs
}

// mustLeave makes a member leave on their current connection.
func mustLeave(t testing.TB, s *room.State, p room.Participant) {
	t.Helper()
	if evs := leave(t, s, act(s, p.ID), true); len(evs) != 1 {
		t.Fatalf("leave %q: events %v, want 1", p.Name, describe(evs))
	}
}

func setSelf(t testing.TB, s *room.State, a room.Actor, u room.SelfUpdate) ([]room.Event, error) {
	t.Helper()
	return run(t, s, func(s *room.State) ([]room.Event, error) { return s.SetSelf(a, u) })
}

func mod(t testing.TB, s *room.State, a room.Actor, c room.ModCommand) ([]room.Event, error) {
	t.Helper()
	return run(t, s, func(s *room.State) ([]room.Event, error) { return s.Moderate(a, c, t0) })
}

func mustMod(t testing.TB, s *room.State, a room.Actor, c room.ModCommand) []room.Event {
	t.Helper()
	evs, err := mod(t, s, a, c)
	if err != nil {
		t.Fatalf("moderate %s: %v", c.Action, err)
	}
	return evs
}

// assertUnchanged fails if s differs from before (a Clone taken earlier).
func assertUnchanged(t testing.TB, before, s *room.State) {
	t.Helper()
	if !reflect.DeepEqual(before, s) {
		t.Errorf("state changed:\nbefore %s\nafter  %s", dump(t, before), dump(t, s))
	}
}

func dump(t testing.TB, s *room.State) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatalf("marshal state: %v", err)
	}
	return string(b)
}

func presentIDs(ps []room.Participant) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ID.String())
	}
	slices.Sort(out)
	return out
}

func TestNewState(t *testing.T) {
	id := room.NewRoomID()
	s := room.NewState(id, "Tuesday group", testKey)
	if s.ID != id || s.Name != "Tuesday group" || s.Seq != 0 {
		t.Errorf("NewState = id %v name %q seq %d", s.ID, s.Name, s.Seq)
	}
	if s.FacilitatorKeyHash != sha256Hex(testKey) {
		t.Errorf("FacilitatorKeyHash = %q, want SHA-256 of the key", s.FacilitatorKeyHash)
	}
	if s.Participants == nil || s.Identities == nil || len(s.Participants) != 0 || len(s.Identities) != 0 {
		t.Errorf("NewState maps: participants %v identities %v, want empty non-nil", s.Participants, s.Identities)
	}
	if got := s.Present(); len(got) != 0 {
		t.Errorf("Present() = %v, want empty", got)
	}
	want := room.Info{Name: "Tuesday group", Settings: room.DefaultSettings(), ChatOpen: true}
	if !reflect.DeepEqual(s.Info, want) {
		t.Errorf("Info = %+v, want %+v", s.Info, want)
	}
	if len(s.Hands) != 0 || len(s.Chat) != 0 {
		t.Errorf("new room has hands %v chat %v", s.Hands, s.Chat)
	}
}

func TestDefaultSettings(t *testing.T) {
	d := room.DefaultSettings()
	want := room.Settings{WaitingRoom: true, MuteOnEntry: true, Mode: room.ModeOpen, SelfRename: true,
		Guidelines: room.DefaultGuidelines, ShareSeconds: 180, FirstNamesOnly: true}
	if d != want {
		t.Errorf("DefaultSettings() = %+v, want %+v", d, want)
	}
	want.WaitingRoom, want.MuteOnEntry = false, false
	if got := room.DemoSettings(); got != want {
		t.Errorf("DemoSettings() = %+v, want %+v", got, want)
	}
}

func TestJoinNewParticipant(t *testing.T) {
	admitted := room.Participant{Name: "Alice", Role: room.RoleMember, Status: room.StatusAdmitted, Camera: true, Present: true, Conn: 1}
	waitingMuted := admitted
	waitingMuted.Status, waitingMuted.Muted, waitingMuted.MutedBy = room.StatusWaiting, true, room.MutedBySelf
	admittedMuted := admitted
	admittedMuted.Muted, admittedMuted.MutedBy = true, room.MutedBySelf
	facilitator := admitted
	facilitator.Role = room.RoleFacilitator

	tests := []struct {
		name     string
		settings room.Settings
		key      string
		want     room.Participant
	}{
		{"demo settings: member comes straight in", room.DemoSettings(), "", admitted},
		{"demo settings: facilitator", room.DemoSettings(), testKey, facilitator},
		{"default settings: member waits, muted", room.DefaultSettings(), "", waitingMuted},
		{"default settings: facilitator comes in unmuted", room.DefaultSettings(), testKey, facilitator},
		{"no waiting room, mute on entry", func() room.Settings {
			s := room.DefaultSettings()
			s.WaitingRoom = false
			return s
		}(), "", admittedMuted},
		{"waiting room, no mute on entry", func() room.Settings {
			s := room.DefaultSettings()
			s.MuteOnEntry = false
			return s
		}(), "", func() room.Participant { p := admitted; p.Status = room.StatusWaiting; return p }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState()
			s.Settings = tt.settings
			newID := room.NewParticipantID()
			const identity = "identity-token-1"
			j, evs, err := joinAs(t, s, room.JoinRequest{Name: "Alice", FacilitatorKey: tt.key}, newID, identity)
			if err != nil {
				t.Fatalf("Join: %v", err)
			}
			want := tt.want
			want.ID = newID
			if j.Self != want {
				t.Errorf("Self = %+v, want %+v", j.Self, want)
			}
			if j.Identity != identity {
				t.Errorf("Identity = %q, want %q", j.Identity, identity)
			}
			if j.Snapshot.Name != "Tuesday group" {
				t.Errorf("Snapshot.Name = %q", j.Snapshot.Name)
			}
			if j.Snapshot.Seq != 1 || s.Seq != 1 {
				t.Errorf("Snapshot.Seq = %d, State.Seq = %d, want 1 and 1", j.Snapshot.Seq, s.Seq)
			}
			if got := j.Snapshot.Present(); !reflect.DeepEqual(got, []room.Participant{want}) {
				t.Errorf("Snapshot.Present() = %+v, want just the joiner", got)
			}
			wantEv := room.Event{Room: s.ID, Seq: 1, Kind: room.EventJoined, Participant: want}
			if !reflect.DeepEqual(evs, []room.Event{wantEv}) {
				t.Errorf("events = %+v, want %+v", evs, []room.Event{wantEv})
			}
			if p := s.Participants[newID]; p == nil || *p != want {
				t.Errorf("Participants[newID] = %+v, want %+v", p, want)
			}
			if got, ok := s.Identities[sha256Hex(identity)]; !ok || got != newID {
				t.Errorf("identity not registered: Identities = %v", s.Identities)
			}
			if len(s.Participants) != 1 || len(s.Identities) != 1 {
				t.Errorf("%d participants, %d identities; want 1 and 1", len(s.Participants), len(s.Identities))
			}
			// The returned Self, Snapshot and events are copies: changing
			// them does not touch the state.
			j.Self.Name = "Mallory"
			j.Snapshot.Participants[newID].Name = "Mallory"
			j.Snapshot.Name = "Other group"
			evs[0].Participant.Role = room.RoleFacilitator
			if p := s.Participants[newID]; p.Name != "Alice" || p.Role != want.Role || s.Name != "Tuesday group" {
				t.Errorf("state aliased by the result: %+v", p)
			}
		})
	}
}

func TestJoinRejectedLeavesStateUnchanged(t *testing.T) {
	other := room.NewState(room.NewRoomID(), "Other group", "other-key")
	otherJ, _, err := other.Join(room.JoinRequest{Name: "Zed"}, room.NewParticipantID(), "identity-of-other-room")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		req     room.JoinRequest
		wantErr error
	}{
		{"wrong facilitator key", room.JoinRequest{Name: "Eve", FacilitatorKey: "wrong"}, room.ErrForbidden},
		{"key differing only in case", room.JoinRequest{Name: "Eve", FacilitatorKey: strings.ToUpper(testKey)}, room.ErrForbidden},
		{"key with trailing space", room.JoinRequest{Name: "Eve", FacilitatorKey: testKey + " "}, room.ErrForbidden},
		{"key hash instead of key", room.JoinRequest{Name: "Eve", FacilitatorKey: sha256Hex(testKey)}, room.ErrForbidden},
		{"another room's key", room.JoinRequest{Name: "Eve", FacilitatorKey: "other-key"}, room.ErrForbidden},
		{"unknown identity", room.JoinRequest{Name: "Eve", Identity: "no-such-identity"}, room.ErrUnknownIdentity},
		{"identity hash instead of token", room.JoinRequest{Name: "Eve", Identity: sha256Hex("identity-Alice")}, room.ErrUnknownIdentity},
		{"another room's identity", room.JoinRequest{Name: "Eve", Identity: otherJ.Identity}, room.ErrUnknownIdentity},
		{"valid identity with wrong key", room.JoinRequest{Identity: "identity-Alice", FacilitatorKey: "wrong"}, room.ErrForbidden},
		{"unknown identity with right key", room.JoinRequest{Name: "Eve", Identity: "nope", FacilitatorKey: testKey}, room.ErrUnknownIdentity},
		{"bad name with right key", room.JoinRequest{Name: " ", FacilitatorKey: testKey}, room.ErrBadName},
		{"bad name", room.JoinRequest{Name: ""}, room.ErrBadName},
	}
	settings := map[string]room.Settings{"default settings": room.DefaultSettings(), "demo settings": room.DemoSettings()}
	for _, tt := range tests {
		for sname, settings := range settings {
			t.Run(tt.name+"/"+sname, func(t *testing.T) {
				s := newState()
				s.Settings = settings
				alice := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, alice.Self)

				_, _, err := join(t, s, tt.req, "identity-new")
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			})
		}
	}
}

func TestJoinComeback(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the room and returns the participant who comes back.
		setup    func(t *testing.T, s *room.State) room.Joined
		req      func(j room.Joined) room.JoinRequest
		wantRole room.Role
		// wantUnlock: the comeback lifts the auto-lock (a room event follows).
		wantUnlock bool
	}{
		{
			name: "member after leaving, new name ignored",
			setup: func(t *testing.T, s *room.State) room.Joined {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return j
			},
			req:      func(j room.Joined) room.JoinRequest { return room.JoinRequest{Name: "Bob", Identity: j.Identity} },
			wantRole: room.RoleMember,
		},
		{
			name: "member still present (connection replaced)",
			setup: func(t *testing.T, s *room.State) room.Joined {
				return mustJoin(t, s, "Alice", "")
			},
			req:      func(j room.Joined) room.JoinRequest { return room.JoinRequest{Name: "Alice", Identity: j.Identity} },
			wantRole: room.RoleMember,
		},
		{
			name: "invalid new name is ignored",
			setup: func(t *testing.T, s *room.State) room.Joined {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return j
			},
			req:      func(j room.Joined) room.JoinRequest { return room.JoinRequest{Name: "", Identity: j.Identity} },
			wantRole: room.RoleMember,
		},
		{
			name: "facilitator with the key",
			setup: func(t *testing.T, s *room.State) room.Joined {
				j := mustJoin(t, s, "Fran", testKey)
				wantEvents(t, leave(t, s, act(s, j.Self.ID), true), "left:Fran", "room")
				return j
			},
			req: func(j room.Joined) room.JoinRequest {
				return room.JoinRequest{Identity: j.Identity, FacilitatorKey: testKey}
			},
			wantRole:   room.RoleFacilitator,
			wantUnlock: true,
		},
		{
			name: "member coming back with the key becomes facilitator",
			setup: func(t *testing.T, s *room.State) room.Joined {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return j
			},
			req: func(j room.Joined) room.JoinRequest {
				return room.JoinRequest{Identity: j.Identity, FacilitatorKey: testKey}
			},
			wantRole: room.RoleFacilitator,
		},
		{
			name: "self state kept across comeback",
			setup: func(t *testing.T, s *room.State) room.Joined {
				j := mustJoin(t, s, "Alice", "")
				if _, err := setSelf(t, s, act(s, j.Self.ID), room.SelfUpdate{Muted: ptr(true), Camera: ptr(false)}); err != nil {
					t.Fatal(err)
				}
				mustLeave(t, s, j.Self)
				j.Self.Muted, j.Self.MutedBy, j.Self.Camera = true, room.MutedBySelf, false
				return j
			},
			req:      func(j room.Joined) room.JoinRequest { return room.JoinRequest{Name: "Other", Identity: j.Identity} },
			wantRole: room.RoleMember,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDemoState()
			mustJoin(t, s, "Bystander", "")
			first := tt.setup(t, s)
			nParts, nIDs, seq := len(s.Participants), len(s.Identities), s.Seq
			prevConn := s.Participants[first.Self.ID].Conn

			j, evs, err := join(t, s, tt.req(first), "unused-new-identity")
			if err != nil {
				t.Fatalf("Join: %v", err)
			}
			want := first.Self
			want.Role = tt.wantRole
			want.Present = true
			want.Conn = prevConn + 1
			if j.Self != want {
				t.Errorf("Self = %+v, want %+v", j.Self, want)
			}
			if j.Self.Conn != 2 {
				t.Errorf("Conn = %d, want 2", j.Self.Conn)
			}
			if j.Identity != first.Identity {
				t.Errorf("Identity = %q, want the original %q", j.Identity, first.Identity)
			}
			wantEv := room.Event{Room: s.ID, Seq: seq + 1, Kind: room.EventJoined, Participant: want}
			wantSeq := seq + 1
			if tt.wantUnlock {
				wantEvents(t, evs, "joined:"+want.Name, "room")
				wantSeq++
				if s.AutoLocked {
					t.Error("the facilitator came back but the room stays auto-locked")
				}
			} else if len(evs) != 1 {
				t.Errorf("events = %v, want one", describe(evs))
			}
			if !reflect.DeepEqual(evs[0], wantEv) {
				t.Errorf("event = %+v, want %+v", evs[0], wantEv)
			}
			if j.Snapshot.Seq != wantSeq || s.Seq != wantSeq {
				t.Errorf("Snapshot.Seq %d State.Seq %d, want %d", j.Snapshot.Seq, s.Seq, wantSeq)
			}
			if len(s.Participants) != nParts || len(s.Identities) != nIDs {
				t.Errorf("comeback added entries: %d participants (want %d), %d identities (want %d)",
					len(s.Participants), nParts, len(s.Identities), nIDs)
			}
			if _, ok := s.Identities[sha256Hex("unused-new-identity")]; ok {
				t.Error("comeback registered the unused new identity")
			}
			if p := s.Participants[want.ID]; p == nil || *p != want {
				t.Errorf("stored participant = %+v, want %+v", p, want)
			}
			// The previous connection can no longer act.
			if _, err := setSelf(t, s, room.Actor{ID: want.ID, Conn: prevConn}, room.SelfUpdate{Camera: ptr(false)}); !errors.Is(err, room.ErrNotPresent) {
				t.Errorf("SetSelf from the previous connection: %v, want ErrNotPresent", err)
			}
		})
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr error
	}{
		{"simple", "Alice", "Alice", nil},
		{"trimmed", "  Alice \t", "Alice", nil},
		{"surrounding newlines trimmed", "\nAlice\r\n", "Alice", nil},
		{"inner space kept", "Alice  B.", "Alice  B.", nil},
		{"one char", "A", "A", nil},
		{"40 ASCII chars", strings.Repeat("a", 40), strings.Repeat("a", 40), nil},
		{"40 chars after trimming", "  " + strings.Repeat("a", 40) + "  ", strings.Repeat("a", 40), nil},
		{"40 two-byte chars", strings.Repeat("é", 40), strings.Repeat("é", 40), nil},
		{"40 three-byte chars", strings.Repeat("日", 40), strings.Repeat("日", 40), nil},
		{"40 four-byte chars", strings.Repeat("🙂", 40), strings.Repeat("🙂", 40), nil},
		{"empty", "", "", room.ErrBadName},
		{"spaces only", "     ", "", room.ErrBadName},
		{"whitespace only", " \t\n\r\u00a0\u3000", "", room.ErrBadName},
		{"41 ASCII chars", strings.Repeat("a", 41), "", room.ErrBadName},
		{"41 two-byte chars", strings.Repeat("é", 41), "", room.ErrBadName},
		{"41 four-byte chars", strings.Repeat("🙂", 41), "", room.ErrBadName},
		{"newline inside", "Ali\nce", "", room.ErrBadName},
		{"carriage return inside", "Ali\rce", "", room.ErrBadName},
		{"tab inside", "Ali\tce", "", room.ErrBadName},
		{"NUL", "Ali\x00ce", "", room.ErrBadName},
		{"leading NUL", "\x00Alice", "", room.ErrBadName},
		{"escape", "\x1b[31mAlice", "", room.ErrBadName},
		{"DEL", "Alice\x7f", "", room.ErrBadName},
		{"C1 control", "Ali\u0085ce", "", room.ErrBadName},
		{"line separator", "Ali\u2028ce", "", room.ErrBadName},
		{"paragraph separator", "Ali\u2029ce", "", room.ErrBadName},
		{"line separator only", "\u2028", "", room.ErrBadName},
		{"right-to-left override", "Ali\u202ece", "", room.ErrBadName},
		{"zero-width space", "Ali\u200bce", "", room.ErrBadName},
		{"invalid UTF-8", "Ali\xffce", "", room.ErrBadName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := room.CleanName(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("CleanName(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}

			s := newState()
			s.Settings.FirstNamesOnly = false // its own rule: TestFirstNamesOnly
			j, evs, err := join(t, s, room.JoinRequest{Name: tt.in}, "identity")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Join(%q) err = %v, want %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if j.Self.Name != tt.want || evs[0].Participant.Name != tt.want || s.Participants[j.Self.ID].Name != tt.want {
				t.Errorf("joined name = %q, want %q", j.Self.Name, tt.want)
			}
		})
	}
}

func TestJoinedSnapshotPresent(t *testing.T) {
	s := newDemoState()
	a := mustJoin(t, s, "A", "")
	b := mustJoin(t, s, "B", "")
	c := mustJoin(t, s, "C", testKey)
	if got, want := presentIDs(c.Snapshot.Present()), presentIDs([]room.Participant{a.Self, b.Self, c.Self}); !slices.Equal(got, want) {
		t.Errorf("Present after C joined = %v, want %v", got, want)
	}
	mustLeave(t, s, b.Self)
	d := mustJoin(t, s, "D", "")
	if got, want := presentIDs(d.Snapshot.Present()), presentIDs([]room.Participant{a.Self, c.Self, d.Self}); !slices.Equal(got, want) {
		t.Errorf("Present after B left and D joined = %v, want %v (B excluded)", got, want)
	}
	for _, p := range d.Snapshot.Present() {
		if p.ID == b.Self.ID {
			t.Errorf("Present includes B, who left")
		}
		if !p.Present {
			t.Errorf("Present lists %+v with Present false", p)
		}
		if *s.Participants[p.ID] != p {
			t.Errorf("Present entry %+v differs from state %+v", p, *s.Participants[p.ID])
		}
	}
	if len(s.Present()) != 3 || len(s.Participants) != 4 {
		t.Errorf("State.Present() has %d, Participants %d; want 3 and 4", len(s.Present()), len(s.Participants))
	}
	// B comes back: present again, with their old id.
	bb, _, err := join(t, s, room.JoinRequest{Identity: b.Identity}, "x")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := presentIDs(bb.Snapshot.Present()), presentIDs([]room.Participant{a.Self, b.Self, c.Self, d.Self}); !slices.Equal(got, want) {
		t.Errorf("Present after B came back = %v, want %v", got, want)
	}
}

func TestSeqIncrementsByOnePerEvent(t *testing.T) {
	s := newDemoState()
	var seen []room.Event
	record := func(step string, evs []room.Event, err error, wantEvents int) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if len(evs) != wantEvents {
			t.Fatalf("%s: %d events, want %d", step, len(evs), wantEvents)
		}
		seen = append(seen, evs...)
	}
	joinRec := func(req room.JoinRequest, identity string, wantEvents int) room.Joined {
		t.Helper()
		j, evs, err := join(t, s, req, identity)
		record("join "+req.Name, evs, err, wantEvents)
		if j.Snapshot.Seq != s.Seq || j.Snapshot.Seq != evs[len(evs)-1].Seq {
			t.Errorf("Snapshot.Seq = %d, State.Seq = %d, last event seq = %d; want equal", j.Snapshot.Seq, s.Seq, evs[len(evs)-1].Seq)
		}
		return j
	}

	a := joinRec(room.JoinRequest{Name: "A"}, "ia", 1)
	b := joinRec(room.JoinRequest{Name: "B", FacilitatorKey: testKey}, "ib", 1)
	evs, err := setSelf(t, s, act(s, a.Self.ID), room.SelfUpdate{Muted: ptr(true)})
	record("mute A", evs, err, 1)
	evs, err = setSelf(t, s, act(s, a.Self.ID), room.SelfUpdate{Muted: ptr(true)})
	record("mute A again", evs, err, 0)
	evs = leave(t, s, room.Actor{ID: b.Self.ID, Conn: 1}, false)
	record("leave B (auto-lock)", evs, nil, 2)
	evs = leave(t, s, room.Actor{ID: b.Self.ID, Conn: 1}, false)
	record("leave B again", evs, nil, 0)
	joinRec(room.JoinRequest{Identity: b.Identity, FacilitatorKey: testKey}, "unused", 2) // joined, room (auto-lock lifted)
	evs = leave(t, s, room.Actor{ID: b.Self.ID, Conn: 1}, true)
	record("stale leave B", evs, nil, 0)
	if _, _, err := join(t, s, room.JoinRequest{Name: "E", FacilitatorKey: "wrong"}, "ie"); !errors.Is(err, room.ErrForbidden) {
		t.Fatalf("wrong key: %v", err)
	}
	evs, err = setSelf(t, s, act(s, b.Self.ID), room.SelfUpdate{Camera: ptr(false)})
	record("camera B", evs, err, 1)
	joinRec(room.JoinRequest{Name: "C"}, "ic", 1)
	evs, err = run(t, s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(act(s, a.Self.ID)) })
	record("A raises hand", evs, err, 1)
	evs, err = mod(t, s, act(s, b.Self.ID), room.ModCommand{Action: room.ActNextSpeaker})
	record("B calls on A", evs, err, 2)
	evs, err = mod(t, s, act(s, b.Self.ID), room.ModCommand{Action: room.ActMuteAll})
	record("B mutes all", evs, err, 2) // A (self-muted before) and C
	evs, err = mod(t, s, act(s, b.Self.ID), room.ModCommand{Action: room.ActSuspend})
	record("B suspends", evs, err, 3) // A and C (cameras), room
	evs, err = mod(t, s, act(s, b.Self.ID), room.ModCommand{Action: room.ActEndMeeting})
	record("B ends the meeting", evs, err, 2)

	for i, ev := range seen {
		if ev.Seq != uint64(i+1) {
			t.Errorf("event %d (%s %s) has seq %d, want %d", i, ev.Kind, ev.Participant.Name, ev.Seq, i+1)
		}
		if ev.Room != s.ID {
			t.Errorf("event %d room = %v, want %v", i, ev.Room, s.ID)
		}
	}
	if s.Seq != uint64(len(seen)) {
		t.Errorf("State.Seq = %d, want %d", s.Seq, len(seen))
	}
	wantKinds := []room.EventKind{room.EventJoined, room.EventJoined, room.EventUpdated, room.EventLeft, room.EventRoom,
		room.EventJoined, room.EventRoom, room.EventUpdated, room.EventJoined, room.EventHands, room.EventHands, room.EventRoom,
		room.EventUpdated, room.EventUpdated, room.EventUpdated, room.EventUpdated, room.EventRoom, room.EventEnded, room.EventRoom}
	var kinds []room.EventKind
	for _, ev := range seen {
		kinds = append(kinds, ev.Kind)
	}
	if !slices.Equal(kinds, wantKinds) {
		t.Errorf("kinds = %v, want %v", kinds, wantKinds)
	}
}

func TestLeave(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the participant and connection that leave.
		setup    func(t *testing.T, s *room.State) room.Actor
		explicit bool
		// wantEvents describes the events; none means nothing changes.
		wantEvents []string
		// wantPresent is whether the participant (if known) is present after.
		wantPresent bool
	}{
		{
			name: "present, current connection",
			setup: func(t *testing.T, s *room.State) room.Actor {
				return room.Actor{ID: mustJoin(t, s, "Alice", "").Self.ID, Conn: 1}
			},
			wantEvents: []string{"left:Alice"},
		},
		{
			name: "present, on purpose",
			setup: func(t *testing.T, s *room.State) room.Actor {
				return room.Actor{ID: mustJoin(t, s, "Alice", "").Self.ID, Conn: 1}
			},
			explicit:   true,
			wantEvents: []string{"left:Alice"},
		},
		{
			name: "last facilitator: the room locks itself",
			setup: func(t *testing.T, s *room.State) room.Actor {
				return room.Actor{ID: mustJoin(t, s, "Fran", testKey).Self.ID, Conn: 1}
			},
			wantEvents: []string{"left:Fran", "room"},
		},
		{
			name: "one facilitator of two",
			setup: func(t *testing.T, s *room.State) room.Actor {
				mustJoin(t, s, "Fay", testKey)
				return room.Actor{ID: mustJoin(t, s, "Fran", testKey).Self.ID, Conn: 1}
			},
			explicit:   true,
			wantEvents: []string{"left:Fran"},
		},
		{
			name: "current connection after comeback",
			setup: func(t *testing.T, s *room.State) room.Actor {
				j := mustJoin(t, s, "Alice", "")
				if _, _, err := join(t, s, room.JoinRequest{Identity: j.Identity}, "x"); err != nil {
					t.Fatal(err)
				}
				return room.Actor{ID: j.Self.ID, Conn: 2}
			},
			wantEvents: []string{"left:Alice"},
		},
		{
			name: "stale connection after comeback",
			setup: func(t *testing.T, s *room.State) room.Actor {
				j := mustJoin(t, s, "Alice", "")
				if _, _, err := join(t, s, room.JoinRequest{Identity: j.Identity}, "x"); err != nil {
					t.Fatal(err)
				}
				return room.Actor{ID: j.Self.ID, Conn: 1}
			},
			explicit:    true,
			wantPresent: true,
		},
		{
			name: "connection newer than current",
			setup: func(t *testing.T, s *room.State) room.Actor {
				return room.Actor{ID: mustJoin(t, s, "Alice", "").Self.ID, Conn: 2}
			},
			wantPresent: true,
		},
		{
			name: "connection zero",
			setup: func(t *testing.T, s *room.State) room.Actor {
				return room.Actor{ID: mustJoin(t, s, "Alice", "").Self.ID, Conn: 0}
			},
			wantPresent: true,
		},
		{
			name: "already left",
			setup: func(t *testing.T, s *room.State) room.Actor {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return room.Actor{ID: j.Self.ID, Conn: 1}
			},
		},
		{
			name: "unknown participant",
			setup: func(t *testing.T, s *room.State) room.Actor {
				return room.Actor{ID: room.NewParticipantID(), Conn: 1}
			},
		},
		{
			name: "zero participant id",
			setup: func(t *testing.T, s *room.State) room.Actor {
				return room.Actor{}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDemoState()
			other := mustJoin(t, s, "Bystander", "")
			a := tt.setup(t, s)
			before := s.Clone()

			evs := leave(t, s, a, tt.explicit)
			if !s.Participants[other.Self.ID].Present {
				t.Error("bystander no longer present")
			}
			wantEvents(t, evs, tt.wantEvents...)
			if len(tt.wantEvents) == 0 {
				if evs != nil {
					t.Errorf("events = %+v, want nil", evs)
				}
				if p, ok := s.Participants[a.ID]; ok && p.Present != tt.wantPresent {
					t.Errorf("Present = %v, want %v", p.Present, tt.wantPresent)
				}
				return
			}
			want := *before.Participants[a.ID]
			want.Present = false
			wantEv := room.Event{Room: s.ID, Seq: before.Seq + 1, Kind: room.EventLeft, Participant: want}
			if !reflect.DeepEqual(evs[0], wantEv) {
				t.Errorf("event = %+v, want %+v", evs[0], wantEv)
			}
			// The participant is kept (not present) so that they can come back.
			if p := s.Participants[a.ID]; p == nil || *p != want {
				t.Errorf("stored participant = %+v, want %+v", p, want)
			}
			if len(s.Identities) != len(before.Identities) {
				t.Errorf("identities changed: %d, want %d", len(s.Identities), len(before.Identities))
			}
			for _, p := range s.Present() {
				if p.ID == a.ID {
					t.Error("Present() still lists the participant who left")
				}
			}
			if wantLock := len(tt.wantEvents) == 2; s.AutoLocked != wantLock {
				t.Errorf("AutoLocked = %v, want %v", s.AutoLocked, wantLock)
			}
		})
	}
}

func TestExpire(t *testing.T) {
	s := newDemoState()
	fran := mustJoin(t, s, "Fran", testKey)
	alice := mustJoin(t, s, "Alice", "")
	bob := mustJoin(t, s, "Bob", "")
	mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(act(s, alice.Self.ID)) })
	mustLeave(t, s, bob.Self)

	// Fran (the last facilitator) and Alice lost their connections; Bob is
	// already gone, and an unknown id is ignored.
	ids := []room.ParticipantID{alice.Self.ID, bob.Self.ID, room.NewParticipantID(), fran.Self.ID}
	evs := mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.Expire(ids), nil })
	wantEvents(t, evs, "left:Alice", "left:Fran", "room")
	if !s.AutoLocked || len(s.Present()) != 0 {
		t.Errorf("after Expire: auto-locked %v, present %v", s.AutoLocked, s.Present())
	}
	// A dropped connection keeps its place in the queue.
	if !slices.Equal(s.Hands, []room.ParticipantID{alice.Self.ID}) {
		t.Errorf("Hands = %v, want Alice's kept", s.Hands)
	}
	evs = mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.Expire(ids), nil })
	wantEvents(t, evs)
}

func TestSetSelf(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the participant whose state changes.
		setup   func(t *testing.T, s *room.State) room.Actor
		update  room.SelfUpdate
		wantErr error
		// want is the participant's Muted and Camera after; nil means no event.
		wantMuted, wantCamera *bool
	}{
		{name: "mute", update: room.SelfUpdate{Muted: ptr(true)}, wantMuted: ptr(true), wantCamera: ptr(true)},
		{name: "camera off", update: room.SelfUpdate{Camera: ptr(false)}, wantMuted: ptr(false), wantCamera: ptr(false)},
		{name: "mute and camera off", update: room.SelfUpdate{Muted: ptr(true), Camera: ptr(false)}, wantMuted: ptr(true), wantCamera: ptr(false)},
		{name: "mute, camera unchanged but given", update: room.SelfUpdate{Muted: ptr(true), Camera: ptr(true)}, wantMuted: ptr(true), wantCamera: ptr(true)},
		{
			name:      "unmute",
			setup:     presentWith(room.SelfUpdate{Muted: ptr(true)}),
			update:    room.SelfUpdate{Muted: ptr(false)},
			wantMuted: ptr(false), wantCamera: ptr(true),
		},
		{
			name:      "camera back on",
			setup:     presentWith(room.SelfUpdate{Camera: ptr(false)}),
			update:    room.SelfUpdate{Camera: ptr(true)},
			wantMuted: ptr(false), wantCamera: ptr(true),
		},
		{name: "no change: already unmuted", update: room.SelfUpdate{Muted: ptr(false)}},
		{name: "no change: camera already on", update: room.SelfUpdate{Camera: ptr(true)}},
		{name: "no change: both as they are", update: room.SelfUpdate{Muted: ptr(false), Camera: ptr(true)}},
		{name: "no change: empty update", update: room.SelfUpdate{}},
		{
			name:   "no change: already muted",
			setup:  presentWith(room.SelfUpdate{Muted: ptr(true)}),
			update: room.SelfUpdate{Muted: ptr(true)},
		},
		{
			name: "participant who left",
			setup: func(t *testing.T, s *room.State) room.Actor {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return room.Actor{ID: j.Self.ID, Conn: 1}
			},
			update:  room.SelfUpdate{Muted: ptr(true)},
			wantErr: room.ErrNotPresent,
		},
		{
			name: "participant who left, empty update",
			setup: func(t *testing.T, s *room.State) room.Actor {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return room.Actor{ID: j.Self.ID, Conn: 1}
			},
			wantErr: room.ErrNotPresent,
		},
		{
			name: "replaced connection",
			setup: func(t *testing.T, s *room.State) room.Actor {
				j := mustJoin(t, s, "Alice", "")
				if _, _, err := join(t, s, room.JoinRequest{Identity: j.Identity}, "x"); err != nil {
					t.Fatal(err)
				}
				return room.Actor{ID: j.Self.ID, Conn: 1}
			},
			update:  room.SelfUpdate{Muted: ptr(true)},
			wantErr: room.ErrNotPresent,
		},
		{
			name:    "unknown participant",
			setup:   func(t *testing.T, s *room.State) room.Actor { return room.Actor{ID: room.NewParticipantID(), Conn: 1} },
			update:  room.SelfUpdate{Camera: ptr(false)},
			wantErr: room.ErrNotPresent,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDemoState()
			other := mustJoin(t, s, "Bystander", "")
			setup := tt.setup
			if setup == nil {
				setup = presentWith(room.SelfUpdate{})
			}
			a := setup(t, s)
			before := s.Clone()

			evs, err := setSelf(t, s, a, tt.update)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if *s.Participants[other.Self.ID] != *before.Participants[other.Self.ID] {
				t.Error("bystander changed")
			}
			if tt.wantMuted == nil {
				if evs != nil {
					t.Errorf("events = %+v, want none", evs)
				}
				return
			}
			want := *before.Participants[a.ID]
			want.Muted, want.Camera = *tt.wantMuted, *tt.wantCamera
			want.MutedBy = ""
			if want.Muted {
				want.MutedBy = room.MutedBySelf
			}
			wantEv := room.Event{Room: s.ID, Seq: before.Seq + 1, Kind: room.EventUpdated, Participant: want}
			if !reflect.DeepEqual(evs, []room.Event{wantEv}) {
				t.Errorf("events = %+v, want %+v", evs, []room.Event{wantEv})
			}
			if p := s.Participants[a.ID]; *p != want {
				t.Errorf("stored participant = %+v, want %+v", *p, want)
			}
		})
	}
}

// presentWith returns a setup that joins Alice and applies u to her.
func presentWith(u room.SelfUpdate) func(t *testing.T, s *room.State) room.Actor {
	return func(t *testing.T, s *room.State) room.Actor {
		t.Helper()
		j := mustJoin(t, s, "Alice", "")
		if _, err := setSelf(t, s, act(s, j.Self.ID), u); err != nil {
			t.Fatal(err)
		}
		return act(s, j.Self.ID)
	}
}

// busyState returns a room with everything a state can hold: participants
// present and gone, hands, a speaker with a timer, chat, a lock.
func busyState(t *testing.T) (s *room.State, fran, bob room.Joined) {
	t.Helper()
	s = newDemoState()
	fran = mustJoin(t, s, "Fran", testKey)
	bob = mustJoin(t, s, "Bob", "")
	carol := mustJoin(t, s, "Carol", "")
	mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(act(s, bob.Self.ID)) })
	mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActLetSpeak, Target: carol.Self.ID})
	mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
	mustRun(t, s, func(s *room.State) ([]room.Event, error) {
		return s.SendChat(act(s, bob.Self.ID), room.ChatToRoom, "hello", t0)
	})
	mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActLock})
	// Carol's connection drops: she keeps the floor and her timer.
	wantEvents(t, leave(t, s, act(s, carol.Self.ID), false), "left:Carol")
	return s, fran, bob
}

func TestCloneIsDeep(t *testing.T) {
	s, fran, bob := busyState(t)
	if s.Timer == nil || len(s.Hands) != 1 || len(s.Chat) != 1 {
		t.Fatalf("busy state lacks timer, hands or chat: %s", dump(t, s))
	}
	orig := dump(t, s)

	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatalf("clone differs:\n%s\n%s", dump(t, c), orig)
	}
	if c == s || c.Timer == s.Timer {
		t.Fatal("Clone shares the state or its timer")
	}
	for id, p := range c.Participants {
		if p == s.Participants[id] {
			t.Errorf("participant %v shares its pointer", id)
		}
	}

	a := fran
	tests := []struct {
		name   string
		mutate func(c *room.State)
	}{
		{"participant fields", func(c *room.State) {
			p := c.Participants[a.Self.ID]
			p.Name, p.Role, p.Muted, p.Camera, p.Present, p.Conn = "Mallory", room.RoleMember, true, false, false, 99
		}},
		{"replace participant", func(c *room.State) { c.Participants[bob.Self.ID] = &room.Participant{Name: "X"} }},
		{"delete participant", func(c *room.State) { delete(c.Participants, a.Self.ID) }},
		{"add participant", func(c *room.State) { c.Participants[room.NewParticipantID()] = &room.Participant{} }},
		{"delete identity", func(c *room.State) { clear(c.Identities) }},
		{"add identity", func(c *room.State) { c.Identities["x"] = a.Self.ID }},
		{"scalars", func(c *room.State) { c.Seq, c.Name, c.FacilitatorKeyHash, c.NextChat = 100, "renamed", "", 7 }},
		{"info", func(c *room.State) {
			c.Locked, c.AutoLocked, c.ChatOpen, c.Suspended, c.Speaker = false, true, false, true, room.ParticipantID{}
			c.Settings.Mode, c.Settings.Guidelines = room.ModeModerated, "none"
		}},
		{"timer fields", func(c *room.State) { c.Timer.Seconds, c.Timer.EndsAt, c.Timer.Warned = 1, 2, true }},
		{"timer removed", func(c *room.State) { c.Timer = nil }},
		{"hands element", func(c *room.State) { c.Hands[0] = room.NewParticipantID() }},
		{"hands appended", func(c *room.State) { c.Hands = append(c.Hands, room.NewParticipantID()) }},
		{"chat element", func(c *room.State) { c.Chat[0].Text, c.Chat[0].From = "changed", room.ParticipantID{} }},
		{"chat appended", func(c *room.State) { c.Chat = append(c.Chat, room.ChatMessage{ID: "x"}) }},
		{"commands on the clone", func(c *room.State) {
			_, _ = c.SetSelf(act(c, bob.Self.ID), room.SelfUpdate{Muted: ptr(true)})
			_, _ = c.LowerHand(act(c, bob.Self.ID))
			_, _ = c.SendChat(act(c, bob.Self.ID), room.ChatToRoom, "again", t0)
			_ = c.Tick(t0 + 45_000)
			_ = c.Tick(t0 + 60_000)
			_, _ = c.Moderate(act(c, a.Self.ID), room.ModCommand{Action: room.ActSuspend}, t0)
			_, _ = c.Leave(act(c, a.Self.ID), true)
			_, _, _ = c.Join(room.JoinRequest{Name: "Dan", FacilitatorKey: testKey}, room.NewParticipantID(), "ic")
			_, _, _ = c.Join(room.JoinRequest{Identity: bob.Identity}, room.NewParticipantID(), "ib")
		}},
		{"end meeting on the clone", func(c *room.State) {
			_, _ = c.Moderate(act(c, a.Self.ID), room.ModCommand{Action: room.ActEndMeeting}, t0)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.Clone()
			tt.mutate(c)
			if got := dump(t, s); got != orig {
				t.Errorf("original changed by mutating the clone:\nbefore %s\nafter  %s", orig, got)
			}
		})
	}

	t.Run("mutating the original does not touch the clone", func(t *testing.T) {
		s := s.Clone()
		c := s.Clone()
		want := dump(t, c)
		s.Participants[a.Self.ID].Name = "changed"
		s.Identities["y"] = bob.Self.ID
		s.Timer.Seconds = 5
		s.Hands[0] = room.ParticipantID{}
		s.Chat[0].Text = "changed"
		_, _, _ = s.Join(room.JoinRequest{Name: "Dan", FacilitatorKey: testKey}, room.NewParticipantID(), "id")
		if got := dump(t, c); got != want {
			t.Errorf("clone changed:\nbefore %s\nafter  %s", want, got)
		}
	})

	t.Run("zero state", func(t *testing.T) {
		c := (&room.State{}).Clone()
		if c.Participants == nil || c.Identities == nil {
			t.Fatalf("clone of zero state has nil maps: %+v", c)
		}
		// The clone is usable: a join does not panic on a nil map.
		if _, _, err := c.Join(room.JoinRequest{Name: "A"}, room.NewParticipantID(), "i"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestSecretsNotStoredInPlainText(t *testing.T) {
	s := newState()
	var identities []string
	for i, req := range []room.JoinRequest{
		{Name: "Fran", FacilitatorKey: testKey},
		{Name: "Alice"},
		{Name: "Bob"},
	} {
		j, _, err := join(t, s, req, room.NewSecret())
		if err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
		identities = append(identities, j.Identity)
	}
	// A comeback, with the key too.
	_, evs, err := join(t, s, room.JoinRequest{Identity: identities[1], FacilitatorKey: testKey}, room.NewSecret())
	if err != nil {
		t.Fatal(err)
	}

	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	evJSON, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	secrets := append([]string{testKey}, identities...)
	for _, secret := range secrets {
		if strings.Contains(string(b), secret) {
			t.Errorf("state JSON contains the secret %q: %s", secret, b)
		}
		if strings.Contains(string(evJSON), secret) {
			t.Errorf("event JSON contains the secret %q: %s", secret, evJSON)
		}
	}
	if s.FacilitatorKeyHash != sha256Hex(testKey) {
		t.Errorf("FacilitatorKeyHash = %q, want hex SHA-256 of the key", s.FacilitatorKeyHash)
	}
	for _, id := range identities {
		if _, ok := s.Identities[id]; ok {
			t.Errorf("identity token %q used as a map key", id)
		}
		if _, ok := s.Identities[sha256Hex(id)]; !ok {
			t.Errorf("identity %q not registered by its hash", id)
		}
	}

	// The state round-trips through JSON, so that any Store can keep it.
	var back room.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Errorf("JSON round trip differs:\n%s\n%s", dump(t, &back), b)
	}
	// And the decoded state still accepts the key and the identities.
	j, _, err := join(t, &back, room.JoinRequest{Identity: identities[2], FacilitatorKey: testKey}, "x")
	if err != nil || j.Self.Role != room.RoleFacilitator || j.Self.Name != "Bob" {
		t.Errorf("join on decoded state = %+v, %v", j.Self, err)
	}
}

func TestJSONRoundTripBusyState(t *testing.T) {
	s, fran, _ := busyState(t)
	mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{
		Mode: ptr(room.ModeModerated), PrivateChat: ptr(true), AutoMute: ptr(true), ShareSeconds: ptr(90)}})
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var back room.State
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Errorf("JSON round trip differs:\n%s\n%s", dump(t, &back), b)
	}
	// Events round-trip too (a Store may carry them as JSON).
	evs := mustRun(t, &back, func(s *room.State) ([]room.Event, error) { return s.Tick(t0 + 60_000), nil })
	eb, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	var evBack []room.Event
	if err := json.Unmarshal(eb, &evBack); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(evBack, evs) {
		t.Errorf("events JSON round trip differs:\n%+v\n%+v", evBack, evs)
	}
}

func TestJoinMediaState(t *testing.T) {
	tests := []struct {
		name string
		// before is the returning participant's state before they come back;
		// nil for a new participant.
		before                *room.SelfUpdate
		muted, camera         *bool
		wantMuted, wantCamera bool
	}{
		{name: "new, nothing given", wantCamera: true},
		{name: "new, muted", muted: ptr(true), wantMuted: true, wantCamera: true},
		{name: "new, camera off", camera: ptr(false)},
		{name: "new, muted and camera off", muted: ptr(true), camera: ptr(false), wantMuted: true},
		{name: "new, unmuted and camera on", muted: ptr(false), camera: ptr(true), wantCamera: true},
		{name: "back, nothing given keeps state", before: &room.SelfUpdate{Muted: ptr(true), Camera: ptr(false)}, wantMuted: true},
		{name: "back, can mute", before: &room.SelfUpdate{}, muted: ptr(true), wantMuted: true, wantCamera: true},
		{name: "back, can turn camera off", before: &room.SelfUpdate{}, camera: ptr(false)},
		{name: "back, cannot unmute", before: &room.SelfUpdate{Muted: ptr(true)}, muted: ptr(false), wantMuted: true, wantCamera: true},
		{name: "back, cannot turn camera on", before: &room.SelfUpdate{Camera: ptr(false)}, camera: ptr(true)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDemoState()
			req := room.JoinRequest{Name: "Alice", Muted: tt.muted, Camera: tt.camera}
			if tt.before != nil {
				j := mustJoin(t, s, "Alice", "")
				if _, err := setSelf(t, s, act(s, j.Self.ID), *tt.before); err != nil {
					t.Fatal(err)
				}
				mustLeave(t, s, j.Self)
				req.Identity = j.Identity
			}
			j, _, err := join(t, s, req, "identity-new")
			if err != nil {
				t.Fatalf("Join: %v", err)
			}
			if j.Self.Muted != tt.wantMuted || j.Self.Camera != tt.wantCamera {
				t.Errorf("muted %v camera %v, want %v %v", j.Self.Muted, j.Self.Camera, tt.wantMuted, tt.wantCamera)
			}
			if wantBy := map[bool]room.MutedBy{true: room.MutedBySelf}[tt.wantMuted]; j.Self.MutedBy != wantBy {
				t.Errorf("MutedBy = %q, want %q", j.Self.MutedBy, wantBy)
			}
		})
	}
}

func TestInstances(t *testing.T) {
	s := newDemoState()
	c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
	joinVia := func(name, key, instance string) {
		t.Helper()
		j, evs, err := join(t, s, room.JoinRequest{Name: name, FacilitatorKey: key, Instance: instance}, "identity-"+name)
		if err != nil {
			t.Fatalf("join %s: %v", name, err)
		}
		wantEvents(t, evs, "joined:"+name)
		if j.Self.Instance != instance {
			t.Errorf("%s joined with instance %q, want %q", name, j.Self.Instance, instance)
		}
		c.ids[name], c.identity[name] = j.Self.ID, j.Identity
	}
	wantInstances := func(want ...string) {
		t.Helper()
		got := slices.Sorted(maps.Keys(s.Instances()))
		if !slices.Equal(got, want) {
			t.Errorf("Instances() = %v, want %v", got, want)
		}
	}
	wantInstances()
	joinVia("Fran", testKey, "i1")
	joinVia("A", "", "i2")
	joinVia("B", "", "i1")
	joinVia("C", "", "i1")
	joinVia("D", "", "") // an instance that does not say
	wantEvents(t, leave(t, s, c.act("C"), true), "left:C")
	wantInstances("i1", "i2")

	// A reconnects through i1: A's connection is now there.
	_, evs, err := join(t, s, room.JoinRequest{Identity: c.identity["A"], Instance: "i1"}, "x")
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, evs, "joined:A")
	if s.Participants[c.id("A")].Instance != "i1" {
		t.Errorf("A's instance = %q, want i1", s.Participants[c.id("A")].Instance)
	}
	wantInstances("i1")

	// i1 still holds A's connection: everyone else there is expired, in id
	// order, like a dropped connection (hands kept); the last facilitator
	// going locks the room.
	wantEvents(t, mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(c.act("B")) }), "hands")
	evs = mustRun(t, s, func(s *room.State) ([]room.Event, error) {
		return s.ExpireInstance("i1", map[room.ParticipantID]bool{c.id("A"): true}), nil
	})
	want := []string{"left:B", "left:Fran", "room"}
	if c.id("Fran").String() < c.id("B").String() {
		want = []string{"left:Fran", "room", "left:B"}
	}
	wantEvents(t, evs, want...)
	if !s.AutoLocked || !slices.Equal(s.Hands, []room.ParticipantID{c.id("B")}) {
		t.Errorf("after expiry: auto-locked %v hands %v", s.AutoLocked, s.Hands)
	}
	if !s.Participants[c.id("A")].Present || !s.Participants[c.id("D")].Present {
		t.Error("expiry took someone it should have kept")
	}
	wantEvents(t, mustRun(t, s, func(s *room.State) ([]room.Event, error) {
		return s.ExpireInstance("i1", map[room.ParticipantID]bool{c.id("A"): true}), nil
	}))
	wantEvents(t, mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.ExpireInstance("i9", nil), nil }))
	// i1 is dead: A goes too.
	wantEvents(t, mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.ExpireInstance("i1", nil), nil }), "left:A")
	wantInstances()
}

func TestParseIDs(t *testing.T) {
	r := room.NewRoomID()
	if got, err := room.ParseRoomID(r.String()); err != nil || got != r {
		t.Errorf("ParseRoomID(%q) = %v, %v", r.String(), got, err)
	}
	p := room.NewParticipantID()
	if got, err := room.ParseParticipantID(strings.ToUpper(p.String())); err != nil || got != p {
		t.Errorf("ParseParticipantID(%q) = %v, %v", strings.ToUpper(p.String()), got, err)
	}
	for _, bad := range []string{"", "room", r.String() + "x", "../" + r.String()} {
		if _, err := room.ParseRoomID(bad); err == nil {
			t.Errorf("ParseRoomID(%q) accepted", bad)
		}
		if _, err := room.ParseParticipantID(bad); err == nil {
			t.Errorf("ParseParticipantID(%q) accepted", bad)
		}
	}
}

func TestNoKeyNoFacilitator(t *testing.T) {
	// A state without a key hash accepts no key, not even an empty-looking one.
	s := (&room.State{}).Clone()
	for _, key := range []string{"x", " ", testKey} {
		if _, _, err := join(t, s, room.JoinRequest{Name: "Eve", FacilitatorKey: key}, "i"); !errors.Is(err, room.ErrForbidden) {
			t.Errorf("key %q: %v, want ErrForbidden", key, err)
		}
	}
}
