package room_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// A room's passcode: a facilitator sets it through the settings (only a
// salted hash is kept, and the room says only that there is one); a
// newcomer without it gets ErrPasscodeRequired, with a wrong one
// ErrBadPasscode, with the right one (spaces around it allowed) comes in;
// the facilitator key and a returning identity need none; an empty
// passcode removes it.
func TestPasscodeJoin(t *testing.T) {
	s := newDemoState()
	fran := mustJoin(t, s, "Fran", testKey)
	evs := mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{Passcode: ptr("serenity now")}})
	wantEvents(t, evs, "room")
	h := s.Settings.PasscodeHash
	if !s.Settings.PasscodeRequired() || !strings.HasPrefix(h, "$argon2id$") || strings.Contains(h, "serenity") {
		t.Fatalf("stored %q, want an argon2id hash without the passcode", h)
	}
	for _, tc := range []struct {
		name, passcode string
		want           error
	}{
		{"no passcode", "", room.ErrPasscodeRequired},
		{"spaces only", "   ", room.ErrPasscodeRequired},
		{"wrong", "serenity later", room.ErrBadPasscode},
		{"wrong case", "Serenity Now", room.ErrBadPasscode},
		{"huge", strings.Repeat("x", 10000), room.ErrBadPasscode},
	} {
		if _, _, err := join(t, s, room.JoinRequest{Name: "Sam", Passcode: tc.passcode}, "id-sam"); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	sam, _, err := join(t, s, room.JoinRequest{Name: "Sam", Passcode: "  serenity now "}, "id-sam")
	if err != nil {
		t.Fatalf("the right passcode: %v", err)
	}
	mustLeave(t, s, sam.Self)
	if _, _, err := join(t, s, room.JoinRequest{Name: "Sam", Identity: "id-sam"}, "unused"); err != nil {
		t.Errorf("a returning identity without the passcode: %v", err)
	}
	if _, _, err := join(t, s, room.JoinRequest{Name: "Fay", FacilitatorKey: testKey}, "id-fay"); err != nil {
		t.Errorf("the facilitator key without the passcode: %v", err)
	}
	if _, _, err := join(t, s, room.JoinRequest{Name: "Mal", FacilitatorKey: "wrong"}, "id-mal"); !errors.Is(err, room.ErrForbidden) {
		t.Errorf("a wrong facilitator key: %v, want ErrForbidden", err)
	}

	// Setting the same passcode again salts it anew.
	mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{Passcode: ptr("serenity now")}})
	if s.Settings.PasscodeHash == h {
		t.Error("the same passcode set twice has the same hash: no fresh salt")
	}
	mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{Passcode: ptr("")}})
	if s.Settings.PasscodeRequired() {
		t.Fatal("an empty passcode did not remove it")
	}
	if _, _, err := join(t, s, room.JoinRequest{Name: "Ola"}, "id-ola"); err != nil {
		t.Errorf("after the passcode was removed: %v", err)
	}
}

// Passcodes out of bounds are refused as bad commands and change nothing;
// members cannot set one.
func TestPasscodeSettingRefused(t *testing.T) {
	s := newDemoState()
	fran := mustJoin(t, s, "Fran", testKey)
	mia := mustJoin(t, s, "Mia", "")
	for _, p := range []string{"abc", "   ab  ", strings.Repeat("p", 65), "pass\x00word"} {
		if _, err := mod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActSettings,
			Settings: &room.SettingsUpdate{Passcode: ptr(p), MaxWaiting: ptr(7)}}); !errors.Is(err, room.ErrBadCommand) {
			t.Errorf("passcode %q: %v, want ErrBadCommand", p, err)
		}
	}
	if _, err := mod(t, s, act(s, mia.Self.ID), room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{Passcode: ptr("letmein")}}); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("a member setting a passcode: %v, want ErrNotAllowed", err)
	}
	if s.Settings.PasscodeRequired() || s.Settings.MaxWaiting == 7 {
		t.Errorf("a refused settings change changed the room: %+v", s.Settings)
	}
}

// HashPasscode salts every hash, and a hash that is not one of ours
// matches nothing.
func TestHashPasscode(t *testing.T) {
	a, err := room.HashPasscode("serenity")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := room.HashPasscode("serenity")
	if a == b {
		t.Error("two hashes of one passcode are equal")
	}
	s := newDemoState()
	for _, h := range []string{a, b} {
		s.Settings.PasscodeHash = h
		if _, _, err := join(t, s.Clone(), room.JoinRequest{Name: "Sam", Passcode: "serenity"}, "id"); err != nil {
			t.Errorf("right passcode against %q: %v", h, err)
		}
	}
	for _, h := range []string{"x", "$argon2id$v=19$m=0,t=1,p=1$AAAA$AAAA", "$bcrypt$$$$", a[:len(a)-4]} {
		s.Settings.PasscodeHash = h
		if _, _, err := join(t, s.Clone(), room.JoinRequest{Name: "Sam", Passcode: "serenity"}, "id"); !errors.Is(err, room.ErrBadPasscode) {
			t.Errorf("against malformed hash %q: %v, want ErrBadPasscode", h, err)
		}
	}
	if _, err := room.HashPasscode("ab"); !errors.Is(err, room.ErrBadCommand) {
		t.Errorf("a short passcode: %v", err)
	}
}
