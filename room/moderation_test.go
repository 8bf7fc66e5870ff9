package room_test

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// cast is a room (default settings but mute on entry off, so that muting
// shows) with someone in every position a command can come from or aim at:
//
//	Fran         facilitator
//	Cora         co-facilitator
//	Mia          member; her hand is up; she wrote chat message m1
//	Bob          member; the speaker (called on)
//	Stan         member who reconnected: his first connection (Conn 1) is stale
//	Abe          member who left
//	Will, Wendy  waiting to be admitted
type cast struct {
	s        *room.State
	ids      map[string]room.ParticipantID
	identity map[string]string
}

// present members (admitted or waiting) and every non-moderator.
var (
	presentMembers = []string{"Mia", "Bob", "Stan", "Will", "Wendy"}
	allMembers     = []string{"Mia", "Bob", "Stan", "Will", "Wendy", "Abe"}
)

func newCast(t testing.TB) *cast {
	t.Helper()
	s := newState()
	s.Settings.MuteOnEntry = false
	c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
	c.join(t, "Fran", testKey)
	for _, name := range []string{"Cora", "Mia", "Bob", "Stan", "Abe"} {
		if j := c.join(t, name, ""); j.Self.Status != room.StatusWaiting {
			t.Fatalf("%s did not wait: %+v", name, j.Self)
		}
		wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActAdmit, Target: c.id(name)}), "updated:"+name)
	}
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActPromote, Target: c.id("Cora")}), "updated:Cora")
	if evs, err := c.rejoin(t, "Stan"); err != nil {
		t.Fatalf("Stan reconnects: %v", err)
	} else {
		wantEvents(t, evs, "joined:Stan")
	}
	wantEvents(t, leave(t, s, c.act("Abe"), true), "left:Abe")
	c.join(t, "Will", "")
	c.join(t, "Wendy", "")
	wantEvents(t, mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(c.act("Mia")) }), "hands")
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActLetSpeak, Target: c.id("Bob")}), "room")
	wantEvents(t, mustRun(t, s, func(s *room.State) ([]room.Event, error) {
		return s.SendChat(c.act("Mia"), room.ChatToRoom, "hello", t0)
	}), "chat:Mia")

	if s.Participants[c.id("Stan")].Conn != 2 || s.Participants[c.id("Abe")].Present ||
		!slices.Equal(s.Hands, []room.ParticipantID{c.id("Mia")}) || s.Speaker != c.id("Bob") ||
		len(s.Chat) != 1 || s.Chat[0].ID != "m1" || s.Locked || s.AutoLocked || !s.ChatOpen {
		t.Fatalf("cast not as described: %s", dump(t, s))
	}
	return c
}

func (c *cast) join(t testing.TB, name, key string) room.Joined {
	t.Helper()
	j := mustJoin(t, c.s, name, key)
	c.ids[name], c.identity[name] = j.Self.ID, j.Identity
	return j
}

// rejoin brings name back with their identity (and, for a facilitator,
// the key, as their facilitator link does).
func (c *cast) rejoin(t testing.TB, name string) ([]room.Event, error) {
	t.Helper()
	req := room.JoinRequest{Name: name, Identity: c.identity[name]}
	if p := c.s.Participants[c.ids[name]]; p != nil && p.Role == room.RoleFacilitator {
		req.FacilitatorKey = testKey
	}
	_, evs, err := join(t, c.s, req, "unused-identity")
	return evs, err
}

func (c *cast) id(name string) room.ParticipantID {
	id, ok := c.ids[name]
	if !ok {
		panic("no participant " + name)
	}
	return id
}

// act is name on their current connection.
func (c *cast) act(name string) room.Actor { return act(c.s, c.id(name)) }

func (c *cast) p(name string) *room.Participant { return c.s.Participants[c.id(name)] }

// in is name's entry in w (a copy of the state).
func (c *cast) in(w *room.State, name string) *room.Participant { return w.Participants[c.id(name)] }

func (c *cast) mod(t testing.TB, name string, cmd room.ModCommand) ([]room.Event, error) {
	t.Helper()
	return mod(t, c.s, c.act(name), cmd)
}

func (c *cast) mustMod(t testing.TB, name string, cmd room.ModCommand) []room.Event {
	t.Helper()
	return mustMod(t, c.s, c.act(name), cmd)
}

func (c *cast) setSelf(t testing.TB, name string, u room.SelfUpdate) ([]room.Event, error) {
	t.Helper()
	return setSelf(t, c.s, c.act(name), u)
}

// sorted returns prefix+name for each name, in the order of their ids (the
// order of commands that touch several participants).
func (c *cast) sorted(prefix string, names ...string) []string {
	names = slices.Clone(names)
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(c.id(a).String(), c.id(b).String()) })
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

func target(action room.Action, c *cast, name string) room.ModCommand {
	return room.ModCommand{Action: action, Target: c.id(name)}
}

// normalized returns a copy of s where empty slices are nil, to compare
// states that differ only in that.
func normalized(s *room.State) *room.State {
	s = s.Clone()
	if len(s.Hands) == 0 {
		s.Hands = nil
	}
	if len(s.Chat) == 0 {
		s.Chat = nil
	}
	if len(s.Reports) == 0 {
		s.Reports = nil
	}
	return s
}

// actionCase is one moderation action, aimed where it is valid.
type actionCase struct {
	// prep readies the cast (as Fran) before the command.
	prep func(t testing.TB, c *cast)
	cmd  func(c *cast) room.ModCommand
	// events describes the events (see describe).
	events func(c *cast) []string
	// want applies the expected change to w, a copy of the state before.
	want func(c *cast, w *room.State)
	// after checks more, once the command was applied by actor.
	after func(t *testing.T, c *cast, actor string)
}

func each(c *cast, w *room.State, names []string, f func(p *room.Participant)) {
	for _, n := range names {
		f(c.in(w, n))
	}
}

// actionCases has a case for every action of room.Actions().
var actionCases = map[room.Action]actionCase{
	room.ActAdmit: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActAdmit, c, "Will") },
		events: func(c *cast) []string { return []string{"updated:Will"} },
		want:   func(c *cast, w *room.State) { c.in(w, "Will").Status = room.StatusAdmitted },
	},
	room.ActDeny: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActDeny, c, "Will") },
		events: func(c *cast) []string { return []string{"denied:Will"} },
		want: func(c *cast, w *room.State) {
			c.in(w, "Will").Denied, c.in(w, "Will").Present = true, false
		},
		after: func(t *testing.T, c *cast, _ string) {
			if _, err := c.rejoin(t, "Will"); !errors.Is(err, room.ErrDenied) {
				t.Errorf("denied person joins again: %v, want ErrDenied", err)
			}
		},
	},
	room.ActAdmitAll: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActAdmitAll} },
		events: func(c *cast) []string { return c.sorted("updated:", "Will", "Wendy") },
		want: func(c *cast, w *room.State) {
			each(c, w, []string{"Will", "Wendy"}, func(p *room.Participant) { p.Status = room.StatusAdmitted })
		},
	},
	room.ActDenyAll: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActDenyAll} },
		events: func(c *cast) []string { return c.sorted("denied:", "Will", "Wendy") },
		want: func(c *cast, w *room.State) {
			each(c, w, []string{"Will", "Wendy"}, func(p *room.Participant) { p.Denied, p.Present = true, false })
		},
		after: func(t *testing.T, c *cast, _ string) {
			for _, name := range []string{"Will", "Wendy"} {
				if _, err := c.rejoin(t, name); !errors.Is(err, room.ErrDenied) {
					t.Errorf("%s, denied with everyone waiting, joins again: %v, want ErrDenied", name, err)
				}
			}
		},
	},
	room.ActLock: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActLock} },
		events: func(c *cast) []string { return []string{"room"} },
		want:   func(c *cast, w *room.State) { w.Locked = true },
		after: func(t *testing.T, c *cast, _ string) {
			if _, _, err := join(t, c.s, room.JoinRequest{Name: "Newcomer"}, "identity-new"); !errors.Is(err, room.ErrLocked) {
				t.Errorf("new member joins a locked room: %v, want ErrLocked", err)
			}
		},
	},
	room.ActUnlock: {
		prep:   func(t testing.TB, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActLock}) },
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActUnlock} },
		events: func(c *cast) []string { return []string{"room"} },
		want:   func(c *cast, w *room.State) { w.Locked = false },
	},
	room.ActLowerHand: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActLowerHand, c, "Mia") },
		events: func(c *cast) []string { return []string{"hands"} },
		want:   func(c *cast, w *room.State) { w.Hands = nil },
	},
	room.ActNextSpeaker: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActNextSpeaker} },
		events: func(c *cast) []string { return []string{"hands", "room"} },
		want:   func(c *cast, w *room.State) { w.Hands, w.Speaker = nil, c.id("Mia") },
	},
	room.ActLetSpeak: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActLetSpeak, c, "Mia") },
		events: func(c *cast) []string { return []string{"hands", "room"} },
		want:   func(c *cast, w *room.State) { w.Hands, w.Speaker = nil, c.id("Mia") },
	},
	room.ActEndTurn: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActEndTurn, c, "Bob") },
		events: func(c *cast) []string { return []string{"room"} },
		want:   func(c *cast, w *room.State) { w.Speaker = room.ParticipantID{} },
	},
	room.ActMute: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActMute, c, "Mia") },
		events: func(c *cast) []string { return []string{"updated:Mia"} },
		want: func(c *cast, w *room.State) {
			c.in(w, "Mia").Muted, c.in(w, "Mia").MutedBy = true, room.MutedByFacilitator
		},
		after: func(t *testing.T, c *cast, _ string) {
			if _, err := c.setSelf(t, "Mia", room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotAllowed) {
				t.Errorf("Mia unmutes after a facilitator muted her: %v, want ErrNotAllowed", err)
			}
		},
	},
	room.ActMuteAll: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActMuteAll} },
		events: func(c *cast) []string { return c.sorted("updated:", presentMembers...) },
		want: func(c *cast, w *room.State) {
			// Members whose connection dropped (Abe) are muted too.
			each(c, w, append([]string{"Abe"}, presentMembers...), func(p *room.Participant) {
				p.Muted, p.MutedBy = true, room.MutedByFacilitator
			})
		},
	},
	room.ActAskUnmute: {
		prep: func(t testing.TB, c *cast) {
			wantEvents(t, ok(t)(c.setSelf(t, "Mia", room.SelfUpdate{Muted: ptr(true)})), "updated:Mia")
			c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{Mode: ptr(room.ModeModerated)}})
		},
		cmd:    func(c *cast) room.ModCommand { return target(room.ActAskUnmute, c, "Mia") },
		events: func(c *cast) []string { return []string{"ask_unmute:Mia"} },
		want:   func(c *cast, w *room.State) { c.in(w, "Mia").AskedToUnmute = true },
		after: func(t *testing.T, c *cast, _ string) {
			// In moderated mode, only the ask lets her unmute.
			wantEvents(t, ok(t)(c.setSelf(t, "Mia", room.SelfUpdate{Muted: ptr(false)})), "updated:Mia")
			if p := c.p("Mia"); p.Muted || p.MutedBy != "" || p.AskedToUnmute {
				t.Errorf("Mia after unmuting = %+v", *p)
			}
		},
	},
	room.ActStartTimer: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActStartTimer, Seconds: 60} },
		events: func(c *cast) []string { return []string{"room"} },
		want: func(c *cast, w *room.State) {
			w.Timer = &room.Timer{Speaker: c.id("Bob"), EndsAt: t0 + 60_000, Seconds: 60}
		},
	},
	room.ActStopTimer: {
		prep: func(t testing.TB, c *cast) {
			c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		},
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActStopTimer} },
		events: func(c *cast) []string { return []string{"room"} },
		want:   func(c *cast, w *room.State) { w.Timer = nil },
	},
	room.ActRemove: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActRemove, c, "Mia") },
		events: func(c *cast) []string { return []string{"removed:Mia", "hands"} },
		want: func(c *cast, w *room.State) {
			c.in(w, "Mia").Removed, c.in(w, "Mia").Present, w.Hands = true, false, nil
		},
		after: func(t *testing.T, c *cast, _ string) {
			if _, err := c.rejoin(t, "Mia"); !errors.Is(err, room.ErrRemoved) {
				t.Errorf("removed member joins again: %v, want ErrRemoved", err)
			}
		},
	},
	room.ActRename: {
		cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActRename, Target: c.id("Mia"), Name: "  Maya "}
		},
		events: func(c *cast) []string { return []string{"updated:Maya"} },
		want:   func(c *cast, w *room.State) { c.in(w, "Mia").Name = "Maya" },
	},
	room.ActSettings: {
		cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{
				WaitingRoom: ptr(false), MuteOnEntry: ptr(true), Mode: ptr(room.ModeModerated), SelfRename: ptr(false),
				PrivateChat: ptr(true), Guidelines: ptr("  Be kind.\n"), ShareSeconds: ptr(120), AutoMute: ptr(true),
				FirstNamesOnly: ptr(false)}}
		},
		events: func(c *cast) []string { return []string{"room"} },
		want: func(c *cast, w *room.State) {
			w.Settings = room.Settings{WaitingRoom: false, MuteOnEntry: true, Mode: room.ModeModerated, SelfRename: false,
				PrivateChat: true, Guidelines: "Be kind.", ShareSeconds: 120, AutoMute: true}
		},
	},
	room.ActCloseChat: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActCloseChat} },
		events: func(c *cast) []string { return []string{"room"} },
		want:   func(c *cast, w *room.State) { w.ChatOpen = false },
		after: func(t *testing.T, c *cast, actor string) {
			if _, err := run(t, c.s, func(s *room.State) ([]room.Event, error) {
				return s.SendChat(c.act("Mia"), room.ChatToRoom, "hi", t0)
			}); !errors.Is(err, room.ErrChatClosed) {
				t.Errorf("member chats when chat is closed: %v, want ErrChatClosed", err)
			}
			wantEvents(t, mustRun(t, c.s, func(s *room.State) ([]room.Event, error) {
				return s.SendChat(c.act(actor), room.ChatToRoom, "still here", t0)
			}), "chat:"+actor)
		},
	},
	room.ActOpenChat: {
		prep:   func(t testing.TB, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActCloseChat}) },
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActOpenChat} },
		events: func(c *cast) []string { return []string{"room"} },
		want:   func(c *cast, w *room.State) { w.ChatOpen = true },
	},
	room.ActDeleteChat: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActDeleteChat, MessageID: "m1"} },
		events: func(c *cast) []string { return []string{"chat_deleted:m1"} },
		want:   func(c *cast, w *room.State) { w.Chat = nil },
	},
	room.ActSuspend: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActSuspend} },
		events: func(c *cast) []string { return append(c.sorted("updated:", presentMembers...), "room") },
		want: func(c *cast, w *room.State) {
			each(c, w, allMembers, func(p *room.Participant) {
				p.Muted, p.MutedBy, p.Camera, p.CameraBlocked = true, room.MutedByFacilitator, false, true
			})
			w.ChatOpen, w.Locked, w.Suspended, w.Speaker = false, true, true, room.ParticipantID{}
		},
		after: func(t *testing.T, c *cast, _ string) {
			if _, err := c.setSelf(t, "Mia", room.SelfUpdate{Camera: ptr(true)}); !errors.Is(err, room.ErrNotAllowed) {
				t.Errorf("camera on while suspended: %v, want ErrNotAllowed", err)
			}
		},
	},
	room.ActResume: {
		prep: func(t testing.TB, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSuspend}) },
		cmd:  func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActResume} },
		events: func(c *cast) []string {
			return append(c.sorted("updated:", presentMembers...), "room")
		},
		want: func(c *cast, w *room.State) {
			each(c, w, allMembers, func(p *room.Participant) { p.CameraBlocked = false })
			w.Suspended = false
		},
		after: func(t *testing.T, c *cast, _ string) {
			wantEvents(t, ok(t)(c.setSelf(t, "Mia", room.SelfUpdate{Camera: ptr(true)})), "updated:Mia")
		},
	},
	room.ActEndMeeting: {
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActEndMeeting} },
		events: func(c *cast) []string { return []string{"ended", "room"} },
		want: func(c *cast, w *room.State) {
			w.Participants, w.Identities = map[room.ParticipantID]*room.Participant{}, map[string]room.ParticipantID{}
			w.Hands, w.Chat, w.Speaker = nil, nil, room.ParticipantID{}
		},
		after: func(t *testing.T, c *cast, actor string) {
			if _, err := c.rejoin(t, "Mia"); !errors.Is(err, room.ErrUnknownIdentity) {
				t.Errorf("join with an identity of the ended meeting: %v, want ErrUnknownIdentity", err)
			}
			if _, err := c.mod(t, actor, room.ModCommand{Action: room.ActLock}); !errors.Is(err, room.ErrNotPresent) {
				t.Errorf("%s moderates after the end: %v, want ErrNotPresent", actor, err)
			}
		},
	},
	room.ActPromote: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActPromote, c, "Mia") },
		events: func(c *cast) []string { return []string{"updated:Mia"} },
		want:   func(c *cast, w *room.State) { c.in(w, "Mia").Role = room.RoleCoFacilitator },
		after: func(t *testing.T, c *cast, _ string) {
			wantEvents(t, c.mustMod(t, "Mia", room.ModCommand{Action: room.ActLock}), "room")
		},
	},
	room.ActMoveToWaiting: {
		cmd:    func(c *cast) room.ModCommand { return target(room.ActMoveToWaiting, c, "Mia") },
		events: func(c *cast) []string { return []string{"left:Mia", "hands", "updated:Mia"} },
		want: func(c *cast, w *room.State) {
			mia := c.in(w, "Mia")
			mia.Status, mia.Muted, mia.MutedBy, mia.Camera = room.StatusWaiting, true, room.MutedByFacilitator, false
			w.Hands = nil
		},
		after: func(t *testing.T, c *cast, actor string) {
			if _, err := c.chat(t, "Mia", room.ChatToRoom, "hi"); !errors.Is(err, room.ErrNotAllowed) {
				t.Errorf("Mia chats from the waiting room: %v, want ErrNotAllowed", err)
			}
			wantEvents(t, c.mustMod(t, actor, target(room.ActAdmit, c, "Mia")), "updated:Mia")
			if p := c.p("Mia"); p.Status != room.StatusAdmitted || !p.Muted || p.MutedBy != room.MutedByFacilitator {
				t.Errorf("Mia admitted again = %+v", *p)
			}
		},
	},
	room.ActConfirmAttendance: {
		prep:   func(_ testing.TB, c *cast) { c.s.Settings.AttendanceProof = true },
		cmd:    func(c *cast) room.ModCommand { return target(room.ActConfirmAttendance, c, "Mia") },
		events: func(c *cast) []string { return []string{"attendance_confirmed:Mia"} },
		want:   func(c *cast, w *room.State) { c.in(w, "Mia").AttendanceConfirmed = true },
		after: func(t *testing.T, c *cast, actor string) {
			if a, err := c.s.Attendance(c.act("Mia")); err != nil || !a.Confirmed {
				t.Errorf("Mia's attendance after confirmation: %+v %v", a, err)
			}
			if a, _ := c.s.Attendance(c.act("Bob")); a.Confirmed {
				t.Error("Bob's attendance is confirmed too")
			}
			if evs, err := c.mod(t, actor, target(room.ActConfirmAttendance, c, "Mia")); err != nil || evs != nil {
				t.Errorf("confirming again: %v %v, want nothing", describe(evs), err)
			}
			if _, err := c.mod(t, actor, target(room.ActConfirmAttendance, c, actor)); !errors.Is(err, room.ErrBadCommand) {
				t.Errorf("confirming oneself: %v, want ErrBadCommand", err)
			}
			if _, err := c.mod(t, actor, target(room.ActConfirmAttendance, c, "Will")); !errors.Is(err, room.ErrBadCommand) {
				t.Errorf("confirming someone waiting: %v, want ErrBadCommand", err)
			}
			c.s.Settings.AttendanceProof = false
			if _, err := c.mod(t, actor, target(room.ActConfirmAttendance, c, "Bob")); !errors.Is(err, room.ErrNotAllowed) {
				t.Errorf("confirming where the room gives no proofs: %v, want ErrNotAllowed", err)
			}
		},
	},
	room.ActDismissReport: {
		prep: func(t testing.TB, c *cast) {
			wantEvents(t, mustRun(t, c.s, func(s *room.State) ([]room.Event, error) {
				return s.MakeReport(c.act("Mia"), room.ReportRequest{About: c.id("Bob"), Reason: "rude"}, t0)
			}), "report")
		},
		cmd:    func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActDismissReport, ReportID: "r1"} },
		events: func(c *cast) []string { return []string{"report_dismissed"} },
		want:   func(c *cast, w *room.State) { w.Reports = nil },
		after: func(t *testing.T, c *cast, actor string) {
			if _, err := c.mod(t, actor, room.ModCommand{Action: room.ActDismissReport, ReportID: "r1"}); !errors.Is(err, room.ErrBadCommand) {
				t.Errorf("dismissing a dismissed report: %v, want ErrBadCommand", err)
			}
		},
	},
	room.ActDemote: {
		prep:   func(t testing.TB, c *cast) { c.mustMod(t, "Fran", target(room.ActPromote, c, "Mia")) },
		cmd:    func(c *cast) room.ModCommand { return target(room.ActDemote, c, "Mia") },
		events: func(c *cast) []string { return []string{"updated:Mia"} },
		want:   func(c *cast, w *room.State) { c.in(w, "Mia").Role = room.RoleMember },
		after: func(t *testing.T, c *cast, _ string) {
			if _, err := c.mod(t, "Mia", room.ModCommand{Action: room.ActLock}); !errors.Is(err, room.ErrNotAllowed) {
				t.Errorf("demoted Mia moderates: %v, want ErrNotAllowed", err)
			}
		},
	},
}

// ok returns a function that passes events through and fails the test on
// an error: ok(t)(c.setSelf(...)).
func ok(t testing.TB) func([]room.Event, error) []room.Event {
	return func(evs []room.Event, err error) []room.Event {
		t.Helper()
		if err != nil {
			t.Fatalf("command refused: %v", err)
		}
		return evs
	}
}

// refusedRoles are the actors who may not moderate, and their refusal.
var refusedRoles = []struct {
	name    string
	actor   func(c *cast) room.Actor
	wantErr error
}{
	{"member", func(c *cast) room.Actor { return c.act("Bob") }, room.ErrNotAllowed},
	{"waiting participant", func(c *cast) room.Actor { return c.act("Will") }, room.ErrNotAllowed},
	{"stale connection", func(c *cast) room.Actor { return room.Actor{ID: c.id("Stan"), Conn: 1} }, room.ErrNotPresent},
	{"stale connection of a facilitator", func(c *cast) room.Actor { return room.Actor{ID: c.id("Fran"), Conn: 0} }, room.ErrNotPresent},
	{"someone who left", func(c *cast) room.Actor { return c.act("Abe") }, room.ErrNotPresent},
	{"someone never in the room", func(c *cast) room.Actor { return room.Actor{ID: room.NewParticipantID(), Conn: 1} }, room.ErrNotPresent},
}

func TestActionCasesCoverEveryAction(t *testing.T) {
	actions := room.Actions()
	if len(actionCases) != len(actions) {
		t.Errorf("%d cases for %d actions", len(actionCases), len(actions))
	}
	for _, a := range actions {
		if _, ok := actionCases[a]; !ok {
			t.Errorf("no case for action %q", a)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(actions)))) != len(actions) {
		t.Errorf("Actions() repeats an action: %v", actions)
	}
}

func TestModerateEveryActionEveryRole(t *testing.T) {
	for _, action := range room.Actions() {
		tc, ok := actionCases[action]
		if !ok {
			t.Errorf("no case for action %q", action)
			continue
		}
		for _, actor := range []string{"Fran", "Cora"} {
			role := map[string]string{"Fran": "facilitator", "Cora": "cofacilitator"}[actor]
			t.Run(string(action)+"/"+role, func(t *testing.T) {
				c := newCast(t)
				if tc.prep != nil {
					tc.prep(t, c)
				}
				before := c.s.Clone()
				cmd := tc.cmd(c)
				evs := c.mustMod(t, actor, cmd)
				wantEvents(t, evs, tc.events(c)...)
				w := before.Clone()
				tc.want(c, w)
				w.Seq = c.s.Seq
				if !reflect.DeepEqual(normalized(w), normalized(c.s)) {
					t.Errorf("state after %s:\n got %s\nwant %s", action, dump(t, c.s), dump(t, w))
				}
				if tc.after != nil {
					tc.after(t, c, actor)
				}
			})
		}
		for _, r := range refusedRoles {
			t.Run(string(action)+"/"+r.name, func(t *testing.T) {
				c := newCast(t)
				if tc.prep != nil {
					tc.prep(t, c)
				}
				before := c.s.Clone()
				evs, err := mod(t, c.s, r.actor(c), tc.cmd(c))
				if !errors.Is(err, r.wantErr) {
					t.Errorf("err = %v, want %v", err, r.wantErr)
				}
				if evs != nil {
					t.Errorf("events = %v, want none", describe(evs))
				}
				assertUnchanged(t, before, c.s)
			})
		}
	}
}

// TestModerateMemberOnThemselves: a member can do no moderation, not even
// to themselves (e.g. lower their own hand through moderate, rename or
// unmute themselves past the rules).
func TestModerateMemberOnThemselves(t *testing.T) {
	for _, action := range room.Actions() {
		t.Run(string(action), func(t *testing.T) {
			c := newCast(t)
			wantEvents(t, c.mustMod(t, "Fran", target(room.ActMute, c, "Mia")), "updated:Mia")
			before := c.s.Clone()
			cmd := room.ModCommand{Action: action, Target: c.id("Mia"), Name: "Boss", Seconds: 60, MessageID: "m1",
				Settings: &room.SettingsUpdate{SelfRename: ptr(false)}}
			if _, err := c.mod(t, "Mia", cmd); !errors.Is(err, room.ErrNotAllowed) {
				t.Errorf("err = %v, want ErrNotAllowed", err)
			}
			assertUnchanged(t, before, c.s)
		})
	}
}

// TestModerateOnAFacilitator: only a facilitator may mute, remove, rename
// or demote a facilitator; a co-facilitator may do these to members and
// co-facilitators, and everything else to facilitators too.
func TestModerateOnAFacilitator(t *testing.T) {
	restricted := []struct {
		action room.Action
		name   string // for rename
		// want is the target's state after an allowed command.
		want func(p room.Participant) room.Participant
	}{
		{room.ActMute, "", func(p room.Participant) room.Participant {
			p.Muted, p.MutedBy = true, room.MutedByFacilitator
			return p
		}},
		{room.ActRemove, "", func(p room.Participant) room.Participant {
			p.Removed, p.Present = true, false
			return p
		}},
		{room.ActRename, "Renamed", func(p room.Participant) room.Participant {
			p.Name = "Renamed"
			return p
		}},
		{room.ActDemote, "", func(p room.Participant) room.Participant {
			p.Role = room.RoleMember
			return p
		}},
	}
	tests := []struct {
		actor, target string
		wantErr       error
	}{
		{"Cora", "Fran", room.ErrNotAllowed},
		{"Cora", "Fay", room.ErrNotAllowed},
		{"Fran", "Fay", nil},
		{"Fay", "Fran", nil},
		{"Cora", "Carl", nil},
		{"Carl", "Cora", nil},
		{"Cora", "Mia", nil},
		{"Fran", "Cora", nil},
	}
	for _, r := range restricted {
		for _, tt := range tests {
			t.Run(string(r.action)+"/"+tt.actor+" on "+tt.target, func(t *testing.T) {
				c := newCast(t)
				c.join(t, "Fay", testKey)
				c.join(t, "Carl", "")
				c.mustMod(t, "Fran", target(room.ActAdmit, c, "Carl"))
				c.mustMod(t, "Fran", target(room.ActPromote, c, "Carl"))
				if r.action == room.ActDemote && tt.target == "Mia" {
					c.mustMod(t, "Fran", target(room.ActPromote, c, "Mia"))
				}
				before := c.s.Clone()
				cmd := room.ModCommand{Action: r.action, Target: c.id(tt.target), Name: r.name}
				evs, err := c.mod(t, tt.actor, cmd)
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if err != nil {
					assertUnchanged(t, before, c.s)
					return
				}
				want := r.want(*before.Participants[c.id(tt.target)])
				if got := *c.p(tt.target); got != want {
					t.Errorf("%s after %s = %+v, want %+v", tt.target, r.action, got, want)
				}
				if len(evs) == 0 || evs[0].Participant != want {
					t.Errorf("events = %v, want first one about %s", describe(evs), tt.target)
				}
			})
		}
	}

	// Everything else a co-facilitator may do to a facilitator.
	t.Run("other actions", func(t *testing.T) {
		c := newCast(t)
		wantEvents(t, ok(t)(c.setSelf(t, "Fran", room.SelfUpdate{Muted: ptr(true)})), "updated:Fran")
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActAskUnmute, c, "Fran")), "ask_unmute:Fran")
		wantEvents(t, mustRun(t, c.s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(c.act("Fran")) }), "hands")
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActLowerHand, c, "Fran")), "hands")
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActLetSpeak, c, "Fran")), "room")
		c.mustMod(t, "Cora", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{Mode: ptr(room.ModeModerated)}})
		// Ending a facilitator's turn does not mute them, even in moderated mode.
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActEndTurn, c, "Fran")), "room")
		// Mute all and suspend leave facilitators alone.
		wantEvents(t, c.mustMod(t, "Cora", room.ModCommand{Action: room.ActMuteAll}), c.sorted("updated:", presentMembers...)...)
		c.mustMod(t, "Cora", room.ModCommand{Action: room.ActSuspend})
		for _, name := range []string{"Fran", "Cora"} {
			if p := c.p(name); p.MutedBy == room.MutedByFacilitator || p.CameraBlocked || !p.Camera {
				t.Errorf("%s touched by mute all or suspend: %+v", name, *p)
			}
		}
	})
}

func TestModerateBadTargets(t *testing.T) {
	// targeted are the actions that need a target.
	targeted := []room.Action{room.ActAdmit, room.ActDeny, room.ActLowerHand, room.ActLetSpeak, room.ActEndTurn, room.ActMute,
		room.ActAskUnmute, room.ActRemove, room.ActRename, room.ActPromote, room.ActDemote, room.ActMoveToWaiting,
		room.ActConfirmAttendance}
	// Aimed at someone who is not present (left, or denied), these are
	// accepted: a dropped connection keeps its hand and turn, which a
	// facilitator may take back, and someone disruptive can be muted,
	// renamed or removed before they reconnect.
	absentOK := []room.Action{room.ActLowerHand, room.ActEndTurn, room.ActMute, room.ActRemove, room.ActRename, room.ActDemote}

	targets := []struct {
		name string
		id   func(t *testing.T, c *cast) room.ParticipantID
	}{
		{"no target", func(*testing.T, *cast) room.ParticipantID { return room.ParticipantID{} }},
		{"unknown target", func(*testing.T, *cast) room.ParticipantID { return room.NewParticipantID() }},
		{"target who left", func(_ *testing.T, c *cast) room.ParticipantID { return c.id("Abe") }},
		{"removed target", func(t *testing.T, c *cast) room.ParticipantID {
			c.mustMod(t, "Fran", target(room.ActRemove, c, "Stan"))
			return c.id("Stan")
		}},
		{"denied target", func(t *testing.T, c *cast) room.ParticipantID {
			c.mustMod(t, "Fran", target(room.ActDeny, c, "Wendy"))
			return c.id("Wendy")
		}},
	}
	for _, action := range targeted {
		for _, tg := range targets {
			for _, actor := range []string{"Fran", "Cora"} {
				t.Run(string(action)+"/"+tg.name+"/"+actor, func(t *testing.T) {
					c := newCast(t)
					id := tg.id(t, c)
					evs, err := c.mod(t, actor, room.ModCommand{Action: action, Target: id, Name: "Valid Name"})
					if (tg.name == "target who left" || tg.name == "denied target") && slices.Contains(absentOK, action) {
						switch {
						case action == room.ActDemote:
							// They are members: nothing to demote.
							if !errors.Is(err, room.ErrBadCommand) {
								t.Errorf("err = %v, want ErrBadCommand", err)
							}
						case err != nil:
							t.Errorf("= %v, %v; want accepted", describe(evs), err)
						case (action == room.ActLowerHand || action == room.ActEndTurn) && evs != nil:
							t.Errorf("= %v; want no events", describe(evs))
						}
						return
					}
					if !errors.Is(err, room.ErrBadCommand) {
						t.Errorf("err = %v, want ErrBadCommand", err)
					}
				})
			}
		}
	}

	// The other actions ignore a target.
	for _, action := range room.Actions() {
		if slices.Contains(targeted, action) {
			continue
		}
		t.Run(string(action)+"/ignores target", func(t *testing.T) {
			tc := actionCases[action]
			var results [2]string
			for i, withTarget := range []bool{false, true} {
				c := newCast(t)
				if tc.prep != nil {
					tc.prep(t, c)
				}
				cmd := tc.cmd(c)
				if withTarget {
					cmd.Target = room.NewParticipantID()
				}
				evs, err := c.mod(t, "Fran", cmd)
				results[i] = strings.Join(slices.Sorted(slices.Values(describe(evs))), ",") + " " + errString(err)
			}
			if results[0] != results[1] {
				t.Errorf("without target %s; with an unknown target %s", results[0], results[1])
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	return err.Error()
}

func TestModerateBadCommands(t *testing.T) {
	tests := []struct {
		name    string
		prep    func(t *testing.T, c *cast)
		actor   string
		cmd     func(c *cast) room.ModCommand
		wantErr error
	}{
		{name: "unknown action", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: "fly"} }, wantErr: room.ErrBadCommand},
		{name: "empty action", cmd: func(*cast) room.ModCommand { return room.ModCommand{} }, wantErr: room.ErrBadCommand},
		{name: "action in capitals", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: "LOCK"} }, wantErr: room.ErrBadCommand},
		{name: "unknown action from a member", actor: "Bob", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: "fly"} }, wantErr: room.ErrNotAllowed},
		{name: "unknown action from a waiting person", actor: "Will", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: "fly"} }, wantErr: room.ErrNotAllowed},
		{name: "admit an admitted member", cmd: func(c *cast) room.ModCommand { return target(room.ActAdmit, c, "Mia") }, wantErr: room.ErrBadCommand},
		{name: "admit a facilitator", cmd: func(c *cast) room.ModCommand { return target(room.ActAdmit, c, "Fran") }, wantErr: room.ErrBadCommand},
		{name: "deny an admitted member", cmd: func(c *cast) room.ModCommand { return target(room.ActDeny, c, "Mia") }, wantErr: room.ErrBadCommand},
		{name: "deny a co-facilitator", cmd: func(c *cast) room.ModCommand { return target(room.ActDeny, c, "Cora") }, wantErr: room.ErrBadCommand},
		{name: "let a waiting person speak", cmd: func(c *cast) room.ModCommand { return target(room.ActLetSpeak, c, "Will") }, wantErr: room.ErrBadCommand},
		{
			name:    "next speaker without hands",
			prep:    func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActLowerHand, c, "Mia")) },
			cmd:     func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActNextSpeaker} },
			wantErr: room.ErrBadCommand,
		},
		{
			name:    "next speaker when the only hand is of someone whose connection dropped",
			prep:    func(t *testing.T, c *cast) { wantEvents(t, leave(t, c.s, c.act("Mia"), false), "left:Mia") },
			cmd:     func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActNextSpeaker} },
			wantErr: room.ErrBadCommand,
		},
		{
			name:    "timer without a speaker",
			prep:    func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActEndTurn, c, "Bob")) },
			cmd:     func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActStartTimer, Seconds: 60} },
			wantErr: room.ErrBadCommand,
		},
		{name: "timer of 9 seconds", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActStartTimer, Seconds: 9} }, wantErr: room.ErrBadCommand},
		{name: "timer of 3601 seconds", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActStartTimer, Seconds: 3601} }, wantErr: room.ErrBadCommand},
		{name: "timer of -1 seconds", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActStartTimer, Seconds: -1} }, wantErr: room.ErrBadCommand},
		{name: "settings missing", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActSettings} }, wantErr: room.ErrBadCommand},
		{name: "delete an unknown message", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActDeleteChat, MessageID: "m99"} }, wantErr: room.ErrBadCommand},
		{name: "delete without message id", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActDeleteChat} }, wantErr: room.ErrBadCommand},
		{
			name: "delete a message twice",
			prep: func(t *testing.T, c *cast) {
				c.mustMod(t, "Fran", room.ModCommand{Action: room.ActDeleteChat, MessageID: "m1"})
			},
			cmd:     func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActDeleteChat, MessageID: "m1"} },
			wantErr: room.ErrBadCommand,
		},
		{name: "promote a co-facilitator", cmd: func(c *cast) room.ModCommand { return target(room.ActPromote, c, "Cora") }, wantErr: room.ErrBadCommand},
		{name: "promote a facilitator", cmd: func(c *cast) room.ModCommand { return target(room.ActPromote, c, "Fran") }, wantErr: room.ErrBadCommand},
		{name: "promote a waiting person", cmd: func(c *cast) room.ModCommand { return target(room.ActPromote, c, "Will") }, wantErr: room.ErrBadCommand},
		{name: "demote a member", cmd: func(c *cast) room.ModCommand { return target(room.ActDemote, c, "Mia") }, wantErr: room.ErrBadCommand},
		{name: "facilitator removes herself", cmd: func(c *cast) room.ModCommand { return target(room.ActRemove, c, "Fran") }, wantErr: room.ErrBadCommand},
		{name: "co-facilitator removes herself", actor: "Cora", cmd: func(c *cast) room.ModCommand { return target(room.ActRemove, c, "Cora") }, wantErr: room.ErrBadCommand},
		{name: "rename to empty", cmd: func(c *cast) room.ModCommand { return room.ModCommand{Action: room.ActRename, Target: c.id("Mia")} }, wantErr: room.ErrBadName},
		{name: "rename to spaces", cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActRename, Target: c.id("Mia"), Name: "   "}
		}, wantErr: room.ErrBadName},
		{name: "rename with a newline", cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActRename, Target: c.id("Mia"), Name: "Mi\na"}
		}, wantErr: room.ErrBadName},
		{name: "rename to 41 characters", cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActRename, Target: c.id("Mia"), Name: strings.Repeat("m", 41)}
		}, wantErr: room.ErrBadName},
		{name: "rename with a direction override", cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActRename, Target: c.id("Mia"), Name: "Mia\u202e"}
		}, wantErr: room.ErrBadName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCast(t)
			if tt.prep != nil {
				tt.prep(t, c)
			}
			actor := tt.actor
			if actor == "" {
				actor = "Fran"
			}
			before := c.s.Clone()
			_, err := c.mod(t, actor, tt.cmd(c))
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			assertUnchanged(t, before, c.s)
		})
	}
}

func TestModerateNoOps(t *testing.T) {
	// Commands that are valid but change nothing produce no event (run
	// checks that the state is unchanged too).
	tests := []struct {
		name string
		prep func(t *testing.T, c *cast)
		cmd  func(c *cast) room.ModCommand
	}{
		{name: "lock twice", prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActLock}) },
			cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActLock} }},
		{name: "unlock an unlocked room", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActUnlock} }},
		{name: "admit all with nobody waiting", prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActAdmitAll}) },
			cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActAdmitAll} }},
		{name: "lower a hand that is down", cmd: func(c *cast) room.ModCommand { return target(room.ActLowerHand, c, "Bob") }},
		{name: "let the speaker speak", cmd: func(c *cast) room.ModCommand { return target(room.ActLetSpeak, c, "Bob") }},
		{name: "end the turn of someone not speaking", cmd: func(c *cast) room.ModCommand { return target(room.ActEndTurn, c, "Mia") }},
		{name: "mute twice", prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActMute, c, "Mia")) },
			cmd: func(c *cast) room.ModCommand { return target(room.ActMute, c, "Mia") }},
		{name: "mute all twice", prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActMuteAll}) },
			cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActMuteAll} }},
		{name: "ask someone unmuted to unmute", cmd: func(c *cast) room.ModCommand { return target(room.ActAskUnmute, c, "Mia") }},
		{name: "stop a timer that is not running", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActStopTimer} }},
		{name: "rename to the same name", cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActRename, Target: c.id("Mia"), Name: " Mia "}
		}},
		{name: "empty settings", cmd: func(*cast) room.ModCommand {
			return room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{}}
		}},
		{name: "settings as they are", cmd: func(c *cast) room.ModCommand {
			return room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{Mode: ptr(room.ModeOpen), WaitingRoom: ptr(true)}}
		}},
		{name: "open an open chat", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActOpenChat} }},
		{name: "close chat twice", prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActCloseChat}) },
			cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActCloseChat} }},
		{name: "suspend twice", prep: func(t *testing.T, c *cast) { c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSuspend}) },
			cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActSuspend} }},
		{name: "resume without suspension", cmd: func(*cast) room.ModCommand { return room.ModCommand{Action: room.ActResume} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCast(t)
			if tt.prep != nil {
				tt.prep(t, c)
			}
			evs, err := c.mod(t, "Cora", tt.cmd(c))
			if err != nil || evs != nil {
				t.Errorf("= %v, %v; want no events, no error", describe(evs), err)
			}
		})
	}
}

func TestDeny(t *testing.T) {
	c := newCast(t)
	wantEvents(t, c.mustMod(t, "Cora", target(room.ActDeny, c, "Will")), "denied:Will")
	if p := c.p("Will"); !p.Denied || p.Present || p.Status != room.StatusWaiting {
		t.Errorf("Will after deny = %+v", *p)
	}
	// The refusal is bound to the identity: every attempt to come back with
	// it is refused, with or without the facilitator key.
	for range 3 {
		if _, err := c.rejoin(t, "Will"); !errors.Is(err, room.ErrDenied) {
			t.Errorf("rejoin: %v, want ErrDenied", err)
		}
	}
	if _, _, err := join(t, c.s, room.JoinRequest{Identity: c.identity["Will"], FacilitatorKey: testKey}, "x"); !errors.Is(err, room.ErrDenied) {
		t.Errorf("rejoin with the key: %v, want ErrDenied", err)
	}
	// Will's connection is gone.
	if _, err := c.setSelf(t, "Will", room.SelfUpdate{Muted: ptr(true)}); !errors.Is(err, room.ErrNotPresent) {
		t.Errorf("Will's SetSelf: %v, want ErrNotPresent", err)
	}
	wantEvents(t, leave(t, c.s, room.Actor{ID: c.id("Will"), Conn: 1}, true))
	// Nothing more can be done to him.
	for _, action := range []room.Action{room.ActAdmit, room.ActDeny} {
		if _, err := c.mod(t, "Fran", target(action, c, "Will")); !errors.Is(err, room.ErrBadCommand) {
			t.Errorf("%s after deny: %v, want ErrBadCommand", action, err)
		}
	}
	// Admit all does not bring him in.
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActAdmitAll}), "updated:Wendy")
	if c.p("Will").Status != room.StatusWaiting {
		t.Error("admit all admitted a denied person")
	}
}

func TestRemove(t *testing.T) {
	c := newCast(t)
	// Bob is the speaker, with his hand up too and a timer running.
	wantEvents(t, mustRun(t, c.s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(c.act("Bob")) }), "hands")
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})

	wantEvents(t, c.mustMod(t, "Cora", target(room.ActRemove, c, "Bob")), "removed:Bob", "hands", "room")
	if p := c.p("Bob"); !p.Removed || p.Present {
		t.Errorf("Bob after remove = %+v", *p)
	}
	if c.s.Speaker != (room.ParticipantID{}) || c.s.Timer != nil || !slices.Equal(c.s.Hands, []room.ParticipantID{c.id("Mia")}) {
		t.Errorf("after remove: speaker %v timer %+v hands %v; want no speaker, no timer, Mia's hand", c.s.Speaker, c.s.Timer, c.s.Hands)
	}
	// His connection is gone: nothing it sends is accepted.
	bob := room.Actor{ID: c.id("Bob"), Conn: 1}
	if _, err := setSelf(t, c.s, bob, room.SelfUpdate{Muted: ptr(true)}); !errors.Is(err, room.ErrNotPresent) {
		t.Errorf("removed Bob's SetSelf: %v, want ErrNotPresent", err)
	}
	if _, err := run(t, c.s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(bob) }); !errors.Is(err, room.ErrNotPresent) {
		t.Errorf("removed Bob raises his hand: %v, want ErrNotPresent", err)
	}
	wantEvents(t, leave(t, c.s, bob, true))
	// The ban is bound to his identity and survives his attempts to come
	// back, also with the facilitator key.
	for range 3 {
		if _, err := c.rejoin(t, "Bob"); !errors.Is(err, room.ErrRemoved) {
			t.Errorf("rejoin: %v, want ErrRemoved", err)
		}
	}
	if _, _, err := join(t, c.s, room.JoinRequest{Identity: c.identity["Bob"], FacilitatorKey: testKey}, "x"); !errors.Is(err, room.ErrRemoved) {
		t.Errorf("rejoin with the key: %v, want ErrRemoved", err)
	}
	if p := c.p("Bob"); !p.Removed || p.Present {
		t.Errorf("Bob after trying to come back = %+v", *p)
	}
	// Nothing more can be done to him.
	for _, action := range []room.Action{room.ActRemove, room.ActMute, room.ActLetSpeak, room.ActPromote} {
		if _, err := c.mod(t, "Fran", target(action, c, "Bob")); !errors.Is(err, room.ErrBadCommand) {
			t.Errorf("%s after remove: %v, want ErrBadCommand", action, err)
		}
	}

	t.Run("waiting person", func(t *testing.T) {
		c := newCast(t)
		wantEvents(t, c.mustMod(t, "Fran", target(room.ActRemove, c, "Will")), "removed:Will")
		if _, err := c.rejoin(t, "Will"); !errors.Is(err, room.ErrRemoved) {
			t.Errorf("rejoin: %v, want ErrRemoved", err)
		}
	})
	t.Run("co-facilitator, facilitator still present", func(t *testing.T) {
		c := newCast(t)
		wantEvents(t, c.mustMod(t, "Fran", target(room.ActRemove, c, "Cora")), "removed:Cora")
		if c.s.AutoLocked {
			t.Error("the room auto-locked with a facilitator present")
		}
	})
	t.Run("the last facilitator, by another who is only co-facilitator", func(t *testing.T) {
		c := newCast(t)
		if _, err := c.mod(t, "Cora", target(room.ActRemove, c, "Fran")); !errors.Is(err, room.ErrNotAllowed) {
			t.Errorf("err = %v, want ErrNotAllowed", err)
		}
	})
}

func TestLock(t *testing.T) {
	c := newCast(t)
	wantEvents(t, c.mustMod(t, "Cora", room.ModCommand{Action: room.ActLock}), "room")

	// Nobody new gets in, not even into the waiting room, whatever the settings.
	for _, waiting := range []bool{true, false} {
		c.s.Settings.WaitingRoom = waiting
		if _, _, err := join(t, c.s, room.JoinRequest{Name: "Newcomer"}, "identity-newcomer"); !errors.Is(err, room.ErrLocked) {
			t.Errorf("new member (waiting room %v): %v, want ErrLocked", waiting, err)
		}
	}
	c.s.Settings.WaitingRoom = true
	// A facilitator key gets in.
	fay := c.join(t, "Fay", testKey)
	if fay.Self.Role != room.RoleFacilitator || fay.Self.Status != room.StatusAdmitted {
		t.Errorf("facilitator in a locked room = %+v", fay.Self)
	}
	// A member admitted before the lock comes back with their identity.
	evs, err := c.rejoin(t, "Abe")
	if err != nil {
		t.Fatalf("Abe comes back: %v", err)
	}
	wantEvents(t, evs, "joined:Abe")
	if p := c.p("Abe"); p.Status != room.StatusAdmitted || !p.Present {
		t.Errorf("Abe = %+v, want admitted and present", *p)
	}
	// People waiting before the lock stay waiting, also when they reconnect,
	// and can still be let in.
	if _, err := c.rejoin(t, "Will"); err != nil {
		t.Fatalf("Will reconnects: %v", err)
	}
	for _, name := range []string{"Will", "Wendy"} {
		if p := c.p(name); p.Status != room.StatusWaiting {
			t.Errorf("%s = %+v, want still waiting", name, *p)
		}
	}
	wantEvents(t, c.mustMod(t, "Fran", target(room.ActAdmit, c, "Will")), "updated:Will")
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActAdmitAll}), "updated:Wendy")
	// Unlocked, newcomers come in again (to the waiting room).
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActUnlock}), "room")
	if j := c.join(t, "Newcomer", ""); j.Self.Status != room.StatusWaiting {
		t.Errorf("newcomer after unlock = %+v", j.Self)
	}
}

func TestAutoLock(t *testing.T) {
	s := newDemoState()
	c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
	c.join(t, "Fran", testKey)
	c.join(t, "Mia", "")
	c.join(t, "Bob", "")

	// A member leaving never locks the room.
	wantEvents(t, leave(t, s, c.act("Mia"), true), "left:Mia")
	if s.AutoLocked {
		t.Fatal("a member leaving auto-locked the room")
	}
	wantEvents(t, ok(t)(c.rejoin(t, "Mia")), "joined:Mia")

	// The last facilitator's connection drops: the room locks itself.
	wantEvents(t, leave(t, s, c.act("Fran"), false), "left:Fran", "room")
	if !s.AutoLocked || s.Locked {
		t.Errorf("after the facilitator left: autoLocked %v locked %v; want true false", s.AutoLocked, s.Locked)
	}
	if _, _, err := join(t, s, room.JoinRequest{Name: "Newcomer"}, "identity-newcomer"); !errors.Is(err, room.ErrLocked) {
		t.Errorf("new member while auto-locked: %v, want ErrLocked", err)
	}
	// Members already in come and go; nobody is promoted.
	wantEvents(t, leave(t, s, c.act("Bob"), true), "left:Bob")
	wantEvents(t, ok(t)(c.rejoin(t, "Bob")), "joined:Bob")
	for _, p := range s.Participants {
		if p.Role != room.RoleMember && p.ID != c.id("Fran") {
			t.Errorf("%s became %s", p.Name, p.Role)
		}
	}
	// The facilitator returns: the room opens again.
	wantEvents(t, ok(t)(c.rejoin(t, "Fran")), "joined:Fran", "room")
	if s.AutoLocked {
		t.Error("still auto-locked after the facilitator returned")
	}
	c.join(t, "Newcomer", "")

	t.Run("a new facilitator lifts it", func(t *testing.T) {
		s := s.Clone()
		c := &cast{s: s, ids: c.ids, identity: c.identity}
		wantEvents(t, leave(t, s, c.act("Fran"), true), "left:Fran", "room")
		j, evs, err := join(t, s, room.JoinRequest{Name: "Fay", FacilitatorKey: testKey}, "identity-fay")
		if err != nil {
			t.Fatal(err)
		}
		wantEvents(t, evs, "joined:Fay", "room")
		if s.AutoLocked || j.Snapshot.AutoLocked {
			t.Error("still auto-locked after a facilitator came")
		}
	})
	t.Run("co-facilitators count", func(t *testing.T) {
		s := s.Clone()
		c := &cast{s: s, ids: c.ids, identity: c.identity}
		c.mustMod(t, "Fran", target(room.ActPromote, c, "Mia"))
		wantEvents(t, leave(t, s, c.act("Fran"), true), "left:Fran")
		wantEvents(t, leave(t, s, c.act("Mia"), true), "left:Mia", "room")
		if !s.AutoLocked {
			t.Error("not auto-locked after the last co-facilitator left")
		}
		// Without the facilitator key she comes back as a member, who
		// does not lift the lock (see TestNoTakeoverWithIdentityAlone).
		wantEvents(t, ok(t)(c.rejoin(t, "Mia")), "joined:Mia")
		if !s.AutoLocked || c.p("Mia").Role != room.RoleMember {
			t.Errorf("co-facilitator back without the key: autoLocked %v, role %s; want true, member", s.AutoLocked, c.p("Mia").Role)
		}
	})
	t.Run("the last moderator demotes themselves", func(t *testing.T) {
		s := s.Clone()
		c := &cast{s: s, ids: c.ids, identity: c.identity}
		wantEvents(t, c.mustMod(t, "Fran", target(room.ActDemote, c, "Fran")), "updated:Fran", "room")
		if !s.AutoLocked {
			t.Error("not auto-locked without a moderator")
		}
	})
	t.Run("a lock by hand outlives the auto-lock", func(t *testing.T) {
		s := s.Clone()
		c := &cast{s: s, ids: c.ids, identity: c.identity}
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActLock})
		wantEvents(t, leave(t, s, c.act("Fran"), true), "left:Fran", "room")
		wantEvents(t, ok(t)(c.rejoin(t, "Fran")), "joined:Fran", "room")
		if !s.Locked || s.AutoLocked {
			t.Errorf("locked %v autoLocked %v; want true false", s.Locked, s.AutoLocked)
		}
	})
	t.Run("a room that never had a facilitator is not locked", func(t *testing.T) {
		s := newDemoState()
		a := mustJoin(t, s, "A", "")
		mustLeave(t, s, a.Self)
		mustJoin(t, s, "B", "")
		if s.AutoLocked {
			t.Error("auto-locked without any facilitator having left")
		}
	})
}

func TestHands(t *testing.T) {
	s := newDemoState()
	c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
	c.join(t, "Fran", testKey)
	c.join(t, "A", "")
	c.join(t, "B", "")
	c.join(t, "C", "")
	s.Settings.WaitingRoom = true
	c.join(t, "W", "")
	raise := func(name string) ([]room.Event, error) {
		return run(t, s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(c.act(name)) })
	}
	lower := func(name string) ([]room.Event, error) {
		return run(t, s, func(s *room.State) ([]room.Event, error) { return s.LowerHand(c.act(name)) })
	}
	hands := func(names ...string) []room.ParticipantID {
		out := []room.ParticipantID{}
		for _, n := range names {
			out = append(out, c.id(n))
		}
		return out
	}
	wantHands := func(evs []room.Event, names ...string) {
		t.Helper()
		wantEvents(t, evs, "hands")
		if len(evs) == 1 && !slices.Equal(evs[0].Hands, hands(names...)) {
			t.Errorf("hands event %v, want %v", evs[0].Hands, names)
		}
		if !slices.Equal(s.Hands, hands(names...)) {
			t.Errorf("Hands = %v, want %v", s.Hands, names)
		}
	}

	wantHands(ok(t)(raise("A")), "A")
	wantHands(ok(t)(raise("B")), "A", "B")
	wantEvents(t, ok(t)(raise("A"))) // a second raise changes nothing
	if _, err := raise("W"); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("waiting person raises a hand: %v, want ErrNotAllowed", err)
	}
	if _, err := run(t, s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(room.Actor{ID: c.id("C"), Conn: 2}) }); !errors.Is(err, room.ErrNotPresent) {
		t.Errorf("raise from a wrong connection: %v, want ErrNotPresent", err)
	}
	if _, err := lower("W"); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("waiting person lowers a hand: %v, want ErrNotAllowed", err)
	}
	wantHands(ok(t)(lower("B")), "A")
	wantEvents(t, ok(t)(lower("B")))
	wantHands(ok(t)(raise("B")), "A", "B")
	wantHands(ok(t)(raise("Fran")), "A", "B", "Fran")
	wantHands(ok(t)(lower("Fran")), "A", "B")

	// next_speaker calls on the first hand and lowers it.
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActNextSpeaker}), "hands", "room")
	if s.Speaker != c.id("A") || !slices.Equal(s.Hands, hands("B")) {
		t.Errorf("after next_speaker: speaker %v hands %v; want A, [B]", s.Speaker, s.Hands)
	}
	// B's connection drops: B keeps the hand but is skipped.
	wantHands(ok(t)(raise("C")), "B", "C")
	wantEvents(t, leave(t, s, c.act("B"), false), "left:B")
	wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActNextSpeaker}), "hands", "room")
	if s.Speaker != c.id("C") || !slices.Equal(s.Hands, hands("B")) {
		t.Errorf("after next_speaker: speaker %v hands %v; want C, [B]", s.Speaker, s.Hands)
	}
	if _, err := c.mod(t, "Fran", room.ModCommand{Action: room.ActNextSpeaker}); !errors.Is(err, room.ErrBadCommand) {
		t.Errorf("next_speaker with only an absent hand: %v, want ErrBadCommand", err)
	}
	// B comes back with the hand still up (the others, who dropped it from
	// their view when B left, get the queue again), then leaves on
	// purpose: the hand goes.
	back := ok(t)(c.rejoin(t, "B"))
	wantEvents(t, back, "joined:B", "hands")
	if !slices.Equal(back[1].Hands, hands("B")) {
		t.Errorf("hands event on B's return %v, want [B]", back[1].Hands)
	}
	wantHands(ok(t)(raise("A")), "B", "A")
	wantEvents(t, leave(t, s, c.act("B"), true), "left:B", "hands")
	if !slices.Equal(s.Hands, hands("A")) {
		t.Errorf("Hands = %v, want [A]", s.Hands)
	}
	// A facilitator lowers a hand, also of someone whose connection dropped.
	wantEvents(t, leave(t, s, c.act("A"), false), "left:A")
	wantHands(c.mustMod(t, "Fran", target(room.ActLowerHand, c, "A")))
	if _, err := c.mod(t, "Fran", room.ModCommand{Action: room.ActNextSpeaker}); !errors.Is(err, room.ErrBadCommand) {
		t.Errorf("next_speaker without hands: %v, want ErrBadCommand", err)
	}
}

func TestFloor(t *testing.T) {
	setup := func(t *testing.T, mode room.Mode) *cast {
		s := newDemoState()
		s.Settings.Mode = mode
		c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
		c.join(t, "Fran", testKey)
		c.join(t, "Cora", "")
		c.mustMod(t, "Fran", target(room.ActPromote, c, "Cora"))
		c.join(t, "M", "")
		c.join(t, "N", "")
		return c
	}
	t.Run("let anyone speak", func(t *testing.T) {
		c := setup(t, room.ModeOpen)
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActLetSpeak, c, "M")), "room")
		if c.s.Speaker != c.id("M") {
			t.Errorf("Speaker = %v, want M", c.s.Speaker)
		}
		// Calling on someone else stops the running timer.
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActLetSpeak, c, "N")), "room")
		if c.s.Speaker != c.id("N") || c.s.Timer != nil {
			t.Errorf("speaker %v timer %+v; want N, no timer", c.s.Speaker, c.s.Timer)
		}
	})
	t.Run("end turn in open mode leaves the microphone", func(t *testing.T) {
		c := setup(t, room.ModeOpen)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "M"))
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActEndTurn, c, "M")), "room")
		if p := c.p("M"); p.Muted || c.s.Speaker != (room.ParticipantID{}) {
			t.Errorf("M = %+v, speaker %v", *p, c.s.Speaker)
		}
	})
	t.Run("end turn in moderated mode mutes a member", func(t *testing.T) {
		c := setup(t, room.ModeModerated)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "M"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer})
		wantEvents(t, c.mustMod(t, "Cora", target(room.ActEndTurn, c, "M")), "room", "updated:M")
		if p := c.p("M"); !p.Muted || p.MutedBy != room.MutedByFacilitator || c.s.Speaker != (room.ParticipantID{}) || c.s.Timer != nil {
			t.Errorf("M = %+v, speaker %v timer %+v", *p, c.s.Speaker, c.s.Timer)
		}
		if _, err := c.setSelf(t, "M", room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotAllowed) {
			t.Errorf("M unmutes after the turn: %v, want ErrNotAllowed", err)
		}
	})
	t.Run("end turn in moderated mode leaves a co-facilitator's microphone", func(t *testing.T) {
		c := setup(t, room.ModeModerated)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Cora"))
		wantEvents(t, c.mustMod(t, "Fran", target(room.ActEndTurn, c, "Cora")), "room")
		if c.p("Cora").Muted {
			t.Error("co-facilitator muted at the end of the turn")
		}
	})
	t.Run("end the turn of a speaker whose connection dropped", func(t *testing.T) {
		c := setup(t, room.ModeModerated)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "M"))
		wantEvents(t, leave(t, c.s, c.act("M"), false), "left:M")
		if c.s.Speaker != c.id("M") {
			t.Fatal("a dropped connection lost the floor")
		}
		// M is muted, and learns it on coming back; nobody else is told.
		wantEvents(t, c.mustMod(t, "Fran", target(room.ActEndTurn, c, "M")), "room")
		if !c.p("M").Muted {
			t.Error("the dropped speaker was not muted at the end of the turn")
		}
	})
	t.Run("the speaker leaving on purpose gives up the floor", func(t *testing.T) {
		c := setup(t, room.ModeOpen)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "M"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer})
		wantEvents(t, leave(t, c.s, c.act("M"), true), "left:M", "room")
		if c.s.Speaker != (room.ParticipantID{}) || c.s.Timer != nil {
			t.Errorf("speaker %v timer %+v after the speaker left", c.s.Speaker, c.s.Timer)
		}
	})
}

func TestMute(t *testing.T) {
	c := newCast(t)
	wantEvents(t, ok(t)(c.setSelf(t, "Bob", room.SelfUpdate{Muted: ptr(true)})), "updated:Bob")
	// A member who muted themselves is now muted by the facilitator.
	wantEvents(t, c.mustMod(t, "Cora", target(room.ActMute, c, "Bob")), "updated:Bob")
	if p := c.p("Bob"); !p.Muted || p.MutedBy != room.MutedByFacilitator {
		t.Errorf("Bob = %+v", *p)
	}
	// A facilitator's mute also withdraws an ask to unmute.
	wantEvents(t, c.mustMod(t, "Cora", target(room.ActAskUnmute, c, "Bob")), "ask_unmute:Bob")
	wantEvents(t, c.mustMod(t, "Cora", target(room.ActMute, c, "Bob")), "updated:Bob")
	if c.p("Bob").AskedToUnmute {
		t.Error("mute left the ask to unmute")
	}
	// Mute all: every member, admitted or waiting, but no facilitator or
	// co-facilitator; one whose connection dropped (Abe) is muted too,
	// silently, and comes back muted.
	wantEvents(t, c.mustMod(t, "Cora", room.ModCommand{Action: room.ActMuteAll}), c.sorted("updated:", "Mia", "Stan", "Will", "Wendy")...)
	for _, name := range presentMembers {
		if p := c.p(name); !p.Muted || p.MutedBy != room.MutedByFacilitator {
			t.Errorf("%s after mute all = %+v", name, *p)
		}
	}
	for _, name := range []string{"Fran", "Cora"} {
		if c.p(name).Muted {
			t.Errorf("%s muted by mute all", name)
		}
	}
	if !c.p("Abe").Muted {
		t.Error("Abe, whose connection dropped, was not muted by mute all")
	}
	// A muted facilitator or co-facilitator can always unmute.
	wantEvents(t, c.mustMod(t, "Fran", target(room.ActMute, c, "Cora")), "updated:Cora")
	wantEvents(t, ok(t)(c.setSelf(t, "Cora", room.SelfUpdate{Muted: ptr(false)})), "updated:Cora")
}

// TestUnmuteRules: when may someone muted unmute themselves (SetSelf)?
func TestUnmuteRules(t *testing.T) {
	type step func(t *testing.T, c *cast)
	selfMute := func(t *testing.T, c *cast) { ok(t)(c.setSelf(t, "M", room.SelfUpdate{Muted: ptr(true)})) }
	facMute := func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActMute, c, "M")) }
	ask := func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActAskUnmute, c, "M")) }
	callOn := func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "M")) }
	endTurn := func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActEndTurn, c, "M")) }
	promote := func(t *testing.T, c *cast) { c.mustMod(t, "Fran", target(room.ActPromote, c, "M")) }
	timerOut := func(t *testing.T, c *cast) {
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 10, AutoMute: ptr(true)})
		mustRun(t, c.s, func(s *room.State) ([]room.Event, error) { return s.Tick(t0 + 10_000), nil })
	}
	tests := []struct {
		name        string
		mode        room.Mode
		muteOnEntry bool
		// facilitator: M joins with the key.
		facilitator bool
		steps       []step
		wantErr     error
	}{
		{name: "open, muted themselves", mode: room.ModeOpen, steps: []step{selfMute}},
		{name: "open, muted on entry", mode: room.ModeOpen, muteOnEntry: true},
		{name: "open, muted by a facilitator", mode: room.ModeOpen, steps: []step{facMute}, wantErr: room.ErrNotAllowed},
		{name: "open, muted by a facilitator, then asked", mode: room.ModeOpen, steps: []step{facMute, ask}},
		{name: "open, muted by a facilitator, then called on", mode: room.ModeOpen, steps: []step{facMute, callOn}},
		{name: "open, asked, then muted again", mode: room.ModeOpen, steps: []step{facMute, ask, facMute}, wantErr: room.ErrNotAllowed},
		{name: "open, muted by a facilitator, turn over", mode: room.ModeOpen, steps: []step{facMute, callOn, endTurn}, wantErr: room.ErrNotAllowed},
		{name: "open, muted by the timer", mode: room.ModeOpen, steps: []step{callOn, timerOut}, wantErr: room.ErrNotAllowed},
		{name: "open, muted by a facilitator, then promoted", mode: room.ModeOpen, steps: []step{facMute, promote}},
		{name: "moderated, muted themselves", mode: room.ModeModerated, steps: []step{selfMute}, wantErr: room.ErrNotAllowed},
		{name: "moderated, muted on entry", mode: room.ModeModerated, muteOnEntry: true, wantErr: room.ErrNotAllowed},
		{name: "moderated, called on", mode: room.ModeModerated, muteOnEntry: true, steps: []step{callOn}},
		{name: "moderated, asked", mode: room.ModeModerated, muteOnEntry: true, steps: []step{ask}},
		{name: "moderated, turn over", mode: room.ModeModerated, steps: []step{callOn, endTurn}, wantErr: room.ErrNotAllowed},
		{name: "moderated, co-facilitator muted by a facilitator", mode: room.ModeModerated, steps: []step{promote, facMute}},
		{name: "moderated, facilitator muted by a facilitator", mode: room.ModeModerated, facilitator: true, steps: []step{facMute}},
		{name: "moderated, facilitator muted themselves", mode: room.ModeModerated, facilitator: true, steps: []step{selfMute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDemoState()
			s.Settings.Mode, s.Settings.MuteOnEntry = tt.mode, tt.muteOnEntry
			c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
			c.join(t, "Fran", testKey)
			key := ""
			if tt.facilitator {
				key = testKey
			}
			c.join(t, "M", key)
			for _, step := range tt.steps {
				step(t, c)
			}
			if !c.p("M").Muted {
				t.Fatalf("M is not muted: %+v", *c.p("M"))
			}
			before := *c.p("M")
			evs, err := c.setSelf(t, "M", room.SelfUpdate{Muted: ptr(false)})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("unmute: %v, want %v (M was %+v)", err, tt.wantErr, before)
			}
			if err != nil {
				return
			}
			wantEvents(t, evs, "updated:M")
			if p := c.p("M"); p.Muted || p.MutedBy != "" || p.AskedToUnmute {
				t.Errorf("M after unmuting = %+v", *p)
			}
		})
	}
}

func TestTimer(t *testing.T) {
	setup := func(t *testing.T) *cast {
		s := newDemoState()
		c := &cast{s: s, ids: map[string]room.ParticipantID{}, identity: map[string]string{}}
		c.join(t, "Fran", testKey)
		c.join(t, "Bob", "")
		return c
	}
	tick := func(t *testing.T, c *cast, at int64) []room.Event {
		t.Helper()
		return mustRun(t, c.s, func(s *room.State) ([]room.Event, error) { return s.Tick(at), nil })
	}

	t.Run("needs a speaker", func(t *testing.T) {
		c := setup(t)
		if _, err := c.mod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60}); !errors.Is(err, room.ErrBadCommand) {
			t.Errorf("err = %v, want ErrBadCommand", err)
		}
		wantEvents(t, tick(t, c, t0+1_000_000))
	})

	t.Run("length and auto-mute", func(t *testing.T) {
		tests := []struct {
			seconds      int
			shareSeconds int
			autoMute     *bool
			settingsAuto bool
			wantSeconds  int
			wantAuto     bool
			wantErr      error
		}{
			{seconds: 0, wantSeconds: 180},
			{seconds: 0, shareSeconds: 45, wantSeconds: 45},
			{seconds: 10, wantSeconds: 10},
			{seconds: 3600, wantSeconds: 3600},
			{seconds: 9, wantErr: room.ErrBadCommand},
			{seconds: 3601, wantErr: room.ErrBadCommand},
			{seconds: -1, wantErr: room.ErrBadCommand},
			{seconds: 60, settingsAuto: true, wantSeconds: 60, wantAuto: true},
			{seconds: 60, settingsAuto: true, autoMute: ptr(false), wantSeconds: 60},
			{seconds: 60, autoMute: ptr(true), wantSeconds: 60, wantAuto: true},
		}
		for _, tt := range tests {
			c := setup(t)
			if tt.shareSeconds != 0 {
				c.s.Settings.ShareSeconds = tt.shareSeconds
			}
			c.s.Settings.AutoMute = tt.settingsAuto
			c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
			evs, err := c.mod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: tt.seconds, AutoMute: tt.autoMute})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("%+v: err = %v, want %v", tt, err, tt.wantErr)
				continue
			}
			if err != nil {
				continue
			}
			wantEvents(t, evs, "room")
			want := room.Timer{Speaker: c.id("Bob"), EndsAt: t0 + int64(tt.wantSeconds)*1000, Seconds: tt.wantSeconds, AutoMute: tt.wantAuto}
			if c.s.Timer == nil || *c.s.Timer != want {
				t.Errorf("%+v: timer %+v, want %+v", tt, c.s.Timer, want)
			}
		}
	})

	t.Run("warning, end, idempotent ticks", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		wantEvents(t, tick(t, c, t0))
		wantEvents(t, tick(t, c, t0+29_999))
		evs := tick(t, c, t0+30_000)
		wantEvents(t, evs, "timer_warning:Bob")
		if len(evs) == 1 && evs[0].SecondsLeft != 30 {
			t.Errorf("SecondsLeft = %d, want 30", evs[0].SecondsLeft)
		}
		if !c.s.Timer.Warned {
			t.Error("Timer.Warned not set")
		}
		wantEvents(t, tick(t, c, t0+30_000))
		wantEvents(t, tick(t, c, t0+45_000))
		wantEvents(t, tick(t, c, t0+59_999))
		wantEvents(t, tick(t, c, t0+60_000), "timer_ended:Bob", "room")
		// Without auto-mute the speaker keeps the floor and the microphone.
		if c.s.Timer != nil || c.s.Speaker != c.id("Bob") || c.p("Bob").Muted {
			t.Errorf("after the end: timer %+v speaker %v Bob %+v", c.s.Timer, c.s.Speaker, *c.p("Bob"))
		}
		wantEvents(t, tick(t, c, t0+60_000))
		wantEvents(t, tick(t, c, t0+120_000))
	})

	t.Run("seconds left rounds up", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		evs := tick(t, c, t0+34_500)
		wantEvents(t, evs, "timer_warning:Bob")
		if len(evs) == 1 && evs[0].SecondsLeft != 26 {
			t.Errorf("SecondsLeft = %d, want 26", evs[0].SecondsLeft)
		}
	})

	t.Run("no warning for a share of 30 seconds or less", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 30})
		wantEvents(t, tick(t, c, t0))
		wantEvents(t, tick(t, c, t0+1))
		wantEvents(t, tick(t, c, t0+29_999))
		wantEvents(t, tick(t, c, t0+30_000), "timer_ended:Bob", "room")
	})

	t.Run("a late tick ends without warning", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		wantEvents(t, tick(t, c, t0+100_000), "timer_ended:Bob", "room")
	})

	t.Run("auto-mute ends the turn", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60, AutoMute: ptr(true)})
		wantEvents(t, tick(t, c, t0+30_000), "timer_warning:Bob")
		evs := tick(t, c, t0+60_000)
		wantEvents(t, evs, "timer_ended:Bob", "updated:Bob", "room")
		if p := c.p("Bob"); !p.Muted || p.MutedBy != room.MutedByFacilitator || c.s.Speaker != (room.ParticipantID{}) || c.s.Timer != nil {
			t.Errorf("after the end: Bob %+v speaker %v timer %+v", *p, c.s.Speaker, c.s.Timer)
		}
		if _, err := c.setSelf(t, "Bob", room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotAllowed) {
			t.Errorf("Bob unmutes after his time: %v, want ErrNotAllowed", err)
		}
		wantEvents(t, tick(t, c, t0+60_000))
	})

	t.Run("auto-mute spares a facilitator but ends the turn", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Fran"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 10, AutoMute: ptr(true)})
		wantEvents(t, tick(t, c, t0+10_000), "timer_ended:Fran", "room")
		if c.p("Fran").Muted || c.s.Speaker != (room.ParticipantID{}) {
			t.Errorf("Fran %+v speaker %v", *c.p("Fran"), c.s.Speaker)
		}
	})

	t.Run("stop", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		wantEvents(t, c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStopTimer}), "room")
		wantEvents(t, tick(t, c, t0+60_000))
		if c.s.Speaker != c.id("Bob") {
			t.Error("stopping the timer ended the turn")
		}
	})

	t.Run("restart replaces the timer", func(t *testing.T) {
		c := setup(t)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer, Seconds: 60})
		wantEvents(t, tick(t, c, t0+30_000), "timer_warning:Bob")
		evs := mustRun(t, c.s, func(s *room.State) ([]room.Event, error) {
			return s.Moderate(act(s, c.id("Fran")), room.ModCommand{Action: room.ActStartTimer, Seconds: 60}, t0+30_000)
		})
		wantEvents(t, evs, "room")
		if c.s.Timer.Warned || c.s.Timer.EndsAt != t0+90_000 {
			t.Errorf("restarted timer = %+v", *c.s.Timer)
		}
		wantEvents(t, tick(t, c, t0+60_000), "timer_warning:Bob")
	})
}

func TestSettings(t *testing.T) {
	tests := []struct {
		name    string
		update  room.SettingsUpdate
		want    func(s *room.Settings)
		wantErr error
	}{
		{name: "moderated", update: room.SettingsUpdate{Mode: ptr(room.ModeModerated)}, want: func(s *room.Settings) { s.Mode = room.ModeModerated }},
		{name: "mode unknown", update: room.SettingsUpdate{Mode: ptr(room.Mode("chaos"))}, wantErr: room.ErrBadCommand},
		{name: "mode empty", update: room.SettingsUpdate{Mode: ptr(room.Mode(""))}, wantErr: room.ErrBadCommand},
		{name: "mode in capitals", update: room.SettingsUpdate{Mode: ptr(room.Mode("Moderated"))}, wantErr: room.ErrBadCommand},
		{name: "guidelines 2000 characters", update: room.SettingsUpdate{Guidelines: ptr(strings.Repeat("é", 2000))},
			want: func(s *room.Settings) { s.Guidelines = strings.Repeat("é", 2000) }},
		{name: "guidelines trimmed to 2000", update: room.SettingsUpdate{Guidelines: ptr("\n " + strings.Repeat("g", 2000) + " \n")},
			want: func(s *room.Settings) { s.Guidelines = strings.Repeat("g", 2000) }},
		{name: "guidelines 2001 characters", update: room.SettingsUpdate{Guidelines: ptr(strings.Repeat("g", 2001))}, wantErr: room.ErrBadCommand},
		{name: "guidelines invalid UTF-8", update: room.SettingsUpdate{Guidelines: ptr("ok\xff")}, wantErr: room.ErrBadCommand},
		{name: "guidelines empty", update: room.SettingsUpdate{Guidelines: ptr("")}, want: func(s *room.Settings) { s.Guidelines = "" }},
		{name: "guidelines with lines", update: room.SettingsUpdate{Guidelines: ptr("One.\nTwo.")}, want: func(s *room.Settings) { s.Guidelines = "One.\nTwo." }},
		{name: "share 10 seconds", update: room.SettingsUpdate{ShareSeconds: ptr(10)}, want: func(s *room.Settings) { s.ShareSeconds = 10 }},
		{name: "share 3600 seconds", update: room.SettingsUpdate{ShareSeconds: ptr(3600)}, want: func(s *room.Settings) { s.ShareSeconds = 3600 }},
		{name: "share 9 seconds", update: room.SettingsUpdate{ShareSeconds: ptr(9)}, wantErr: room.ErrBadCommand},
		{name: "share 3601 seconds", update: room.SettingsUpdate{ShareSeconds: ptr(3601)}, wantErr: room.ErrBadCommand},
		{name: "share 0 seconds", update: room.SettingsUpdate{ShareSeconds: ptr(0)}, wantErr: room.ErrBadCommand},
		{name: "share negative", update: room.SettingsUpdate{ShareSeconds: ptr(-60)}, wantErr: room.ErrBadCommand},
		{name: "booleans", update: room.SettingsUpdate{WaitingRoom: ptr(false), MuteOnEntry: ptr(false), SelfRename: ptr(false), PrivateChat: ptr(true), AutoMute: ptr(true)},
			want: func(s *room.Settings) {
				s.WaitingRoom, s.MuteOnEntry, s.SelfRename, s.PrivateChat, s.AutoMute = false, false, false, true, true
			}},
		{name: "a bad value refuses the whole update", update: room.SettingsUpdate{WaitingRoom: ptr(false), Mode: ptr(room.ModeModerated), ShareSeconds: ptr(5)},
			wantErr: room.ErrBadCommand},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCast(t)
			u := tt.update
			evs, err := c.mod(t, "Cora", room.ModCommand{Action: room.ActSettings, Settings: &u})
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			want := room.DefaultSettings()
			want.MuteOnEntry = false // as the cast has it
			tt.want(&want)
			if c.s.Settings != want {
				t.Errorf("Settings = %+v, want %+v", c.s.Settings, want)
			}
			wantEvents(t, evs, "room")
		})
	}
}

func TestSuspendAndResume(t *testing.T) {
	c := newCast(t)
	wantEvents(t, c.mustMod(t, "Cora", room.ModCommand{Action: room.ActSuspend}), append(c.sorted("updated:", presentMembers...), "room")...)
	for _, name := range allMembers {
		if p := c.p(name); !p.Muted || p.MutedBy != room.MutedByFacilitator || p.Camera || !p.CameraBlocked {
			t.Errorf("%s after suspend = %+v", name, *p)
		}
	}
	for _, name := range []string{"Fran", "Cora"} {
		if p := c.p(name); p.Muted || !p.Camera || p.CameraBlocked {
			t.Errorf("%s touched by suspend: %+v", name, *p)
		}
	}
	if c.s.ChatOpen || !c.s.Locked || !c.s.Suspended || c.s.Speaker != (room.ParticipantID{}) {
		t.Errorf("room after suspend = %+v", c.s.Info)
	}
	// Members can neither turn their camera on nor unmute, nor chat.
	if _, err := c.setSelf(t, "Mia", room.SelfUpdate{Camera: ptr(true)}); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("camera on: %v, want ErrNotAllowed", err)
	}
	if _, err := c.setSelf(t, "Mia", room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("unmute: %v, want ErrNotAllowed", err)
	}
	wantEvents(t, ok(t)(c.setSelf(t, "Mia", room.SelfUpdate{Camera: ptr(false), Muted: ptr(true)})))
	if _, err := run(t, c.s, func(s *room.State) ([]room.Event, error) {
		return s.SendChat(c.act("Mia"), room.ChatToRoom, "hello?", t0)
	}); !errors.Is(err, room.ErrChatClosed) {
		t.Errorf("member chat: %v, want ErrChatClosed", err)
	}
	// Facilitators go on.
	wantEvents(t, ok(t)(c.setSelf(t, "Cora", room.SelfUpdate{Camera: ptr(false)})), "updated:Cora")
	wantEvents(t, ok(t)(c.setSelf(t, "Cora", room.SelfUpdate{Camera: ptr(true)})), "updated:Cora")
	wantEvents(t, mustRun(t, c.s, func(s *room.State) ([]room.Event, error) {
		return s.SendChat(c.act("Fran"), room.ChatToRoom, "We'll take a short break.", t0)
	}), "chat:Fran")
	// Newcomers are locked out; a facilitator comes in, unblocked.
	if _, _, err := join(t, c.s, room.JoinRequest{Name: "Newcomer"}, "identity-newcomer"); !errors.Is(err, room.ErrLocked) {
		t.Errorf("newcomer: %v, want ErrLocked", err)
	}
	if fay := c.join(t, "Fay", testKey); fay.Self.CameraBlocked || fay.Self.Muted || !fay.Self.Camera {
		t.Errorf("facilitator joining a suspended room = %+v", fay.Self)
	}
	// Abe, who was away, comes back blocked.
	wantEvents(t, ok(t)(c.rejoin(t, "Abe")), "joined:Abe")
	if _, err := c.setSelf(t, "Abe", room.SelfUpdate{Camera: ptr(true)}); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("Abe's camera on: %v, want ErrNotAllowed", err)
	}
	// If a facilitator unlocks, a newcomer is blocked too.
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActUnlock})
	nina := c.join(t, "Nina", "")
	if p := nina.Self; !p.Muted || p.MutedBy != room.MutedByFacilitator || p.Camera || !p.CameraBlocked {
		t.Errorf("newcomer in a suspended room = %+v", p)
	}
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActLock})
	// A promoted member is no longer blocked.
	c.mustMod(t, "Fran", target(room.ActPromote, c, "Stan"))
	if c.p("Stan").CameraBlocked {
		t.Error("promoted Stan still blocked")
	}
	wantEvents(t, ok(t)(c.setSelf(t, "Stan", room.SelfUpdate{Camera: ptr(true), Muted: ptr(false)})), "updated:Stan")

	// Resume lifts the camera block only.
	evs := c.mustMod(t, "Fran", room.ModCommand{Action: room.ActResume})
	wantEvents(t, evs, append(c.sorted("updated:", "Mia", "Bob", "Will", "Wendy", "Abe", "Nina"), "room")...)
	for _, p := range c.s.Participants {
		if p.CameraBlocked {
			t.Errorf("%s still blocked after resume", p.Name)
		}
	}
	if c.s.Suspended || c.s.ChatOpen || !c.s.Locked {
		t.Errorf("room after resume = %+v; want not suspended, chat still closed, still locked", c.s.Info)
	}
	wantEvents(t, ok(t)(c.setSelf(t, "Mia", room.SelfUpdate{Camera: ptr(true)})), "updated:Mia")
	if _, err := c.setSelf(t, "Mia", room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("unmute after resume: %v, want ErrNotAllowed (still muted by the facilitator)", err)
	}
	if _, err := run(t, c.s, func(s *room.State) ([]room.Event, error) {
		return s.SendChat(c.act("Mia"), room.ChatToRoom, "hello?", t0)
	}); !errors.Is(err, room.ErrChatClosed) {
		t.Errorf("member chat after resume: %v, want ErrChatClosed", err)
	}
}

func TestEndMeeting(t *testing.T) {
	c := newCast(t)
	c.mustMod(t, "Fran", target(room.ActRemove, c, "Stan"))
	c.mustMod(t, "Fran", target(room.ActDeny, c, "Will"))
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer})
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{Mode: ptr(room.ModeModerated)}})
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSuspend})
	settings := c.s.Settings
	seq := c.s.Seq

	evs := c.mustMod(t, "Cora", room.ModCommand{Action: room.ActEndMeeting})
	wantEvents(t, evs, "ended", "room")
	s := c.s
	if len(s.Participants) != 0 || len(s.Identities) != 0 || len(s.Hands) != 0 || len(s.Chat) != 0 || len(s.Present()) != 0 {
		t.Errorf("after end: %s", dump(t, s))
	}
	wantInfo := room.Info{Name: "Tuesday group", Settings: settings, ChatOpen: true}
	if !reflect.DeepEqual(s.Info, wantInfo) {
		t.Errorf("Info after end = %+v, want %+v", s.Info, wantInfo)
	}
	if s.Seq != seq+2 || s.FacilitatorKeyHash != sha256Hex(testKey) {
		t.Errorf("seq %d key hash %q", s.Seq, s.FacilitatorKeyHash)
	}
	// Every identity of the meeting is forgotten, bans included.
	for name := range c.identity {
		if _, err := c.rejoin(t, name); !errors.Is(err, room.ErrUnknownIdentity) {
			t.Errorf("%s comes back: %v, want ErrUnknownIdentity", name, err)
		}
	}
	// Old connections can do nothing.
	for name := range c.ids {
		a := room.Actor{ID: c.id(name), Conn: 1}
		if _, err := setSelf(t, s, a, room.SelfUpdate{Muted: ptr(true)}); !errors.Is(err, room.ErrNotPresent) {
			t.Errorf("%s SetSelf: %v, want ErrNotPresent", name, err)
		}
		wantEvents(t, leave(t, s, a, true))
	}
	// A new meeting starts with the same room, key and settings.
	fran := mustJoin(t, s, "Fran", testKey)
	if fran.Self.Role != room.RoleFacilitator {
		t.Errorf("facilitator after end = %+v", fran.Self)
	}
	if stan := mustJoin(t, s, "Stan", ""); stan.Self.Status != room.StatusWaiting || stan.Self.CameraBlocked {
		t.Errorf("removed Stan joins the next meeting as a newcomer: %+v", stan.Self)
	}
	evs = mustRun(t, s, func(st *room.State) ([]room.Event, error) {
		return st.SendChat(act(st, fran.Self.ID), room.ChatToRoom, "Welcome back", t0)
	})
	if evs[0].Chat.ID == "m1" {
		t.Errorf("message id %q reused after the end", evs[0].Chat.ID)
	}
}

func TestPromoteDemote(t *testing.T) {
	c := newCast(t)
	c.join(t, "Fay", testKey)
	wantEvents(t, c.mustMod(t, "Cora", target(room.ActPromote, c, "Mia")), "updated:Mia")
	if c.p("Mia").Role != room.RoleCoFacilitator {
		t.Fatalf("Mia = %+v", *c.p("Mia"))
	}
	// The new co-facilitator moderates.
	wantEvents(t, c.mustMod(t, "Mia", target(room.ActAdmit, c, "Will")), "updated:Will")
	// A co-facilitator demotes a co-facilitator...
	wantEvents(t, c.mustMod(t, "Cora", target(room.ActDemote, c, "Mia")), "updated:Mia")
	if c.p("Mia").Role != room.RoleMember {
		t.Errorf("Mia = %+v", *c.p("Mia"))
	}
	// ...but not a facilitator.
	if _, err := c.mod(t, "Cora", target(room.ActDemote, c, "Fran")); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("co-facilitator demotes a facilitator: %v, want ErrNotAllowed", err)
	}
	// A facilitator demotes a facilitator.
	wantEvents(t, c.mustMod(t, "Fran", target(room.ActDemote, c, "Fay")), "updated:Fay")
	if c.p("Fay").Role != room.RoleMember {
		t.Errorf("Fay = %+v", *c.p("Fay"))
	}
	if _, err := c.mod(t, "Fay", room.ModCommand{Action: room.ActLock}); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("demoted Fay moderates: %v, want ErrNotAllowed", err)
	}
	// Her key makes her facilitator again when she reconnects with it.
	if j, _, err := join(t, c.s, room.JoinRequest{Identity: c.identity["Fay"], FacilitatorKey: testKey}, "x"); err != nil || j.Self.Role != room.RoleFacilitator {
		t.Errorf("Fay with the key = %+v, %v", j.Self, err)
	}
	// A co-facilitator may step down.
	wantEvents(t, c.mustMod(t, "Cora", target(room.ActDemote, c, "Cora")), "updated:Cora")
}

func TestRename(t *testing.T) {
	c := newCast(t)
	rename := func(name, newName string) ([]room.Event, error) {
		return run(t, c.s, func(s *room.State) ([]room.Event, error) { return s.Rename(c.act(name), newName) })
	}
	// Self-rename is on by default.
	wantEvents(t, ok(t)(rename("Mia", " Maya ")), "updated:Maya")
	wantEvents(t, ok(t)(rename("Mia", "Maya")))
	// Not from the waiting room.
	if _, err := rename("Will", "William"); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("waiting Will renames himself: %v, want ErrNotAllowed", err)
	}
	for _, bad := range []string{"", "  ", "a\nb", strings.Repeat("x", 41), "x\u2028y"} {
		if _, err := rename("Mia", bad); !errors.Is(err, room.ErrBadName) {
			t.Errorf("rename to %q: %v, want ErrBadName", bad, err)
		}
	}
	if _, err := run(t, c.s, func(s *room.State) ([]room.Event, error) {
		return s.Rename(room.Actor{ID: c.id("Stan"), Conn: 1}, "Stanley")
	}); !errors.Is(err, room.ErrNotPresent) {
		t.Errorf("rename from a stale connection: %v, want ErrNotPresent", err)
	}

	// Turned off: members may not, facilitators and co-facilitators may.
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{SelfRename: ptr(false)}})
	for _, name := range []string{"Mia", "Bob", "Will"} {
		if _, err := rename(name, "Someone"); !errors.Is(err, room.ErrNotAllowed) {
			t.Errorf("%s renames: %v, want ErrNotAllowed", name, err)
		}
	}
	wantEvents(t, ok(t)(rename("Fran", "Frances")), "updated:Frances")
	wantEvents(t, ok(t)(rename("Cora", "Coralie")), "updated:Coralie")
	// A facilitator still renames a member.
	wantEvents(t, c.mustMod(t, "Cora", room.ModCommand{Action: room.ActRename, Target: c.id("Bob"), Name: "Robert"}), "updated:Robert")
}
