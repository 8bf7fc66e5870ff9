package room_test

import (
	"reflect"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// FuzzJoin (issue 9, "Fuzz targets": identity tokens and facilitator keys)
// sends State.Join a fuzzed name, facilitator key and identity token into
// a meeting that holds one person of every kind. Whatever they are, Join
// must not panic, and:
//   - the facilitator role comes with the room's key and only with it; no
//     join makes anyone a co-facilitator, not even one coming back;
//   - an identity brings back exactly the participant it was issued to,
//     and only if it is one issued in this meeting; removed and denied
//     people stay out;
//   - a join touches only the joiner: everyone else's record, and every
//     identity already issued, stay as they were;
//   - a refused join changes nothing and returns no event;
//   - a newcomer gets a clean name, the new id and the new identity, and
//     waits if the room has a waiting room (unless a facilitator).
//
// Run it longer with:
//
//	go test -run '^$' -fuzz '^FuzzJoin$' -fuzztime 5m ./room/
func FuzzJoin(f *testing.F) {
	// who: 0 uses the fuzzed identity as it is; 1..len(fuzzPeople) use
	// that person's token, so that the fuzzer reaches every comeback.
	// keyMode 1 uses the room's key instead of the fuzzed one. flags picks
	// the room's state (see fuzzJoinState). muted and camera: 0 unset,
	// 1 false, 2 true.
	for who := range uint8(len(fuzzPeople) + 1) {
		for _, keyMode := range []uint8{0, 1} {
			f.Add(uint8(0), who, keyMode, "Sam", "", "", uint8(0), uint8(0))
		}
	}
	f.Add(uint8(0b111111), uint8(0), uint8(0), "  Sam  ", fuzzJoinKey+" ", "tok-member", uint8(2), uint8(1))
	f.Add(uint8(0b000010), uint8(0), uint8(0), "Sam\u202e", fuzzJoinKey[:len(fuzzJoinKey)-1], "TOK-MEMBER", uint8(1), uint8(2))
	f.Add(uint8(0b1000000), uint8(0), uint8(0), "Sam Smith", "", "", uint8(0), uint8(0))
	f.Add(uint8(0b1000000), uint8(0), uint8(0), "Samantha-Alexandrina", "", "", uint8(0), uint8(0))
	f.Add(uint8(0b000001), uint8(0), uint8(0), "\xff", "\x00", "tok-facilitator\x00", uint8(0), uint8(0))

	f.Fuzz(func(t *testing.T, flags, who, keyMode uint8, name, key, identity string, muted, camera uint8) {
		s := fuzzJoinState(flags)
		if who > 0 {
			identity = fuzzPeople[int(who-1)%len(fuzzPeople)].token
		}
		if keyMode == 1 {
			key = fuzzJoinKey
		}
		req := room.JoinRequest{Name: name, FacilitatorKey: key, Identity: identity,
			Muted: fuzzBool(muted), Camera: fuzzBool(camera), Instance: "i1"}
		newID := room.ParticipantID{0xfe}
		const newIdentity = "tok-new"

		before := s.Clone()
		j, evs, err := s.Join(req, newID, newIdentity)
		if err != nil {
			if len(evs) != 0 {
				t.Errorf("refused join (%v) returned events", err)
			}
			if !reflect.DeepEqual(before, s) {
				t.Errorf("refused join (%v) changed the state", err)
			}
			return
		}
		checkJoined(t, before, s, req, j, newID, newIdentity)
		if len(evs) == 0 || evs[0].Kind != room.EventJoined || evs[0].Participant.ID != j.Self.ID {
			t.Errorf("join returned events %v, want a joined event first", evs)
		}
	})
}

// fuzzJoinKey is the facilitator key of FuzzJoin's room.
const fuzzJoinKey = "fuzz-facilitator-key"

// fuzzPeople are the participants of FuzzJoin's meeting, one of each kind.
var fuzzPeople = []struct {
	name, token string
	id          room.ParticipantID
	set         func(p *room.Participant)
}{
	{"Fay", "tok-facilitator", room.ParticipantID{1}, func(p *room.Participant) { p.Role = room.RoleFacilitator }},
	{"Cody", "tok-cofacilitator", room.ParticipantID{2}, func(p *room.Participant) { p.Role = room.RoleCoFacilitator }},
	{"Mo", "tok-member", room.ParticipantID{3}, func(p *room.Participant) {}},
	{"Lee", "tok-left", room.ParticipantID{4}, func(p *room.Participant) { p.Present = false }},
	{"Rex", "tok-removed", room.ParticipantID{5}, func(p *room.Participant) { p.Present, p.Removed = false, true }},
	{"Dee", "tok-denied", room.ParticipantID{6}, func(p *room.Participant) {
		p.Present, p.Denied, p.Status = false, true, room.StatusWaiting
	}},
	{"Wes", "tok-waiting", room.ParticipantID{7}, func(p *room.Participant) { p.Status = room.StatusWaiting }},
	{"Gone Fay", "tok-facilitator-left", room.ParticipantID{8}, func(p *room.Participant) {
		p.Role, p.Present = room.RoleFacilitator, false
	}},
}

// fuzzJoinState builds FuzzJoin's meeting. flags: bit 0 waiting room,
// 1 locked, 2 auto-locked, 3 suspended, 4 mute on entry, 5 the smallest
// meeting (2 people), 6 first names only.
func fuzzJoinState(flags uint8) *room.State {
	s := room.NewState(room.RoomID{0xaa}, "Fuzz group", fuzzJoinKey)
	s.Settings = room.DemoSettings()
	s.Settings.FirstNamesOnly = false // "Gone Fay"
	for _, p := range fuzzPeople {
		if _, _, err := s.Join(room.JoinRequest{Name: p.name, Instance: "i1"}, p.id, p.token); err != nil {
			panic("fuzzJoinState: " + err.Error())
		}
		p.set(s.Participants[p.id])
	}
	s.Settings.WaitingRoom = flags&1 != 0
	s.Locked = flags&2 != 0
	s.AutoLocked = flags&4 != 0
	s.Suspended = flags&8 != 0
	s.Settings.MuteOnEntry = flags&16 != 0
	s.Settings.FirstNamesOnly = flags&64 != 0
	if flags&32 != 0 {
		s.Settings.MaxParticipants = 2
	}
	return s
}

func fuzzBool(v uint8) *bool {
	switch v % 3 {
	case 1:
		b := false
		return &b
	case 2:
		b := true
		return &b
	}
	return nil
}

// checkJoined holds a successful join to FuzzJoin's rules.
func checkJoined(t *testing.T, before, after *room.State, req room.JoinRequest, j room.Joined, newID room.ParticipantID, newIdentity string) {
	t.Helper()
	self := j.Self
	prev, resumed := before.Participants[self.ID]
	keyOK := req.FacilitatorKey == fuzzJoinKey

	// Whose identity.
	if req.Identity == "" {
		if resumed || self.ID != newID || j.Identity != newIdentity {
			t.Fatalf("a join without identity became %v (identity %q), want the new participant", self.ID, j.Identity)
		}
	} else {
		owner, issued := fuzzTokenOwner(req.Identity)
		if !issued || self.ID != owner || j.Identity != req.Identity {
			t.Fatalf("identity %q brought back %v (issued: %v, to %v)", req.Identity, self.ID, issued, owner)
		}
		if prev.Removed || prev.Denied {
			t.Errorf("identity %q of someone removed or denied was let back in", req.Identity)
		}
	}

	// Roles: the key, and only the key, makes a facilitator (issue 9, "No
	// takeover": an identity token alone never brings back any powers).
	switch {
	case keyOK && (self.Role != room.RoleFacilitator || self.Status != room.StatusAdmitted):
		t.Errorf("join with the key made a %s, %s", self.Role, self.Status)
	case !keyOK && self.Role.Moderates():
		t.Errorf("join with key %q and identity %q (of a %s) made a %s",
			req.FacilitatorKey, req.Identity, roleOf(prev), self.Role)
	}

	// A newcomer.
	if !resumed {
		if name, err := room.CleanName(req.Name); err != nil || self.Name != name {
			t.Errorf("newcomer named %q from %q (clean: %q, %v)", self.Name, req.Name, name, err)
		}
		if before.Settings.FirstNamesOnly && room.FirstName(self.Name) != nil {
			t.Errorf("newcomer named %q under first names only", self.Name)
		}
		if !keyOK && before.Settings.WaitingRoom && self.Status != room.StatusWaiting {
			t.Errorf("a newcomer without the key skipped the waiting room")
		}
		if !keyOK && (before.Locked || before.AutoLocked) {
			t.Errorf("a newcomer without the key got into a locked room")
		}
	} else if self.Name != prev.Name {
		t.Errorf("a comeback renamed %q to %q", prev.Name, self.Name)
	}

	// The record and the token.
	if got := after.Participants[self.ID]; got == nil || !reflect.DeepEqual(*got, self) || !got.Present {
		t.Errorf("the state holds %+v for the joiner, the join returned %+v", got, self)
	}
	if resumed && self.Conn <= prev.Conn {
		t.Errorf("a comeback kept connection %d", self.Conn)
	}

	// Nobody else.
	for id, p := range before.Participants {
		if id != self.ID && !reflect.DeepEqual(p, after.Participants[id]) {
			t.Errorf("joining changed %s: %+v -> %+v", p.Name, *p, after.Participants[id])
		}
	}
	for h, id := range before.Identities {
		if after.Identities[h] != id {
			t.Errorf("joining reassigned an identity of %v to %v", id, after.Identities[h])
		}
	}
	if want := len(before.Identities) + map[bool]int{true: 0, false: 1}[resumed]; len(after.Identities) != want {
		t.Errorf("%d identities after the join, want %d", len(after.Identities), want)
	}
}

func roleOf(p *room.Participant) room.Role {
	if p == nil {
		return "newcomer"
	}
	return p.Role
}

// fuzzTokenOwner returns the participant a token of FuzzJoin's meeting
// was issued to.
func fuzzTokenOwner(token string) (room.ParticipantID, bool) {
	for _, p := range fuzzPeople {
		if p.token == token {
			return p.id, true
		}
	}
	return room.ParticipantID{}, false
}
