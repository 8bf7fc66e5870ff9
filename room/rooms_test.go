package room_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
)

// roomsWorld is a Service with a Directory, a settable clock and one room
// (waiting room on, as operators' rooms are by default), its keys, and
// the events of its meeting.
type roomsWorld struct {
	svc         *room.Service
	clk         *clock
	def         *room.Definition
	member, fac string
	rec         *recorder
}

func newRoomsWorld(t *testing.T) *roomsWorld {
	t.Helper()
	clk := newClock()
	svc := room.NewServiceWith(room.ServiceParams{Store: memory.New(), Directory: memory.NewDirectory(), Now: clk.Now})
	ctx := context.Background()
	d, err := svc.CreateRoom(ctx, room.RoomSpec{Name: "Tuesday group", Settings: room.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	m, f, err := svc.LinkKeys(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Open(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	t.Cleanup(svc.Subscribe(d.ID, rec.deliver))
	return &roomsWorld{svc: svc, clk: clk, def: d, member: m, fac: f, rec: rec}
}

func (w *roomsWorld) join(t *testing.T, req room.JoinRequest) (room.Joined, error) {
	t.Helper()
	return w.svc.Join(context.Background(), w.def.ID, req)
}

// Link keys are derived (the same secret, room and generation give the
// same key), differ by role, room and generation, and only their hashes
// are kept.
func TestLinkKeys(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	a, b := room.NewRoomID(), room.NewRoomID()
	m1, f1 := room.LinkKeys(secret, a, 1)
	m1again, _ := room.LinkKeys(secret, a, 1)
	m2, f2 := room.LinkKeys(secret, a, 2)
	mb, _ := room.LinkKeys(secret, b, 1)
	mOther, _ := room.LinkKeys([]byte("another secret of 32 bytes......"), a, 1)
	if m1 != m1again {
		t.Error("the same room and generation gave two member keys")
	}
	keys := map[string]bool{m1: true, f1: true, m2: true, f2: true, mb: true, mOther: true}
	if len(keys) != 6 {
		t.Errorf("keys collide: %v", keys)
	}
	if len(m1) != 43 {
		t.Errorf("member key %q: %d characters, want 43 (256 bits, base64url)", m1, len(m1))
	}
	d := room.NewDefinition(secret, "Group", room.DefaultSettings(), time.Now())
	m, f := room.LinkKeys(secret, d.ID, 1)
	if d.Links.MemberKeyHash == m || d.Links.FacilitatorKeyHash == f || d.Links.MemberKeyHash == "" {
		t.Errorf("the definition keeps %+v", d.Links)
	}
}

// A newcomer needs the member key, an invite or the facilitator key.
func TestJoinNeedsTheMemberKey(t *testing.T) {
	w := newRoomsWorld(t)
	for _, tc := range []struct {
		name string
		req  room.JoinRequest
		want error
	}{
		{"no key", room.JoinRequest{Name: "Sam"}, room.ErrBadLink},
		{"wrong key", room.JoinRequest{Name: "Sam", MemberKey: w.fac}, room.ErrBadLink},
		{"unknown invite", room.JoinRequest{Name: "Sam", Invite: "nope"}, room.ErrBadInvite},
		{"wrong facilitator key", room.JoinRequest{Name: "Sam", FacilitatorKey: w.member}, room.ErrForbidden},
		{"member key", room.JoinRequest{Name: "Sam", MemberKey: w.member}, nil},
		{"facilitator key", room.JoinRequest{Name: "Fran", FacilitatorKey: w.fac}, nil},
	} {
		if _, err := w.join(t, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// An invite lets in as many newcomers as it has uses, until it expires; a
// returning identity takes no use, nor does a join that fails.
func TestInvites(t *testing.T) {
	w := newRoomsWorld(t)
	ctx := context.Background()
	two, inv, err := w.svc.CreateInvite(ctx, w.def.ID, room.InviteSpec{Uses: 2, Valid: time.Hour, Label: "A.B."})
	if err != nil || inv.UsesLeft != 2 || !inv.ExpiresAt.Equal(w.clk.Now().Add(time.Hour).UTC().Truncate(time.Second)) {
		t.Fatalf("CreateInvite: %+v, %v", inv, err)
	}
	if _, err := w.join(t, room.JoinRequest{Name: "", Invite: two}); !errors.Is(err, room.ErrBadName) {
		t.Fatalf("a join with a bad name: %v", err)
	}
	a, err := w.join(t, room.JoinRequest{Name: "Ana", Invite: two})
	if err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := w.svc.Leave(ctx, w.def.ID, selfActor(a), false); err != nil {
		t.Fatal(err)
	}
	if _, err := w.join(t, room.JoinRequest{Identity: a.Identity, Invite: two}); err != nil {
		t.Fatalf("Ana back with her identity: %v", err)
	}
	if _, err := w.join(t, room.JoinRequest{Name: "Bo", Invite: two}); err != nil {
		t.Fatalf("second use (the failed join and the comeback took none): %v", err)
	}
	if _, err := w.join(t, room.JoinRequest{Name: "Cy", Invite: two}); !errors.Is(err, room.ErrBadInvite) {
		t.Errorf("third use of a two-use invite: %v, want ErrBadInvite", err)
	}
	one, _, err := w.svc.CreateInvite(ctx, w.def.ID, room.InviteSpec{Uses: 1, Valid: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w.clk.advance(time.Hour)
	if _, err := w.join(t, room.JoinRequest{Name: "Di", Invite: one}); !errors.Is(err, room.ErrBadInvite) {
		t.Errorf("an expired invite: %v, want ErrBadInvite", err)
	}
	for _, spec := range []room.InviteSpec{{Uses: 0, Valid: time.Hour}, {Uses: 1, Valid: 0}, {Uses: 1, Valid: 91 * 24 * time.Hour}} {
		if _, _, err := w.svc.CreateInvite(ctx, w.def.ID, spec); !errors.Is(err, room.ErrBadCommand) {
			t.Errorf("CreateInvite(%+v): %v, want ErrBadCommand", spec, err)
		}
	}
}

// Rotating the links: the old member and facilitator keys are refused at
// once; a person waiting who came through the old member link is sent
// away (an EventLinkRotated) and forgotten; admitted people stay, and so
// does someone waiting with an invite.
func TestRotateLinks(t *testing.T) {
	w := newRoomsWorld(t)
	ctx := context.Background()
	f, err := w.join(t, room.JoinRequest{Name: "Fran", FacilitatorKey: w.fac})
	if err != nil {
		t.Fatal(err)
	}
	admitted, _ := w.join(t, room.JoinRequest{Name: "Ana", MemberKey: w.member})
	if _, err := w.svc.Apply(ctx, w.def.ID, modCmd(selfActor(f), room.ModCommand{Action: room.ActAdmit, Target: admitted.Self.ID})); err != nil {
		t.Fatal(err)
	}
	waiting, _ := w.join(t, room.JoinRequest{Name: "Bo", MemberKey: w.member})
	inv, _, _ := w.svc.CreateInvite(ctx, w.def.ID, room.InviteSpec{Uses: 1, Valid: time.Hour})
	invited, err := w.join(t, room.JoinRequest{Name: "Cy", Invite: inv})
	if err != nil || waiting.Self.Status != room.StatusWaiting || invited.Self.Status != room.StatusWaiting {
		t.Fatalf("setup: %v %v %v", err, waiting.Self.Status, invited.Self.Status)
	}

	d, err := w.svc.RotateLinks(ctx, w.def.ID)
	if err != nil || d.Links.Generation != 2 {
		t.Fatalf("RotateLinks: %+v, %v", d, err)
	}
	if _, err := w.join(t, room.JoinRequest{Name: "Di", MemberKey: w.member}); !errors.Is(err, room.ErrBadLink) {
		t.Errorf("the old member link: %v, want ErrBadLink", err)
	}
	if _, err := w.join(t, room.JoinRequest{Name: "Ed", FacilitatorKey: w.fac}); !errors.Is(err, room.ErrForbidden) {
		t.Errorf("the old facilitator link: %v, want ErrForbidden", err)
	}
	if _, err := w.join(t, room.JoinRequest{Identity: waiting.Identity, MemberKey: w.member}); !errors.Is(err, room.ErrUnknownIdentity) {
		t.Errorf("the person sent away, back with their identity: %v, want ErrUnknownIdentity", err)
	}
	m2, f2, _ := w.svc.LinkKeys(ctx, d)
	if m2 == w.member || f2 == w.fac {
		t.Fatal("rotation kept a key")
	}
	if _, err := w.join(t, room.JoinRequest{Name: "Di", MemberKey: m2}); err != nil {
		t.Errorf("the new member link: %v", err)
	}
	var sentAway []room.ParticipantID
	for _, ev := range w.rec.events() {
		if ev.Kind == room.EventLinkRotated {
			sentAway = append(sentAway, ev.Participant.ID)
		}
	}
	if len(sentAway) != 1 || sentAway[0] != waiting.Self.ID {
		t.Errorf("sent away: %v, want only Bo %v", sentAway, waiting.Self.ID)
	}
	st, _ := w.svc.Snapshot(ctx, w.def.ID)
	for _, id := range []room.ParticipantID{f.Self.ID, admitted.Self.ID, invited.Self.ID} {
		if p := st.Participants[id]; p == nil || !p.Present {
			t.Errorf("%v is no longer in the meeting", id)
		}
	}
}

// The operators' changes reach the running meeting at once; a
// facilitator's own change of another setting stays for that meeting, and
// the next meeting starts from the room's definition.
func TestUpdateRoomReachesTheMeeting(t *testing.T) {
	w := newRoomsWorld(t)
	ctx := context.Background()
	f, _ := w.join(t, room.JoinRequest{Name: "Fran", FacilitatorKey: w.fac})
	yes, no := true, false
	if _, err := w.svc.Apply(ctx, w.def.ID, modCmd(selfActor(f), room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{PrivateChat: &yes}})); err != nil {
		t.Fatal(err)
	}
	name, code := "Tuesday evening group", "open sesame"
	d, err := w.svc.UpdateRoom(ctx, w.def.ID, room.RoomChange{Name: &name,
		Settings: &room.SettingsUpdate{WaitingRoom: &no, Passcode: &code}})
	if err != nil || d.Name != name || d.Settings.WaitingRoom || !d.Settings.PasscodeRequired() || d.Settings.PrivateChat {
		t.Fatalf("UpdateRoom: %+v, %v", d, err)
	}
	st, _ := w.svc.Snapshot(ctx, w.def.ID)
	if st.Name != name || st.Settings.WaitingRoom || !st.Settings.PasscodeRequired() || !st.Settings.PrivateChat {
		t.Errorf("the running meeting: %q %+v; want the new name, no waiting room, a passcode, and the facilitator's private chat", st.Name, st.Settings)
	}
	if _, err := w.join(t, room.JoinRequest{Name: "Sam", MemberKey: w.member}); !errors.Is(err, room.ErrPasscodeRequired) {
		t.Errorf("a newcomer without the new passcode: %v", err)
	}
	if _, err := w.svc.UpdateRoom(ctx, w.def.ID, room.RoomChange{Settings: &room.SettingsUpdate{MaxWaiting: new(int)}}); !errors.Is(err, room.ErrBadCommand) {
		t.Errorf("a waiting room of 0: %v, want ErrBadCommand", err)
	}
	// The meeting ends; the next starts from the definition.
	if err := w.svc.EndMeeting(ctx, w.def.ID); err != nil {
		t.Fatal(err)
	}
	j, err := w.join(t, room.JoinRequest{Name: "Fran", FacilitatorKey: w.fac})
	if err != nil || j.Snapshot.Settings.PrivateChat || j.Snapshot.Name != name {
		t.Errorf("the next meeting: %+v, %v; want the room's settings (no private chat)", j.Snapshot.Settings, err)
	}
}

// Deleting a room ends its meeting and forgets it; operators see running
// meetings as counts only.
func TestDeleteRoomAndMeetings(t *testing.T) {
	w := newRoomsWorld(t)
	ctx := context.Background()
	w.join(t, room.JoinRequest{Name: "Fran", FacilitatorKey: w.fac})
	w.join(t, room.JoinRequest{Name: "Sam", MemberKey: w.member})
	ms, err := w.svc.Meetings(ctx)
	if err != nil || len(ms) != 1 || ms[0].Participants != 1 || ms[0].Waiting != 1 || ms[0].RoomName != "Tuesday group" ||
		!ms[0].StartedAt.Equal(w.clk.Now().UTC()) {
		t.Fatalf("Meetings: %+v, %v", ms, err)
	}
	if err := w.svc.DeleteRoom(ctx, w.def.ID); err != nil {
		t.Fatal(err)
	}
	ended := false
	for _, ev := range w.rec.events() {
		ended = ended || ev.Kind == room.EventEnded
	}
	if !ended {
		t.Error("deleting the room did not end its meeting")
	}
	if _, err := w.join(t, room.JoinRequest{Name: "Sam", MemberKey: w.member}); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("a join after delete: %v, want ErrNotFound", err)
	}
	if err := w.svc.DeleteRoom(ctx, w.def.ID); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("delete again: %v", err)
	}
	if ms, _ := w.svc.Meetings(ctx); len(ms) != 0 {
		t.Errorf("meetings after delete: %+v", ms)
	}
}

// Rooms' names and schedules are checked.
func TestCreateRoomChecks(t *testing.T) {
	svc := room.NewServiceWith(room.ServiceParams{Store: memory.New(), Directory: memory.NewDirectory()})
	ctx := context.Background()
	for _, spec := range []room.RoomSpec{
		{Name: "  "},
		{Name: "Gro\tup"},
		{Name: "Group", Passcode: "abc"},
		{Name: "Group", Schedule: &room.Schedule{Days: []string{"funday"}, Time: "19:00", DurationMinutes: 60}},
		{Name: "Group", Schedule: &room.Schedule{Days: []string{"monday"}, Time: "25:00", DurationMinutes: 60}},
		{Name: "Group", Schedule: &room.Schedule{Days: []string{"monday"}, Time: "19:00", DurationMinutes: 0}},
		{Name: "Group", Schedule: &room.Schedule{Days: []string{"monday"}, Time: "19:00", DurationMinutes: 60, TimeZone: "Mars/Olympus"}},
	} {
		if _, err := svc.CreateRoom(ctx, spec); !errors.Is(err, room.ErrBadCommand) {
			t.Errorf("CreateRoom(%+v): %v, want ErrBadCommand", spec, err)
		}
	}
	noDir := room.NewService(memory.New(), nil)
	if _, err := noDir.CreateRoom(ctx, room.RoomSpec{Name: "Group"}); !errors.Is(err, room.ErrNoDirectory) {
		t.Errorf("without a Directory: %v", err)
	}
}
