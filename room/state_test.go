package room_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

const testKey = "facilitator-key-for-tests"

func ptr[T any](v T) *T { return &v }

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// newState returns an empty room whose facilitator key is testKey.
func newState() *room.State {
	return room.NewState(room.NewRoomID(), "Tuesday group", testKey)
}

// mustJoin joins a new participant named name (with key as facilitator key,
// possibly empty) and returns the result; the identity token is
// "identity-"+name.
func mustJoin(t *testing.T, s *room.State, name, key string) room.Joined {
	t.Helper()
	j, evs, err := s.Join(room.JoinRequest{Name: name, FacilitatorKey: key}, room.NewParticipantID(), "identity-"+name)
	if err != nil {
		t.Fatalf("join %q: %v", name, err)
	}
	if len(evs) != 1 {
		t.Fatalf("join %q: %d events, want 1", name, len(evs))
	}
	return j
}

func mustLeave(t *testing.T, s *room.State, p room.Participant) {
	t.Helper()
	evs, err := s.Leave(p.ID, s.Participants[p.ID].Conn)
	if err != nil || len(evs) != 1 {
		t.Fatalf("leave %q: %d events, err %v; want 1 event", p.Name, len(evs), err)
	}
}

// assertUnchanged fails if s differs from before (a Clone taken earlier).
func assertUnchanged(t *testing.T, before, s *room.State) {
	t.Helper()
	if !reflect.DeepEqual(before, s) {
		t.Errorf("state changed:\nbefore %s\nafter  %s", dump(t, before), dump(t, s))
	}
}

func dump(t *testing.T, s *room.State) string {
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
}

func TestJoinNewParticipant(t *testing.T) {
	tests := []struct {
		name     string
		key      string
		wantRole room.Role
	}{
		{"member without key", "", room.RoleMember},
		{"facilitator with the right key", testKey, room.RoleFacilitator},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState()
			newID := room.NewParticipantID()
			const identity = "identity-token-1"
			j, evs, err := s.Join(room.JoinRequest{Name: "Alice", FacilitatorKey: tt.key}, newID, identity)
			if err != nil {
				t.Fatalf("Join: %v", err)
			}
			want := room.Participant{ID: newID, Name: "Alice", Role: tt.wantRole, Muted: false, Camera: true, Present: true, Conn: 1}
			if j.Self != want {
				t.Errorf("Self = %+v, want %+v", j.Self, want)
			}
			if j.Identity != identity {
				t.Errorf("Identity = %q, want %q", j.Identity, identity)
			}
			if j.RoomName != "Tuesday group" {
				t.Errorf("RoomName = %q", j.RoomName)
			}
			if j.Seq != 1 || s.Seq != 1 {
				t.Errorf("Joined.Seq = %d, State.Seq = %d, want 1 and 1", j.Seq, s.Seq)
			}
			if !reflect.DeepEqual(j.Present, []room.Participant{want}) {
				t.Errorf("Present = %+v, want just the joiner", j.Present)
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
			// The returned Self is a copy: changing it does not touch the state.
			j.Self.Name = "Mallory"
			evs[0].Participant.Role = room.RoleFacilitator
			if p := s.Participants[newID]; p.Name != "Alice" || p.Role != tt.wantRole {
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
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState()
			alice := mustJoin(t, s, "Alice", "")
			mustLeave(t, s, alice.Self)
			before := s.Clone()

			j, evs, err := s.Join(tt.req, room.NewParticipantID(), "identity-new")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if evs != nil {
				t.Errorf("events = %+v, want none", evs)
			}
			if !reflect.DeepEqual(j, room.Joined{}) {
				t.Errorf("Joined = %+v, want zero", j)
			}
			assertUnchanged(t, before, s)
		})
	}
}

func TestJoinComeback(t *testing.T) {
	tests := []struct {
		name string
		// setup prepares the room and returns the participant who comes back.
		setup    func(t *testing.T, s *room.State) room.Joined
		req      func(j room.Joined) room.JoinRequest
		wantRole room.Role
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
			name: "facilitator keeps role without the key",
			setup: func(t *testing.T, s *room.State) room.Joined {
				j := mustJoin(t, s, "Fran", testKey)
				mustLeave(t, s, j.Self)
				return j
			},
			req:      func(j room.Joined) room.JoinRequest { return room.JoinRequest{Identity: j.Identity} },
			wantRole: room.RoleFacilitator,
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
				if _, err := s.SetSelf(j.Self.ID, room.SelfUpdate{Muted: ptr(true), Camera: ptr(false)}); err != nil {
					t.Fatal(err)
				}
				mustLeave(t, s, j.Self)
				j.Self.Muted, j.Self.Camera = true, false
				return j
			},
			req:      func(j room.Joined) room.JoinRequest { return room.JoinRequest{Name: "Other", Identity: j.Identity} },
			wantRole: room.RoleMember,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState()
			mustJoin(t, s, "Bystander", "")
			first := tt.setup(t, s)
			nParts, nIDs, seq := len(s.Participants), len(s.Identities), s.Seq
			prevConn := s.Participants[first.Self.ID].Conn

			j, evs, err := s.Join(tt.req(first), room.NewParticipantID(), "unused-new-identity")
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
			if !reflect.DeepEqual(evs, []room.Event{wantEv}) {
				t.Errorf("events = %+v, want %+v", evs, []room.Event{wantEv})
			}
			if j.Seq != seq+1 || s.Seq != seq+1 {
				t.Errorf("Joined.Seq %d State.Seq %d, want %d", j.Seq, s.Seq, seq+1)
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
		{"invalid UTF-8", "Ali\xffce", "", room.ErrBadName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := room.CleanName(tt.in)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("CleanName(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.wantErr)
			}

			s := newState()
			before := s.Clone()
			j, evs, err := s.Join(room.JoinRequest{Name: tt.in}, room.NewParticipantID(), "identity")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Join(%q) err = %v, want %v", tt.in, err, tt.wantErr)
			}
			if tt.wantErr != nil {
				if evs != nil {
					t.Errorf("events = %+v, want none", evs)
				}
				assertUnchanged(t, before, s)
				return
			}
			if j.Self.Name != tt.want || evs[0].Participant.Name != tt.want || s.Participants[j.Self.ID].Name != tt.want {
				t.Errorf("joined name = %q, want %q", j.Self.Name, tt.want)
			}
		})
	}
}

func TestJoinedPresent(t *testing.T) {
	s := newState()
	a := mustJoin(t, s, "A", "")
	b := mustJoin(t, s, "B", "")
	c := mustJoin(t, s, "C", testKey)
	if got, want := presentIDs(c.Present), presentIDs([]room.Participant{a.Self, b.Self, c.Self}); !slices.Equal(got, want) {
		t.Errorf("Present after C joined = %v, want %v", got, want)
	}
	mustLeave(t, s, b.Self)
	d := mustJoin(t, s, "D", "")
	if got, want := presentIDs(d.Present), presentIDs([]room.Participant{a.Self, c.Self, d.Self}); !slices.Equal(got, want) {
		t.Errorf("Present after B left and D joined = %v, want %v (B excluded)", got, want)
	}
	for _, p := range d.Present {
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
	bb, _, err := s.Join(room.JoinRequest{Identity: b.Identity}, room.NewParticipantID(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := presentIDs(bb.Present), presentIDs([]room.Participant{a.Self, b.Self, c.Self, d.Self}); !slices.Equal(got, want) {
		t.Errorf("Present after B came back = %v, want %v", got, want)
	}
}

func TestSeqIncrementsByOnePerEvent(t *testing.T) {
	s := newState()
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
	join := func(req room.JoinRequest, identity string) room.Joined {
		t.Helper()
		j, evs, err := s.Join(req, room.NewParticipantID(), identity)
		record("join "+req.Name, evs, err, 1)
		if j.Seq != s.Seq || j.Seq != evs[0].Seq {
			t.Errorf("Joined.Seq = %d, State.Seq = %d, event seq = %d; want equal", j.Seq, s.Seq, evs[0].Seq)
		}
		return j
	}

	a := join(room.JoinRequest{Name: "A"}, "ia")
	b := join(room.JoinRequest{Name: "B", FacilitatorKey: testKey}, "ib")
	evs, err := s.SetSelf(a.Self.ID, room.SelfUpdate{Muted: ptr(true)})
	record("mute A", evs, err, 1)
	evs, err = s.SetSelf(a.Self.ID, room.SelfUpdate{Muted: ptr(true)})
	record("mute A again", evs, err, 0)
	evs, err = s.Leave(b.Self.ID, 1)
	record("leave B", evs, err, 1)
	evs, err = s.Leave(b.Self.ID, 1)
	record("leave B again", evs, err, 0)
	join(room.JoinRequest{Identity: b.Identity}, "unused")
	evs, err = s.Leave(b.Self.ID, 1)
	record("stale leave B", evs, err, 0)
	_, _, err = s.Join(room.JoinRequest{Name: "E", FacilitatorKey: "wrong"}, room.NewParticipantID(), "ie")
	if !errors.Is(err, room.ErrForbidden) {
		t.Fatalf("wrong key: %v", err)
	}
	evs, err = s.SetSelf(b.Self.ID, room.SelfUpdate{Camera: ptr(false)})
	record("camera B", evs, err, 1)
	join(room.JoinRequest{Name: "C"}, "ic")

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
	wantKinds := []room.EventKind{room.EventJoined, room.EventJoined, room.EventUpdated, room.EventLeft, room.EventJoined, room.EventUpdated, room.EventJoined}
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
		setup     func(t *testing.T, s *room.State) (room.ParticipantID, uint64)
		wantEvent bool
		// wantPresent is whether the participant (if known) is present after.
		wantPresent bool
	}{
		{
			name: "present, current connection",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				j := mustJoin(t, s, "Alice", "")
				return j.Self.ID, 1
			},
			wantEvent: true,
		},
		{
			name: "present facilitator",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				j := mustJoin(t, s, "Fran", testKey)
				return j.Self.ID, 1
			},
			wantEvent: true,
		},
		{
			name: "current connection after comeback",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				j := mustJoin(t, s, "Alice", "")
				if _, _, err := s.Join(room.JoinRequest{Identity: j.Identity}, room.NewParticipantID(), "x"); err != nil {
					t.Fatal(err)
				}
				return j.Self.ID, 2
			},
			wantEvent: true,
		},
		{
			name: "stale connection after comeback",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				j := mustJoin(t, s, "Alice", "")
				if _, _, err := s.Join(room.JoinRequest{Identity: j.Identity}, room.NewParticipantID(), "x"); err != nil {
					t.Fatal(err)
				}
				return j.Self.ID, 1
			},
			wantPresent: true,
		},
		{
			name: "connection newer than current",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				j := mustJoin(t, s, "Alice", "")
				return j.Self.ID, 2
			},
			wantPresent: true,
		},
		{
			name: "connection zero",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				j := mustJoin(t, s, "Alice", "")
				return j.Self.ID, 0
			},
			wantPresent: true,
		},
		{
			name: "already left",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return j.Self.ID, 1
			},
		},
		{
			name: "unknown participant",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				return room.NewParticipantID(), 1
			},
		},
		{
			name: "zero participant id",
			setup: func(t *testing.T, s *room.State) (room.ParticipantID, uint64) {
				return room.ParticipantID{}, 0
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState()
			other := mustJoin(t, s, "Bystander", "")
			id, conn := tt.setup(t, s)
			before := s.Clone()

			evs, err := s.Leave(id, conn)
			if err != nil {
				t.Fatalf("Leave: %v", err)
			}
			if !s.Participants[other.Self.ID].Present {
				t.Error("bystander no longer present")
			}
			if !tt.wantEvent {
				if evs != nil {
					t.Errorf("events = %+v, want none", evs)
				}
				assertUnchanged(t, before, s)
				if p, ok := s.Participants[id]; ok && p.Present != tt.wantPresent {
					t.Errorf("Present = %v, want %v", p.Present, tt.wantPresent)
				}
				return
			}
			want := *before.Participants[id]
			want.Present = false
			wantEv := room.Event{Room: s.ID, Seq: before.Seq + 1, Kind: room.EventLeft, Participant: want}
			if !reflect.DeepEqual(evs, []room.Event{wantEv}) {
				t.Errorf("events = %+v, want %+v", evs, []room.Event{wantEv})
			}
			if s.Seq != before.Seq+1 {
				t.Errorf("Seq = %d, want %d", s.Seq, before.Seq+1)
			}
			// The participant is kept (not present) so that they can come back.
			if p := s.Participants[id]; p == nil || *p != want {
				t.Errorf("stored participant = %+v, want %+v", p, want)
			}
			if len(s.Identities) != len(before.Identities) {
				t.Errorf("identities changed: %d, want %d", len(s.Identities), len(before.Identities))
			}
			for _, p := range s.Present() {
				if p.ID == id {
					t.Error("Present() still lists the participant who left")
				}
			}
		})
	}
}

func TestSetSelf(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the participant whose state changes.
		setup   func(t *testing.T, s *room.State) room.ParticipantID
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
			setup: func(t *testing.T, s *room.State) room.ParticipantID {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return j.Self.ID
			},
			update:  room.SelfUpdate{Muted: ptr(true)},
			wantErr: room.ErrNotPresent,
		},
		{
			name: "participant who left, empty update",
			setup: func(t *testing.T, s *room.State) room.ParticipantID {
				j := mustJoin(t, s, "Alice", "")
				mustLeave(t, s, j.Self)
				return j.Self.ID
			},
			wantErr: room.ErrNotPresent,
		},
		{
			name:    "unknown participant",
			setup:   func(t *testing.T, s *room.State) room.ParticipantID { return room.NewParticipantID() },
			update:  room.SelfUpdate{Camera: ptr(false)},
			wantErr: room.ErrNotPresent,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newState()
			other := mustJoin(t, s, "Bystander", "")
			setup := tt.setup
			if setup == nil {
				setup = presentWith(room.SelfUpdate{})
			}
			id := setup(t, s)
			before := s.Clone()

			evs, err := s.SetSelf(id, tt.update)
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
				assertUnchanged(t, before, s)
				return
			}
			want := *before.Participants[id]
			want.Muted, want.Camera = *tt.wantMuted, *tt.wantCamera
			wantEv := room.Event{Room: s.ID, Seq: before.Seq + 1, Kind: room.EventUpdated, Participant: want}
			if !reflect.DeepEqual(evs, []room.Event{wantEv}) {
				t.Errorf("events = %+v, want %+v", evs, []room.Event{wantEv})
			}
			if p := s.Participants[id]; *p != want {
				t.Errorf("stored participant = %+v, want %+v", *p, want)
			}
			if s.Seq != before.Seq+1 {
				t.Errorf("Seq = %d, want %d", s.Seq, before.Seq+1)
			}
		})
	}
}

// presentWith returns a setup that joins Alice and applies u to her.
func presentWith(u room.SelfUpdate) func(t *testing.T, s *room.State) room.ParticipantID {
	return func(t *testing.T, s *room.State) room.ParticipantID {
		t.Helper()
		j := mustJoin(t, s, "Alice", "")
		if _, err := s.SetSelf(j.Self.ID, u); err != nil {
			t.Fatal(err)
		}
		return j.Self.ID
	}
}

func TestCloneIsDeep(t *testing.T) {
	s := newState()
	a := mustJoin(t, s, "Alice", testKey)
	b := mustJoin(t, s, "Bob", "")
	mustLeave(t, s, b.Self)
	orig := dump(t, s)

	c := s.Clone()
	if !reflect.DeepEqual(c, s) {
		t.Fatalf("clone differs:\n%s\n%s", dump(t, c), orig)
	}
	if c == s {
		t.Fatal("Clone returned the same pointer")
	}
	for id, p := range c.Participants {
		if p == s.Participants[id] {
			t.Errorf("participant %v shares its pointer", id)
		}
	}

	tests := []struct {
		name   string
		mutate func(c *room.State)
	}{
		{"participant fields", func(c *room.State) {
			p := c.Participants[a.Self.ID]
			p.Name, p.Role, p.Muted, p.Camera, p.Present, p.Conn = "Mallory", room.RoleMember, true, false, false, 99
		}},
		{"replace participant", func(c *room.State) { c.Participants[b.Self.ID] = &room.Participant{Name: "X"} }},
		{"delete participant", func(c *room.State) { delete(c.Participants, a.Self.ID) }},
		{"add participant", func(c *room.State) { c.Participants[room.NewParticipantID()] = &room.Participant{} }},
		{"delete identity", func(c *room.State) { clear(c.Identities) }},
		{"add identity", func(c *room.State) { c.Identities["x"] = a.Self.ID }},
		{"scalars", func(c *room.State) { c.Seq, c.Name, c.FacilitatorKeyHash = 100, "renamed", "" }},
		{"commands on the clone", func(c *room.State) {
			_, _ = c.SetSelf(a.Self.ID, room.SelfUpdate{Muted: ptr(true)})
			_, _ = c.Leave(a.Self.ID, 1)
			_, _, _ = c.Join(room.JoinRequest{Name: "Carol"}, room.NewParticipantID(), "ic")
			_, _, _ = c.Join(room.JoinRequest{Identity: b.Identity}, room.NewParticipantID(), "ib")
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
		s.Identities["y"] = b.Self.ID
		_, _, _ = s.Join(room.JoinRequest{Name: "Dan"}, room.NewParticipantID(), "id")
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
		j, _, err := s.Join(req, room.NewParticipantID(), room.NewSecret())
		if err != nil {
			t.Fatalf("join %d: %v", i, err)
		}
		identities = append(identities, j.Identity)
	}
	// A comeback, with the key too.
	var allEvents []room.Event
	_, evs, err := s.Join(room.JoinRequest{Identity: identities[1], FacilitatorKey: testKey}, room.NewParticipantID(), room.NewSecret())
	if err != nil {
		t.Fatal(err)
	}
	allEvents = append(allEvents, evs...)

	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	evJSON, err := json.Marshal(allEvents)
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
	j, _, err := back.Join(room.JoinRequest{Identity: identities[2], FacilitatorKey: testKey}, room.NewParticipantID(), "x")
	if err != nil || j.Self.Role != room.RoleFacilitator || j.Self.Name != "Bob" {
		t.Errorf("join on decoded state = %+v, %v", j.Self, err)
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
			s := newState()
			req := room.JoinRequest{Name: "Alice", Muted: tt.muted, Camera: tt.camera}
			if tt.before != nil {
				j := mustJoin(t, s, "Alice", "")
				if _, err := s.SetSelf(j.Self.ID, *tt.before); err != nil {
					t.Fatal(err)
				}
				mustLeave(t, s, j.Self)
				req.Identity = j.Identity
			}
			j, evs, err := s.Join(req, room.NewParticipantID(), "identity-new")
			if err != nil {
				t.Fatalf("Join: %v", err)
			}
			if j.Self.Muted != tt.wantMuted || j.Self.Camera != tt.wantCamera {
				t.Errorf("muted %v camera %v, want %v %v", j.Self.Muted, j.Self.Camera, tt.wantMuted, tt.wantCamera)
			}
			if evs[0].Participant != j.Self || *s.Participants[j.Self.ID] != j.Self {
				t.Errorf("event %+v / state %+v differ from Self %+v", evs[0].Participant, *s.Participants[j.Self.ID], j.Self)
			}
		})
	}
}
