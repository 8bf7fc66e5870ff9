package room_test

import (
	"errors"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

func (c *cast) share(t testing.TB, name string, on bool) ([]room.Event, error) {
	t.Helper()
	return run(t, c.s, func(s *room.State) ([]room.Event, error) { return s.ShareScreen(c.act(name), on) })
}

func (c *cast) allowScreens(t testing.TB, on bool) []room.Event {
	t.Helper()
	return c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{MembersCanShareScreen: &on}})
}

// Facilitators share their screen; members only when the room allows it
// (off by default), one screen at a time; turning the setting off,
// suspending activity, demoting, moving to the waiting room and coming
// back on a new connection each stop a share.
func TestShareScreen(t *testing.T) {
	c := newCast(t)
	if room.DefaultSettings().MembersCanShareScreen || c.s.Settings.MembersCanShareScreen {
		t.Fatal("members may share their screen by default")
	}
	_, err := c.share(t, "Mia", true)
	if !errors.Is(err, room.ErrScreenNotAllowed) || !errors.Is(err, room.ErrForbidden) {
		t.Fatalf("a member shares in a room that does not allow it: %v, want ErrScreenNotAllowed (forbidden)", err)
	}
	if _, err := c.share(t, "Will", true); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("someone waiting shares: %v, want not allowed", err)
	}
	evs, err := c.share(t, "Cora", true)
	if err != nil || !c.p("Cora").Screen {
		t.Fatalf("a co-facilitator shares: %v", err)
	}
	wantEvents(t, evs, "updated:Cora")
	if evs, _ := c.share(t, "Cora", true); len(evs) != 0 {
		t.Errorf("sharing again: events %v, want none", describe(evs))
	}

	wantEvents(t, c.allowScreens(t, true), "room")
	if _, err := c.share(t, "Mia", true); !errors.Is(err, room.ErrNotAllowed) || c.p("Mia").Screen {
		t.Errorf("a member shares while a facilitator shares: %v, want not allowed", err)
	}
	wantEvents(t, mustRun(t, c.s, func(s *room.State) ([]room.Event, error) { return s.ShareScreen(c.act("Cora"), false) }), "updated:Cora")
	if evs, err := c.share(t, "Mia", true); err != nil || !c.p("Mia").Screen {
		t.Fatalf("a member shares once allowed: %v", err)
	} else {
		wantEvents(t, evs, "updated:Mia")
	}
	evs, err = c.share(t, "Fran", true)
	if err != nil || c.p("Mia").Screen || !c.p("Fran").Screen {
		t.Fatalf("a facilitator takes over a member's share: %v; Mia %v, Fran %v", err, c.p("Mia").Screen, c.p("Fran").Screen)
	}
	wantEvents(t, evs, "updated:Mia", "updated:Fran")
	wantEvents(t, mustRun(t, c.s, func(s *room.State) ([]room.Event, error) { return s.ShareScreen(c.act("Fran"), false) }), "updated:Fran")

	stops := []struct {
		name string
		do   func(c *cast) []room.Event
		want []string
	}{
		{"the setting turned off", func(c *cast) []room.Event { return c.allowScreens(t, false) }, []string{"room", "updated:Mia"}},
		{"activity suspended", func(c *cast) []room.Event {
			return c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSuspend})
		}, nil},
		{"moved to the waiting room", func(c *cast) []room.Event {
			return c.mustMod(t, "Fran", room.ModCommand{Action: room.ActMoveToWaiting, Target: c.id("Mia")})
		}, []string{"left:Mia", "hands", "updated:Mia"}},
	}
	for _, tt := range stops {
		t.Run(tt.name, func(t *testing.T) {
			c := newCast(t)
			c.allowScreens(t, true)
			if _, err := c.share(t, "Mia", true); err != nil {
				t.Fatal(err)
			}
			evs := tt.do(c)
			if c.p("Mia").Screen {
				t.Errorf("Mia still shares her screen after %s", tt.name)
			}
			if tt.want != nil {
				wantEvents(t, evs, tt.want...)
			}
		})
	}
	t.Run("demoted", func(t *testing.T) {
		c := newCast(t)
		if _, err := c.share(t, "Cora", true); err != nil {
			t.Fatal(err)
		}
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActDemote, Target: c.id("Cora")})
		if c.p("Cora").Screen {
			t.Error("a demoted co-facilitator still shares in a room that does not allow members")
		}
	})
	t.Run("a new connection", func(t *testing.T) {
		c := newCast(t)
		if _, err := c.share(t, "Fran", true); err != nil {
			t.Fatal(err)
		}
		if _, err := c.rejoin(t, "Fran"); err != nil {
			t.Fatal(err)
		}
		if c.p("Fran").Screen {
			t.Error("someone back on a new connection still shares (their page shares nothing yet)")
		}
	})
}
