package room_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/roomtest"
)

// tidyService returns a Service over a memory store on a fake clock whose
// timers run when the test advances it, and a room where people come
// straight in, with a facilitator key.
func tidyService(t *testing.T) (*room.Service, room.Created, *roomtest.Clock) {
	t.Helper()
	clk := roomtest.NewClock(time.UnixMilli(t0))
	svc := room.NewServiceWith(room.ServiceParams{Store: memory.New(), Now: clk.Now, AfterFunc: clk.AfterFunc})
	c, err := svc.Create(context.Background(), "Tuesday group", room.DemoSettings())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return svc, c, clk
}

func svcJoin(t *testing.T, svc *room.Service, id room.RoomID, req room.JoinRequest) room.Joined {
	t.Helper()
	j, err := svc.Join(context.Background(), id, req)
	if err != nil {
		t.Fatalf("Join %q: %v", req.Name, err)
	}
	return j
}

func svcLeave(t *testing.T, svc *room.Service, id room.RoomID, j room.Joined) {
	t.Helper()
	if err := svc.Leave(context.Background(), id, selfActor(j), false); err != nil {
		t.Fatalf("Leave: %v", err)
	}
}

func snapshot(t *testing.T, svc *room.Service, id room.RoomID) *room.State {
	t.Helper()
	st, err := svc.Snapshot(context.Background(), id)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return st
}

// Someone who left may come back as themselves within the grace; after
// it they are pruned, identity and hand included, without any command.
func TestLeftArePrunedAfterGrace(t *testing.T) {
	svc, c, clk := tidyService(t)
	fran := svcJoin(t, svc, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	bea := svcJoin(t, svc, c.ID, room.JoinRequest{Name: "Bea"})
	if _, err := svc.Apply(context.Background(), c.ID, func(st *room.State, _ int64) ([]room.Event, error) {
		return st.RaiseHand(selfActor(bea))
	}); err != nil {
		t.Fatal(err)
	}
	svcLeave(t, svc, c.ID, bea)
	clk.Advance(room.ResumeGrace - time.Second)
	back := svcJoin(t, svc, c.ID, room.JoinRequest{Identity: bea.Identity})
	if back.Self.ID != bea.Self.ID {
		t.Fatalf("Bea came back within the grace as %v, want %v", back.Self.ID, bea.Self.ID)
	}
	svcLeave(t, svc, c.ID, back)
	clk.Advance(room.ResumeGrace)
	st := snapshot(t, svc, c.ID)
	t.Logf("after the grace: %d participants, %d identities, %d hands", len(st.Participants), len(st.Identities), len(st.Hands))
	if _, ok := st.Participants[bea.Self.ID]; ok || len(st.Identities) != 1 || len(st.Hands) != 0 || len(st.Gone) != 0 {
		t.Errorf("Bea still in the state after the grace: %+v", st)
	}
	if _, ok := st.Participants[fran.Self.ID]; !ok {
		t.Error("Fran, present, was pruned")
	}
	if _, err := svc.Join(context.Background(), c.ID, room.JoinRequest{Identity: bea.Identity}); !errors.Is(err, room.ErrUnknownIdentity) {
		t.Errorf("Bea's identity after the grace: %v, want ErrUnknownIdentity", err)
	}
}

// A removed or denied person's record leaves only a short hash of their
// identity, which still keeps them out of the meeting.
func TestBansKeptCompact(t *testing.T) {
	svc, c, clk := tidyService(t)
	fran := svcJoin(t, svc, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	troll := svcJoin(t, svc, c.ID, room.JoinRequest{Name: "Trollname"})
	if _, err := svc.Apply(context.Background(), c.ID, modCmd(selfActor(fran), room.ModCommand{Action: room.ActRemove, Target: troll.Self.ID})); err != nil {
		t.Fatal(err)
	}
	clk.Advance(room.ResumeGrace)
	st := snapshot(t, svc, c.ID)
	b, _ := json.Marshal(st)
	t.Logf("state after the removed one's grace: %d bytes, bans %v", len(b), st.Bans)
	if strings.Contains(string(b), "Trollname") || len(st.Participants) != 1 || len(st.Bans) != 1 {
		t.Errorf("the ban is not compact: %s", b)
	}
	for k, removed := range st.Bans {
		if len(k) != 32 || !removed {
			t.Errorf("ban %q = %v, want a 32-character hash, removed", k, removed)
		}
	}
	if _, err := svc.Join(context.Background(), c.ID, room.JoinRequest{Identity: troll.Identity}); !errors.Is(err, room.ErrRemoved) {
		t.Errorf("removed identity after pruning: %v, want ErrRemoved", err)
	}
}

// A meeting ends when its room is empty: once the grace after the last
// leave has passed, with no join, its content is gone; the room stays.
func TestEmptyMeetingEndsWithoutJoin(t *testing.T) {
	svc, c, clk := tidyService(t)
	ada := svcJoin(t, svc, c.ID, room.JoinRequest{Name: "Ada"})
	if _, err := svc.Apply(context.Background(), c.ID, chatCmd(selfActor(ada), room.ChatToRoom, "what I said")); err != nil {
		t.Fatal(err)
	}
	svcLeave(t, svc, c.ID, ada)
	clk.Advance(room.ResumeGrace - time.Millisecond)
	if st := snapshot(t, svc, c.ID); len(st.Chat) != 1 || len(st.Participants) != 1 {
		t.Fatalf("the meeting ended before the grace: %+v", st)
	}
	clk.Advance(time.Millisecond)
	st := snapshot(t, svc, c.ID)
	b, _ := json.Marshal(st)
	t.Logf("state once the grace passed: %d bytes", len(b))
	if len(st.Chat) != 0 || len(st.Participants) != 0 || len(st.Identities) != 0 || st.EmptySince != 0 {
		t.Errorf("the empty meeting was not ended: %s", b)
	}
	if strings.Contains(string(b), "Ada") || strings.Contains(string(b), "what I said") {
		t.Errorf("a name or chat text is still stored: %s", b)
	}
	if st.Name != "Tuesday group" || st.Settings != room.DemoSettings() {
		t.Errorf("the room itself changed: %q %+v", st.Name, st.Settings)
	}
}

// Joins and hang-ups through the waiting room (a public link) keep the
// state bounded during the churn (MaxGoneKept) and small after it (the
// grace).
func TestChurnStaysBounded(t *testing.T) {
	clk := roomtest.NewClock(time.UnixMilli(t0))
	svc := room.NewServiceWith(room.ServiceParams{Store: memory.New(), Now: clk.Now, AfterFunc: clk.AfterFunc})
	c, err := svc.Create(context.Background(), "Tuesday group", room.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	svcJoin(t, svc, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	largest := 0
	for i := range 500 {
		j := svcJoin(t, svc, c.ID, room.JoinRequest{Name: "Churner"})
		svcLeave(t, svc, c.ID, j)
		if i%10 == 0 {
			clk.Advance(10 * time.Millisecond)
		}
		b, _ := json.Marshal(snapshot(t, svc, c.ID))
		largest = max(largest, len(b))
	}
	clk.Advance(room.ResumeGrace)
	st := snapshot(t, svc, c.ID)
	b, _ := json.Marshal(st)
	t.Logf("500 joins and hang-ups: largest state %d bytes, %d after the grace (%d participants)", largest, len(b), len(st.Participants))
	if largest > (room.MaxGoneKept+4)*400 {
		t.Errorf("state grew to %d bytes during the churn", largest)
	}
	if len(b) >= 10<<10 || len(st.Participants) != 1 {
		t.Errorf("state after the churn: %d bytes, %d participants", len(b), len(st.Participants))
	}
}
