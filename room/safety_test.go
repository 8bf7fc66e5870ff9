package room_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// Under first names only, a name people give themselves (joining,
// renaming themselves) is one word of at most 20 characters; a
// facilitator renaming someone may use any valid name; a room without
// the policy takes any valid name.
func TestFirstNamesOnly(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr error
	}{
		{"first name", "Sam", nil},
		{"hyphenated", "Mary-Jo", nil},
		{"initials", "J.R.", nil},
		{"trimmed", "  Sam  ", nil},
		{"20 characters", strings.Repeat("a", 20), nil},
		{"20 four-byte characters", strings.Repeat("🙂", 20), nil},
		{"21 characters", strings.Repeat("a", 21), room.ErrNotFirstName},
		{"two words", "Sam Smith", room.ErrNotFirstName},
		{"no-break space", "Sam\u00a0Smith", room.ErrNotFirstName},
		{"ideographic space", "山田\u3000太郎", room.ErrNotFirstName},
		{"empty", " ", room.ErrBadName},
		{"control character", "Sam\x00", room.ErrBadName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newDemoState()
			_, _, err := join(t, s, room.JoinRequest{Name: tt.in}, "identity")
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("join %q under first names only: %v, want %v", tt.in, err, tt.wantErr)
			}
			// A facilitator too.
			_, _, err = join(t, s, room.JoinRequest{Name: tt.in, FacilitatorKey: testKey}, "identity-f")
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("facilitator joins as %q under first names only: %v, want %v", tt.in, err, tt.wantErr)
			}

			// Renaming oneself follows the policy.
			s = newDemoState()
			sam := mustJoin(t, s, "Sam", "")
			_, err = run(t, s, func(s *room.State) ([]room.Event, error) { return s.Rename(act(s, sam.Self.ID), tt.in) })
			if !errors.Is(err, tt.wantErr) && !(tt.wantErr == nil && err == nil) {
				t.Errorf("Sam renames himself %q: %v, want %v", tt.in, err, tt.wantErr)
			}

			// Without the policy, only CleanName's rule.
			s = newDemoState()
			s.Settings.FirstNamesOnly = false
			_, _, err = join(t, s, room.JoinRequest{Name: tt.in}, "identity")
			if want := tt.wantErr; !errors.Is(err, want) && !(want == room.ErrNotFirstName && err == nil) {
				t.Errorf("join %q without the policy: %v", tt.in, err)
			}
		})
	}

	t.Run("a facilitator's rename is not held to it", func(t *testing.T) {
		s := newDemoState()
		fran := mustJoin(t, s, "Fran", testKey)
		sam := mustJoin(t, s, "Sam", "")
		wantEvents(t, mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActRename, Target: sam.Self.ID, Name: "Sam B. (Tuesdays)"}),
			"updated:Sam B. (Tuesdays)")
	})
	t.Run("turned off and on by a facilitator", func(t *testing.T) {
		s := newDemoState()
		fran := mustJoin(t, s, "Fran", testKey)
		mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{FirstNamesOnly: ptr(false)}})
		mustJoin(t, s, "Sam Smith", "")
		mustMod(t, s, act(s, fran.Self.ID), room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{FirstNamesOnly: ptr(true)}})
		if _, _, err := join(t, s, room.JoinRequest{Name: "Ann Lee"}, "identity-ann"); !errors.Is(err, room.ErrNotFirstName) {
			t.Errorf("join after the policy came back: %v, want ErrNotFirstName", err)
		}
	})
	t.Run("new rooms have it, stored rooms without the field do not", func(t *testing.T) {
		if !room.DefaultSettings().FirstNamesOnly || !room.DemoSettings().FirstNamesOnly {
			t.Error("new rooms' settings lack first names only")
		}
		var stored room.Settings
		if err := json.Unmarshal([]byte(`{"waitingRoom":true,"mode":"open","shareSeconds":180}`), &stored); err != nil {
			t.Fatal(err)
		}
		if stored.FirstNamesOnly {
			t.Error("a stored room without the field has first names only")
		}
	})
}

// A newcomer who says they are new keeps it through a comeback; only
// facilitators see it (signaling's wire tests check what is sent).
func TestNewHere(t *testing.T) {
	s := newDemoState()
	j, _, err := join(t, s, room.JoinRequest{Name: "Nova", NewHere: true}, "identity-nova")
	if err != nil || !j.Self.NewHere {
		t.Fatalf("join new here = %+v, %v", j.Self, err)
	}
	leave(t, s, act(s, j.Self.ID), false)
	back, _, err := join(t, s, room.JoinRequest{Name: "Nova", Identity: "identity-nova"}, "unused")
	if err != nil || !back.Self.NewHere {
		t.Errorf("comeback = %+v, %v; want still new here", back.Self, err)
	}
	old := mustJoin(t, s, "Olga", "")
	if old.Self.NewHere {
		t.Error("a join without new here is new here")
	}
}

func report(t testing.TB, c *cast, name string, r room.ReportRequest) ([]room.Event, error) {
	t.Helper()
	return run(t, c.s, func(s *room.State) ([]room.Event, error) { return s.MakeReport(c.act(name), r, t0) })
}

// A member reports a chat message or a participant: the report names
// both and is seen by facilitators only; what cannot be reported is
// refused; ending the meeting deletes the reports.
func TestReport(t *testing.T) {
	c := newCast(t)
	evs, err := report(t, c, "Bob", room.ReportRequest{MessageID: "m1", Reason: "  she keeps giving advice  "})
	if err != nil {
		t.Fatal(err)
	}
	wantEvents(t, evs, "report")
	got := *evs[0].Report
	want := room.Report{ID: "r1", From: c.id("Bob"), FromName: "Bob", About: c.id("Mia"), AboutName: "Mia",
		MessageID: "m1", MessageText: "hello", Reason: "she keeps giving advice", At: t0}
	if got != want {
		t.Errorf("report = %+v, want %+v", got, want)
	}
	wantEvents(t, ok(t)(report(t, c, "Mia", room.ReportRequest{About: c.id("Stan")})), "report")

	for name, sees := range map[string]bool{"Fran": true, "Cora": true, "Mia": false, "Bob": false, "Stan": false, "Will": false} {
		if got := evs[0].VisibleTo(*c.p(name)); got != sees {
			t.Errorf("%s sees the report: %v, want %v", name, got, sees)
		}
		if n := len(c.s.VisibleReports(*c.p(name))); (n == 2) != sees || (n != 0 && !sees) {
			t.Errorf("%s's snapshot holds %d reports", name, n)
		}
	}

	// Bob writes privately to Cora; Mia cannot report what she cannot read.
	wantEvents(t, ok(t)(c.chat(t, "Bob", room.ChatToParticipant(c.id("Cora")), "psst")), "chat:Bob")
	refused := []struct {
		name, who string
		r         room.ReportRequest
		wantErr   error
	}{
		{"nothing named", "Mia", room.ReportRequest{Reason: "x"}, room.ErrBadCommand},
		{"oneself", "Mia", room.ReportRequest{About: c.id("Mia")}, room.ErrBadCommand},
		{"one's own message", "Mia", room.ReportRequest{MessageID: "m1"}, room.ErrBadCommand},
		{"unknown participant", "Mia", room.ReportRequest{About: room.NewParticipantID()}, room.ErrBadCommand},
		{"unknown message", "Mia", room.ReportRequest{MessageID: "m99"}, room.ErrBadCommand},
		{"a private message to others", "Mia", room.ReportRequest{MessageID: "m2"}, room.ErrBadCommand},
		{"message and sender disagree", "Bob", room.ReportRequest{About: c.id("Stan"), MessageID: "m1"}, room.ErrBadCommand},
		{"reason too long", "Mia", room.ReportRequest{About: c.id("Bob"), Reason: strings.Repeat("a", 501)}, room.ErrBadCommand},
		{"from the waiting room", "Will", room.ReportRequest{About: c.id("Bob")}, room.ErrNotAllowed},
		{"from a stale connection", "", room.ReportRequest{About: c.id("Bob")}, room.ErrNotPresent},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.who == "" {
				_, err = run(t, c.s, func(s *room.State) ([]room.Event, error) {
					return s.MakeReport(room.Actor{ID: c.id("Stan"), Conn: 1}, tt.r, t0)
				})
			} else {
				_, err = report(t, c, tt.who, tt.r)
			}
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}

	t.Run("at most 10 per person", func(t *testing.T) {
		for range room.MaxReportsPerPerson - 1 {
			ok(t)(report(t, c, "Mia", room.ReportRequest{About: c.id("Bob")}))
		}
		if _, err := report(t, c, "Mia", room.ReportRequest{About: c.id("Bob")}); !errors.Is(err, room.ErrNotAllowed) {
			t.Errorf("11th report: %v, want ErrNotAllowed", err)
		}
	})
	t.Run("gone with the meeting", func(t *testing.T) {
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActEndMeeting})
		if len(c.s.Reports) != 0 {
			t.Errorf("after the end %d reports are kept", len(c.s.Reports))
		}
	})
}
