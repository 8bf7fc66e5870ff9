package signaling

import (
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
)

func TestHolds(t *testing.T) {
	fac := room.Participant{ID: room.ParticipantID{1}, Role: room.RoleFacilitator, Status: room.StatusAdmitted}
	co := room.Participant{ID: room.ParticipantID{2}, Role: room.RoleCoFacilitator, Status: room.StatusAdmitted}
	member := room.Participant{ID: room.ParticipantID{3}, Role: room.RoleMember, Status: room.StatusAdmitted}
	waiting := room.Participant{ID: room.ParticipantID{4}, Role: room.RoleMember, Status: room.StatusWaiting}
	admitted := waiting
	admitted.Status = room.StatusAdmitted
	ev := func(kind room.EventKind, p room.Participant) room.Event {
		return room.Event{Kind: kind, Participant: p}
	}
	tests := []struct {
		name   string
		ev     room.Event
		viewer room.Participant
		want   bool
	}{
		{"a waiting person's update, to a facilitator", ev(room.EventUpdated, waiting), fac, true},
		{"a waiting person's join, to a co-facilitator", ev(room.EventJoined, waiting), co, true},
		{"a waiting person leaving", ev(room.EventLeft, waiting), fac, true},
		{"a waiting person denied", ev(room.EventDenied, waiting), fac, true},
		{"a waiting person removed (a facilitator's act, sent at once)", ev(room.EventRemoved, waiting), fac, false},
		{"an admission", ev(room.EventUpdated, admitted), fac, false},
		{"an admitted member's update", ev(room.EventUpdated, member), fac, false},
		{"to a member", ev(room.EventUpdated, waiting), member, false},
		{"about the viewer themselves", ev(room.EventUpdated, waiting), waiting, false},
		{"the room", room.Event{Kind: room.EventRoom}, fac, false},
	}
	for _, tt := range tests {
		if got := holds(tt.ev, tt.viewer); got != tt.want {
			t.Errorf("%s: holds = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// The batch sends a lone event at once, holds what follows within the
// interval (the latest per person), and gives it back in sequence order.
func TestWaitingBatch(t *testing.T) {
	const iv = 250 * time.Millisecond
	b := newWaitingBatch(iv)
	t0 := time.Unix(1000, 0)
	a, c := room.ParticipantID{1}, room.ParticipantID{2}
	ev := func(seq uint64, id room.ParticipantID, kind room.EventKind) room.Event {
		return room.Event{Seq: seq, Kind: kind, Participant: room.Participant{ID: id, Status: room.StatusWaiting}}
	}
	if now, _ := b.add(ev(1, a, room.EventJoined), t0); !now {
		t.Fatal("the first event is held; want it sent at once")
	}
	steps := []struct {
		ev   room.Event
		at   time.Duration
		wait time.Duration
	}{
		{ev(2, a, room.EventUpdated), 10 * time.Millisecond, 240 * time.Millisecond},
		{ev(3, c, room.EventJoined), 20 * time.Millisecond, 230 * time.Millisecond},
		{ev(4, a, room.EventUpdated), 30 * time.Millisecond, 220 * time.Millisecond},
		{ev(5, c, room.EventLeft), 300 * time.Millisecond, 0},
	}
	for _, s := range steps {
		now, wait := b.add(s.ev, t0.Add(s.at))
		if now || wait != s.wait {
			t.Errorf("seq %d at %v: sendNow %v, wait %v; want held, due in %v", s.ev.Seq, s.at, now, wait, s.wait)
		}
	}
	got := b.take(t0.Add(300 * time.Millisecond))
	if len(got) != 2 || got[0].Seq != 4 || got[1].Seq != 5 || got[1].Kind != room.EventLeft {
		t.Fatalf("take = %+v, want seq 4 (a's latest update) then 5 (c left)", got)
	}
	if b.merged != 2 {
		t.Errorf("merged = %d, want 2", b.merged)
	}
	if b.take(t0.Add(time.Second)) != nil {
		t.Error("take after take returns events")
	}
	// Right after a send, the next event waits for the interval.
	if now, wait := b.add(ev(6, a, room.EventUpdated), t0.Add(400*time.Millisecond)); now || wait != 150*time.Millisecond {
		t.Errorf("100 ms after a send: sendNow %v, wait %v; want held for 150ms", now, wait)
	}
	b.drop()
	if b.merged != 3 || b.take(t0.Add(time.Second)) != nil {
		t.Errorf("after drop: merged %d, want 3, and nothing held", b.merged)
	}
}
