package room_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// waitingRoom is a room with its waiting room on, the limits given, Fran
// (facilitator) present, admitted members A1, A2, ... and waiting people
// W1, W2, ... present.
func waitingRoom(t testing.TB, maxParticipants, maxWaiting, admitted, waiting int) *cast {
	t.Helper()
	s := newState()
	s.Settings.MaxParticipants, s.Settings.MaxWaiting = maxParticipants, maxWaiting
	c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
	c.join(t, "Fran", testKey)
	for i := 1; i <= admitted; i++ {
		name := fmt.Sprintf("A%d", i)
		c.join(t, name, "")
		c.mustMod(t, "Fran", target(room.ActAdmit, c, name))
	}
	for i := 1; i <= waiting; i++ {
		c.join(t, fmt.Sprintf("W%d", i), "")
	}
	return c
}

// capCases are the rows of TestWaitingRoomCaps.
var capCases = []struct {
	name string
	// maxP, maxW are the room's limits; admitted and waiting how many
	// members are in each (Fran, the facilitator, is admitted too).
	maxP, maxW, admitted, waiting int
	// prep changes the room before the join.
	prep func(t *testing.T, c *cast)
	req  func(c *cast) room.JoinRequest
	// wantErr, or else the joiner's status.
	wantErr    error
	wantStatus room.Status
}{
	{name: "meeting full, waiting room has space: the newcomer waits",
		maxP: 3, maxW: 5, admitted: 2, waiting: 1,
		req: newcomer, wantStatus: room.StatusWaiting},
	{name: "waiting room full",
		maxP: 10, maxW: 3, waiting: 3,
		req: newcomer, wantErr: room.ErrWaitingRoomFull},
	{name: "waiting room full, a facilitator still gets in",
		maxP: 10, maxW: 3, waiting: 3,
		req:        func(*cast) room.JoinRequest { return room.JoinRequest{Name: "Fay", FacilitatorKey: testKey} },
		wantStatus: room.StatusAdmitted},
	{name: "both full, a facilitator still gets in",
		maxP: 2, maxW: 1, admitted: 1, waiting: 1,
		req:        func(*cast) room.JoinRequest { return room.JoinRequest{Name: "Fay", FacilitatorKey: testKey} },
		wantStatus: room.StatusAdmitted},
	{name: "default cap: 50 wait",
		maxP: 0, maxW: 0, waiting: 49,
		req: newcomer, wantStatus: room.StatusWaiting},
	{name: "default cap: the 51st is refused",
		maxP: 0, maxW: 0, waiting: 50,
		req: newcomer, wantErr: room.ErrWaitingRoomFull},
	{name: "locked comes first",
		maxP: 10, maxW: 1, waiting: 1,
		prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActLock}) },
		req:  newcomer, wantErr: room.ErrLocked},
	{name: "no waiting room, meeting full",
		maxP: 3, maxW: 1, admitted: 2,
		prep: noWaitingRoom,
		req:  newcomer, wantErr: room.ErrFull},
	{name: "no waiting room, people still waiting do not block the meeting",
		maxP: 3, maxW: 2, admitted: 1, waiting: 2,
		prep: noWaitingRoom,
		req:  newcomer, wantStatus: room.StatusAdmitted},
	{name: "someone who waited, left and comes back to a full waiting room",
		maxP: 10, maxW: 2, waiting: 2,
		prep: func(t *testing.T, c *cast) {
			mustLeave(t, c.s, *c.p("W1"))
			c.join(t, "W3", "")
		},
		req:     func(c *cast) room.JoinRequest { return room.JoinRequest{Identity: c.identity["W1"]} },
		wantErr: room.ErrWaitingRoomFull},
	{name: "someone waiting reconnects (connection replaced) when it is full",
		maxP: 10, maxW: 2, waiting: 2,
		req:        func(c *cast) room.JoinRequest { return room.JoinRequest{Identity: c.identity["W1"]} },
		wantStatus: room.StatusWaiting},
	{name: "an admitted member comes back to a full meeting",
		maxP: 3, maxW: 2, admitted: 2,
		prep: func(t *testing.T, c *cast) {
			mustLeave(t, c.s, *c.p("A1"))
			c.join(t, "A3", "")
			c.mustMod(t, "Fran", target(room.ActAdmit, c, "A3"))
		},
		req:        func(c *cast) room.JoinRequest { return room.JoinRequest{Identity: c.identity["A1"]} },
		wantStatus: room.StatusAdmitted},
}

// People waiting count toward the waiting room's cap, not the meeting's;
// facilitators always get in; leaving and coming back does not get round
// the cap.
func TestWaitingRoomCaps(t *testing.T) {
	for _, tt := range capCases {
		t.Run(tt.name, func(t *testing.T) {
			c := waitingRoom(t, tt.maxP, tt.maxW, tt.admitted, tt.waiting)
			if tt.prep != nil {
				tt.prep(t, c)
			}
			j, _, err := join(t, c.s, tt.req(c), "identity-joiner")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("join: %v, want %v", err, tt.wantErr)
			}
			if err == nil && j.Self.Status != tt.wantStatus {
				t.Errorf("joiner's status %s, want %s", j.Self.Status, tt.wantStatus)
			}
		})
	}
}

func newcomer(*cast) room.JoinRequest { return room.JoinRequest{Name: "Newcomer"} }

func noWaitingRoom(t *testing.T, c *cast) {
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{WaitingRoom: ptr(false)}})
}

// 99 scripted joins through a public member link fill the waiting room,
// not the meeting: a real member still comes in (here the facilitator has
// made room for 100 people waiting), and is admitted; beyond the cap
// newcomers are told the waiting room is full. Before the waiting room had
// its own cap, the 99 counted toward the meeting's 100 and the member got
// ErrFull.
func TestBotFloodDoesNotLockOutMembers(t *testing.T) {
	for _, maxWaiting := range []int{0, 100} {
		t.Run(fmt.Sprintf("maxWaiting=%d", maxWaiting), func(t *testing.T) {
			c := waitingRoom(t, 0, maxWaiting, 0, 0)
			waiting, refused := 0, map[string]int{}
			for i := range 99 {
				_, _, err := join(t, c.s, room.JoinRequest{Name: fmt.Sprintf("bot-%d", i)}, fmt.Sprintf("bot-identity-%d", i))
				switch {
				case err == nil:
					waiting++
				case errors.Is(err, room.ErrWaitingRoomFull):
					refused["waiting room full"]++
				default:
					refused[err.Error()]++
				}
			}
			j, _, err := join(t, c.s, room.JoinRequest{Name: "Realmember"}, "identity-real")
			t.Logf("maxParticipants 100 (default), maxWaiting %d: of 99 bots %d wait, refused %v; the real member: %v %v",
				maxWaiting, waiting, refused, j.Self.Status, err)
			if maxWaiting == 0 {
				// The default cap: the member is told the waiting room is
				// full; Deny all clears it, and they come in.
				if waiting != room.DefaultMaxWaiting || !errors.Is(err, room.ErrWaitingRoomFull) {
					t.Fatalf("default cap: %d bots wait, member %v; want %d and ErrWaitingRoomFull", waiting, err, room.DefaultMaxWaiting)
				}
				evs := c.mustMod(t, "Fran", room.ModCommand{Action: room.ActDenyAll})
				t.Logf("Deny all: %d people denied", len(evs))
				if j, _, err = join(t, c.s, room.JoinRequest{Name: "Realmember"}, "identity-real"); err != nil {
					t.Fatalf("the member after Deny all: %v", err)
				}
			} else if err != nil || waiting != 99 {
				t.Fatalf("%d bots wait; the member: %v; want 99 and the member waiting", waiting, err)
			}
			if j.Self.Status != room.StatusWaiting {
				t.Fatalf("the member is %s, want waiting", j.Self.Status)
			}
			c.mustMod(t, "Fran", room.ModCommand{Action: room.ActAdmit, Target: j.Self.ID})
			if p := c.s.Participants[j.Self.ID]; p.Status != room.StatusAdmitted {
				t.Errorf("the member after Admit is %s", p.Status)
			}
		})
	}
}

// Admitting respects the meeting's cap: one by one (ErrFull once it is
// reached) and all at once (as many as fit; the others keep waiting).
func TestAdmitRespectsMeetingCap(t *testing.T) {
	c := waitingRoom(t, 3, 10, 1, 3) // Fran, A1 in; W1..W3 wait; room for one more
	evs := c.mustMod(t, "Fran", room.ModCommand{Action: room.ActAdmitAll})
	if len(evs) != 1 || c.s.Participants[evs[0].Participant.ID].Status != room.StatusAdmitted {
		t.Fatalf("admit all with room for one: events %v", describe(evs))
	}
	for _, name := range []string{"W1", "W2", "W3"} {
		if c.p(name).Status == room.StatusWaiting {
			if _, err := c.mod(t, "Fran", target(room.ActAdmit, c, name)); !errors.Is(err, room.ErrFull) {
				t.Errorf("admit %s into a full meeting: %v, want ErrFull", name, err)
			}
		}
	}
	if _, err := c.mod(t, "Fran", room.ModCommand{Action: room.ActAdmitAll}); !errors.Is(err, room.ErrFull) {
		t.Errorf("admit all into a full meeting: %v, want ErrFull", err)
	}
	// Someone leaves: there is room again.
	mustLeave(t, c.s, *c.p("A1"))
	first := waitingNames(c)[0]
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActAdmitAll}), "updated:"+first)
}

// waitingNames are the names of the people waiting and present, in the
// order of their ids.
func waitingNames(c *cast) []string {
	var names []string
	for name, id := range c.ids {
		if p := c.s.Participants[id]; p.Present && p.Status == room.StatusWaiting {
			names = append(names, name)
		}
	}
	return c.sorted("", names...)
}

// Deny all turns away everyone waiting, also someone whose connection
// dropped; only those present are told. Nobody admitted is touched, and
// none of those denied can come back with their identity.
func TestDenyAll(t *testing.T) {
	c := waitingRoom(t, 10, 10, 1, 3)
	mustLeave(t, c.s, *c.p("W3")) // waiting, connection gone
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActDenyAll}), c.sorted("denied:", "W1", "W2")...)
	for _, name := range []string{"W1", "W2", "W3"} {
		if p := c.p(name); !p.Denied || p.Present {
			t.Errorf("%s after Deny all: %+v", name, *p)
		}
		if _, err := c.rejoin(t, name); !errors.Is(err, room.ErrDenied) {
			t.Errorf("%s comes back after Deny all: %v, want ErrDenied", name, err)
		}
	}
	if p := c.p("A1"); p.Denied || !p.Present || p.Status != room.StatusAdmitted {
		t.Errorf("admitted A1 after Deny all: %+v", *p)
	}
	// Nobody waiting: nothing happens.
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActDenyAll}))
	// A newcomer may still wait.
	if j := c.join(t, "Later", ""); j.Self.Status != room.StatusWaiting {
		t.Errorf("newcomer after Deny all: %s", j.Self.Status)
	}
}

// People in the waiting room may not rename themselves, chat or raise
// their hand (each was a way to make facilitators' pages busy); they are
// told why, and may once admitted.
func TestWaitingCannotRenameChatOrRaiseHand(t *testing.T) {
	cmds := []struct {
		name string
		run  func(s *room.State, a room.Actor) ([]room.Event, error)
	}{
		{"rename", func(s *room.State, a room.Actor) ([]room.Event, error) { return s.Rename(a, "Sneaky") }},
		{"chat to the room", func(s *room.State, a room.Actor) ([]room.Event, error) {
			return s.SendChat(a, room.ChatToRoom, "hello", t0)
		}},
		{"chat to facilitators", func(s *room.State, a room.Actor) ([]room.Event, error) {
			return s.SendChat(a, room.ChatToFacilitators, "hello", t0)
		}},
		{"raise hand", func(s *room.State, a room.Actor) ([]room.Event, error) { return s.RaiseHand(a) }},
		{"lower hand", func(s *room.State, a room.Actor) ([]room.Event, error) { return s.LowerHand(a) }},
	}
	for _, cmd := range cmds {
		t.Run(cmd.name, func(t *testing.T) {
			c := waitingRoom(t, 10, 10, 0, 1)
			before := c.s.Clone()
			_, err := run(t, c.s, func(s *room.State) ([]room.Event, error) { return cmd.run(s, c.act("W1")) })
			if !errors.Is(err, room.ErrNotAllowed) || !strings.Contains(err.Error(), "waiting room") {
				t.Fatalf("%s from the waiting room: %v, want ErrNotAllowed saying why", cmd.name, err)
			}
			assertUnchanged(t, before, c.s)
			t.Logf("%s: %v", cmd.name, err)
			c.mustMod(t, "Fran", target(room.ActAdmit, c, "W1"))
			if _, err := run(t, c.s, func(s *room.State) ([]room.Event, error) { return cmd.run(s, c.act("W1")) }); err != nil {
				t.Errorf("%s once admitted: %v", cmd.name, err)
			}
		})
	}
}

func TestMaxWaitingSetting(t *testing.T) {
	if s := room.DefaultSettings(); s.MaxWaiting != 0 || room.DefaultMaxWaiting != 50 {
		t.Errorf("default MaxWaiting %d (DefaultMaxWaiting %d), want 0 meaning 50", s.MaxWaiting, room.DefaultMaxWaiting)
	}
	for _, tt := range []struct {
		v  int
		ok bool
	}{{-1, false}, {0, false}, {1, true}, {50, true}, {500, true}, {501, false}} {
		c := waitingRoom(t, 0, 0, 0, 0)
		u := &room.SettingsUpdate{MaxWaiting: ptr(tt.v)}
		evs, err := c.mod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: u})
		switch {
		case tt.ok && (err != nil || c.s.Settings.MaxWaiting != tt.v):
			t.Errorf("maxWaiting %d: %v, setting %d", tt.v, err, c.s.Settings.MaxWaiting)
		case tt.ok:
			wantEvents(t, evs, "room")
		case !errors.Is(err, room.ErrBadCommand):
			t.Errorf("maxWaiting %d: %v, want ErrBadCommand", tt.v, err)
		}
	}
}

// Resuming a facilitator's identity needs the facilitator key: a stolen
// token alone never brings a facilitator's powers. A co-facilitator's
// identity without the key comes back as a member (promoted members have
// no facilitator link); a member's as before.
func TestNoTakeoverWithIdentityAlone(t *testing.T) {
	tests := []struct {
		name    string
		who     string // whose identity is presented: Fran, Cora or Mia
		absent  bool   // they left before
		key     string
		wantErr error
		// wantRole, when the join succeeds.
		wantRole room.Role
	}{
		{name: "present facilitator, token alone", who: "Fran", wantErr: room.ErrKeyRequired},
		{name: "absent facilitator, token alone", who: "Fran", absent: true, wantErr: room.ErrKeyRequired},
		{name: "present facilitator, wrong key", who: "Fran", key: "wrong", wantErr: room.ErrForbidden},
		{name: "present facilitator, with the key", who: "Fran", key: testKey, wantRole: room.RoleFacilitator},
		{name: "absent facilitator, with the key", who: "Fran", absent: true, key: testKey, wantRole: room.RoleFacilitator},
		{name: "present co-facilitator, token alone", who: "Cora", wantRole: room.RoleMember},
		{name: "absent co-facilitator, token alone", who: "Cora", absent: true, wantRole: room.RoleMember},
		{name: "co-facilitator with the key", who: "Cora", key: testKey, wantRole: room.RoleFacilitator},
		{name: "member, token alone", who: "Mia", wantRole: room.RoleMember},
		{name: "absent member, token alone", who: "Mia", absent: true, wantRole: room.RoleMember},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCast(t)
			if tt.absent {
				leave(t, c.s, c.act(tt.who), false)
			}
			before := *c.p(tt.who)
			j, evs, err := join(t, c.s, room.JoinRequest{Name: "Thief", Identity: c.identity[tt.who], FacilitatorKey: tt.key}, "x")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("join with %s's identity: %v, want %v", tt.who, err, tt.wantErr)
			}
			if err != nil {
				if p := c.p(tt.who); *p != before {
					t.Errorf("%s changed by a refused join: %+v, was %+v", tt.who, *p, before)
				}
				return
			}
			if j.Self.Role != tt.wantRole || j.Self.ID != c.id(tt.who) {
				t.Errorf("joined as %s (%s), want %s as %s", j.Self.Role, j.Self.Name, tt.who, tt.wantRole)
			}
			if _, err := c.mod(t, tt.who, room.ModCommand{Action: room.ActLock}); (err == nil) != tt.wantRole.Moderates() {
				t.Errorf("lock after the join: %v; want allowed %v", err, tt.wantRole.Moderates())
			}
			t.Logf("events %v", describe(evs))
		})
	}
}

// A co-facilitator who was the last moderator present and is replaced by
// a join without the key leaves the room auto-locked.
func TestCoFacilitatorWithoutKeyLocksRoom(t *testing.T) {
	c := newCast(t)
	leave(t, c.s, c.act("Fran"), true)
	if c.s.AutoLocked {
		t.Fatal("auto-locked while Cora is present")
	}
	_, evs, err := join(t, c.s, room.JoinRequest{Identity: c.identity["Cora"]}, "x")
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, evs, "joined:Cora", "room")
	if !c.s.AutoLocked || c.p("Cora").Role != room.RoleMember {
		t.Errorf("autoLocked %v, Cora %s; want true, member", c.s.AutoLocked, c.p("Cora").Role)
	}
}

// visibleTo lists which of names may see each event, as kind:names.
func visibleTo(c *cast, evs []room.Event, names ...string) []string {
	var out []string
	for _, ev := range evs {
		var who []string
		for _, n := range names {
			if ev.VisibleTo(*c.p(n)) {
				who = append(who, n)
			}
		}
		out = append(out, string(ev.Kind)+":"+strings.Join(who, ","))
	}
	return out
}

// TestTalkToSomeoneWaiting: a facilitator may write to someone waiting,
// who reads only that conversation and may answer only the facilitators,
// and only once written to (so bots waiting cannot fill the facilitators'
// chat). Once admitted they keep the conversation and see the room's
// chat; sent back to wait, they see only the conversation again.
func TestTalkToSomeoneWaiting(t *testing.T) {
	c := newCast(t) // m1: Mia to the room; Will and Wendy wait
	will := c.id("Will")
	everyone := []string{"Fran", "Cora", "Mia", "Will", "Wendy"}
	steps := []struct {
		name    string
		do      func(t *testing.T) ([]room.Event, error)
		seenBy  []string // visibleTo of the events
		wantErr error
	}{
		{name: "Will cannot write before a facilitator did", wantErr: room.ErrNotAllowed,
			do: func(t *testing.T) ([]room.Event, error) {
				return c.chat(t, "Will", room.ChatToFacilitators, "let me in")
			}},
		{name: "a member cannot write to Will", wantErr: room.ErrBadCommand,
			do: func(t *testing.T) ([]room.Event, error) { return c.chat(t, "Mia", room.ChatToParticipant(will), "hi") }},
		{name: "Fran writes to Will (m2)", seenBy: []string{"chat:Fran,Will"},
			do: func(t *testing.T) ([]room.Event, error) {
				return c.chat(t, "Fran", room.ChatToParticipant(will), "Is this your first meeting?")
			}},
		{name: "Will cannot write to the room", wantErr: room.ErrNotAllowed,
			do: func(t *testing.T) ([]room.Event, error) { return c.chat(t, "Will", room.ChatToRoom, "hi all") }},
		{name: "Will cannot write to Fran alone", wantErr: room.ErrNotAllowed,
			do: func(t *testing.T) ([]room.Event, error) {
				return c.chat(t, "Will", room.ChatToParticipant(c.id("Fran")), "hi")
			}},
		{name: "Wendy still cannot write", wantErr: room.ErrNotAllowed,
			do: func(t *testing.T) ([]room.Event, error) { return c.chat(t, "Wendy", room.ChatToFacilitators, "me too") }},
		{name: "Will answers the facilitators, also with chat closed (m3)", seenBy: []string{"chat:Fran,Cora,Will"},
			do: func(t *testing.T) ([]room.Event, error) {
				c.mustMod(t, "Fran", room.ModCommand{Action: room.ActCloseChat})
				return c.chat(t, "Will", room.ChatToFacilitators, "Yes, it is")
			}},
	}
	for _, st := range steps {
		evs, err := st.do(t)
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("%s: err = %v, want %v", st.name, err, st.wantErr)
		}
		if got := visibleTo(c, evs, everyone...); strings.Join(got, " ") != strings.Join(st.seenBy, " ") {
			t.Errorf("%s: events seen %v, want %v", st.name, got, st.seenBy)
		}
	}
	chatOf := func(name string) string { return strings.Join(chatIDs(c.s.VisibleChat(*c.p(name))), ",") }
	for name, want := range map[string]string{"Will": "m2,m3", "Wendy": "", "Mia": "m1", "Fran": "m1,m2,m3", "Cora": "m1,m3"} {
		if got := chatOf(name); got != want {
			t.Errorf("waiting: VisibleChat(%s) = %s, want %s", name, got, want)
		}
	}
	c.mustMod(t, "Fran", target(room.ActAdmit, c, "Will"))
	if got := chatOf("Will"); got != "m1,m2,m3" {
		t.Errorf("admitted: VisibleChat(Will) = %s, want m1,m2,m3", got)
	}
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActOpenChat})
	ok(t)(c.chat(t, "Mia", room.ChatToRoom, "welcome Will")) // m4
	c.mustMod(t, "Fran", target(room.ActMoveToWaiting, c, "Will"))
	if got := chatOf("Will"); got != "m2,m3" {
		t.Errorf("sent back: VisibleChat(Will) = %s, want m2,m3", got)
	}
	// Written to before, Will may still answer the facilitators.
	wantEvents(t, ok(t)(c.chat(t, "Will", room.ChatToFacilitators, "ok")), "chat:Will")
}

// TestMoveToWaiting: a facilitator sends an admitted member back to the
// waiting room: they leave the others' view, lose hand and floor, are
// muted by the facilitator with their camera off, and may be admitted
// again. Only admitted members can be sent back.
func TestMoveToWaiting(t *testing.T) {
	t.Run("the speaker", func(t *testing.T) {
		c := newCast(t) // Bob has the floor
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		evs := c.mustMod(t, "Cora", target(room.ActMoveToWaiting, c, "Bob"))
		wantEvents(t, evs, "left:Bob", "room", "updated:Bob")
		names := []string{"Fran", "Cora", "Mia", "Bob", "Will"}
		want := "left:Fran,Cora,Mia,Bob room:Fran,Cora,Mia,Bob,Will updated:Fran,Cora,Bob"
		if got := strings.Join(visibleTo(c, evs, names...), " "); got != want {
			t.Errorf("seen: %s\nwant: %s", got, want)
		}
		bob := c.p("Bob")
		if bob.Status != room.StatusWaiting || !bob.Muted || bob.MutedBy != room.MutedByFacilitator || bob.Camera ||
			!bob.Present || c.s.Speaker != (room.ParticipantID{}) || c.s.Timer != nil {
			t.Errorf("after: Bob %+v, speaker %v, timer %v", *bob, c.s.Speaker, c.s.Timer)
		}
		if _, err := c.setSelf(t, "Bob", room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotAllowed) {
			t.Errorf("Bob unmutes while waiting: %v, want ErrNotAllowed", err)
		}
		wantEvents(t, c.mustMod(t, "Fran", target(room.ActAdmit, c, "Bob")), "updated:Bob")
	})
	refusals := []struct {
		name, actor, target string
		prep                func(t *testing.T, c *cast)
		wantErr             error
	}{
		{name: "someone waiting", actor: "Fran", target: "Will", wantErr: room.ErrBadCommand},
		{name: "a co-facilitator", actor: "Fran", target: "Cora", wantErr: room.ErrBadCommand},
		{name: "a facilitator, by a co-facilitator", actor: "Cora", target: "Fran", wantErr: room.ErrBadCommand},
		{name: "themselves", actor: "Fran", target: "Fran", wantErr: room.ErrBadCommand},
		{name: "someone who left", actor: "Fran", target: "Abe", wantErr: room.ErrBadCommand},
		{name: "by a member", actor: "Mia", target: "Bob", wantErr: room.ErrNotAllowed},
		{name: "twice", actor: "Fran", target: "Mia", wantErr: room.ErrBadCommand, prep: func(t *testing.T, c *cast) {
			c.mustMod(t, "Fran", target(room.ActMoveToWaiting, c, "Mia"))
		}},
	}
	for _, tt := range refusals {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			c := newCast(t)
			if tt.prep != nil {
				tt.prep(t, c)
			}
			before := c.s.Clone()
			if _, err := c.mod(t, tt.actor, target(room.ActMoveToWaiting, c, tt.target)); !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			assertUnchanged(t, before, c.s)
		})
	}
}

// franWritesToWill: the facilitator writes m2 to Will, who is waiting.
func franWritesToWill(t *testing.T, c *cast) {
	ok(t)(c.chat(t, "Fran", room.ChatToParticipant(c.id("Will")), "Is this your first meeting?"))
}

// TestWaitingChatRefused: what someone waiting may not write, and to whom
// nobody but a facilitator may write in the waiting room.
func TestWaitingChatRefused(t *testing.T) {
	toFacilitators := func(*cast) room.Audience { return room.ChatToFacilitators }
	tests := []struct {
		name, from string
		prep       func(t *testing.T, c *cast)
		to         func(c *cast) room.Audience
		text       string
		wantErr    error
	}{
		{name: "member to someone waiting, private chat on", from: "Mia", prep: func(t *testing.T, c *cast) {
			c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{PrivateChat: ptr(true)}})
		}, to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Will")) }, wantErr: room.ErrBadCommand},
		{name: "someone waiting to another waiting", from: "Will", prep: franWritesToWill,
			to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Wendy")) }, wantErr: room.ErrNotAllowed},
		{name: "waiting, not written to, while another was", from: "Wendy", prep: franWritesToWill, to: toFacilitators, wantErr: room.ErrNotAllowed},
		{name: "written to, to the room", from: "Will", prep: franWritesToWill, wantErr: room.ErrNotAllowed},
		{name: "written to, to a facilitator alone", from: "Will", prep: franWritesToWill,
			to: func(c *cast) room.Audience { return room.ChatToParticipant(c.id("Fran")) }, wantErr: room.ErrNotAllowed},
		{name: "written to, bad text", from: "Will", prep: franWritesToWill, to: toFacilitators, text: "\x1b", wantErr: room.ErrBadCommand},
		{name: "written to, but the message was deleted", from: "Will", prep: func(t *testing.T, c *cast) {
			franWritesToWill(t, c)
			c.mustMod(t, "Fran", room.ModCommand{Action: room.ActDeleteChat, MessageID: "m2"})
		}, to: toFacilitators, wantErr: room.ErrNotAllowed},
		{name: "written to by a member before (private chat on), now waiting", from: "Mia", prep: func(t *testing.T, c *cast) {
			c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{PrivateChat: ptr(true)}})
			ok(t)(c.chat(t, "Bob", room.ChatToParticipant(c.id("Mia")), "hi"))
			c.mustMod(t, "Fran", target(room.ActMoveToWaiting, c, "Mia"))
		}, to: toFacilitators, wantErr: room.ErrNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCast(t)
			tt.prep(t, c)
			to, text := room.ChatToRoom, tt.text
			if tt.to != nil {
				to = tt.to(c)
			}
			if text == "" {
				text = "hello"
			}
			before := c.s.Clone()
			evs, err := c.chat(t, tt.from, to, text)
			if !errors.Is(err, tt.wantErr) || evs != nil {
				t.Errorf("= %v, %v; want no events, %v", describe(evs), err, tt.wantErr)
			}
			assertUnchanged(t, before, c.s)
		})
	}
}
