package room_test

import (
	"errors"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// A probe is issued only for a present participant, and only its holder's
// current connection answers it; neither event is seen by any client.
func TestProbeAndAlive(t *testing.T) {
	s := newDemoState()
	fac := mustJoin(t, s, "Facil", testKey)
	mem := mustJoin(t, s, "Memb", "")
	before := s.Clone()

	// Nothing to probe: no identity, an unknown one, nobody present with it.
	for _, req := range []room.JoinRequest{{}, {Identity: "nobody"}} {
		if evs := mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.Probe(req, "p0") }); len(evs) != 0 {
			t.Errorf("probe of %q: events %v, want none", req.Identity, describe(evs))
		}
	}
	assertUnchanged(t, before, s)

	// A wrong facilitator key is refused before anyone is pinged.
	if _, err := run(t, s, func(s *room.State) ([]room.Event, error) {
		return s.Probe(room.JoinRequest{Identity: "identity-Facil", FacilitatorKey: "wrong"}, "p1")
	}); !errors.Is(err, room.ErrForbidden) {
		t.Errorf("probe with a wrong key: %v, want ErrForbidden", err)
	}

	// The facilitator's and the member's identities (with or without key).
	for _, c := range []struct {
		req  room.JoinRequest
		self room.Participant
	}{
		{room.JoinRequest{Identity: "identity-Facil"}, fac.Self},
		{room.JoinRequest{Identity: "identity-Facil", FacilitatorKey: testKey}, fac.Self},
		{room.JoinRequest{Identity: "identity-Memb"}, mem.Self},
	} {
		evs := mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.Probe(c.req, "probe-1") })
		if len(evs) != 1 || evs[0].Kind != room.EventProbe || evs[0].Probe != "probe-1" ||
			evs[0].Participant.ID != c.self.ID || evs[0].Participant.Conn != c.self.Conn {
			t.Fatalf("probe of %s: %+v", c.self.Name, evs)
		}
		// The answer from the current connection.
		evs = mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.Alive(act(s, c.self.ID), "probe-1") })
		if len(evs) != 1 || evs[0].Kind != room.EventAlive || evs[0].Probe != "probe-1" || evs[0].Participant.ID != c.self.ID {
			t.Fatalf("alive of %s: %+v", c.self.Name, evs)
		}
		// Not from an older connection.
		old := room.Actor{ID: c.self.ID, Conn: c.self.Conn - 1}
		if evs := mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.Alive(old, "probe-1") }); len(evs) != 0 {
			t.Errorf("alive from an older connection: %v", describe(evs))
		}
	}

	// Nobody sees either event: facilitators, members, people waiting.
	viewers := []room.Participant{fac.Self, mem.Self, {ID: room.NewParticipantID(), Role: room.RoleMember, Status: room.StatusWaiting}}
	for _, kind := range []room.EventKind{room.EventProbe, room.EventAlive} {
		for _, v := range viewers {
			ev := room.Event{Kind: kind, Participant: v, Probe: "x"}
			if ev.VisibleTo(v) {
				t.Errorf("%s event visible to %s %s", kind, v.Role, v.Status)
			}
		}
	}

	// Once the member has left, their identity is not probed.
	mustLeave(t, s, mem.Self)
	if evs := mustRun(t, s, func(s *room.State) ([]room.Event, error) {
		return s.Probe(room.JoinRequest{Identity: "identity-Memb"}, "p2")
	}); len(evs) != 0 {
		t.Errorf("probe of a member who left: %v", describe(evs))
	}
	if evs := mustRun(t, s, func(s *room.State) ([]room.Event, error) { return s.Alive(act(s, mem.Self.ID), "p2") }); len(evs) != 0 {
		t.Errorf("alive of a member who left: %v", describe(evs))
	}
}
