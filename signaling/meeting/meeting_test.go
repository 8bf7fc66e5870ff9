package meeting_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling/meeting"
)

func TestGateFollowsParticipantState(t *testing.T) {
	in := room.Participant{Present: true, Status: room.StatusAdmitted, Camera: true}
	muted, camOff, blocked, waiting, gone := in, in, in, in, in
	muted.Muted, muted.MutedBy = true, room.MutedByFacilitator
	camOff.Camera = false
	blocked.CameraBlocked = true
	waiting.Status = room.StatusWaiting
	gone.Present = false
	for _, tc := range []struct {
		name         string
		p            room.Participant
		audio, video bool
	}{
		{"speaking with camera", in, true, true},
		{"muted", muted, false, true},
		{"camera off", camOff, true, false},
		{"suspended", blocked, true, false},
		{"waiting", waiting, false, false},
		{"gone", gone, false, false},
	} {
		if got := meeting.Open(webrtc.RTPCodecTypeAudio, tc.p); got != tc.audio {
			t.Errorf("%s: audio gate open = %v, want %v", tc.name, got, tc.audio)
		}
		if got := meeting.Open(webrtc.RTPCodecTypeVideo, tc.p); got != tc.video {
			t.Errorf("%s: video gate open = %v, want %v", tc.name, got, tc.video)
		}
	}
}

// fakeCluster records what meetings ask of the cluster.
type fakeCluster struct {
	mu      sync.Mutex
	hosting map[room.RoomID]int
	relays  [][]string
}

func (c *fakeCluster) Instance() string { return "here" }

func (c *fakeCluster) Hosting(id room.RoomID, on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if on {
		c.hosting[id]++
	} else {
		c.hosting[id]--
	}
}

func (c *fakeCluster) Relay(_ *meeting.Meeting, from []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.relays = append(c.relays, slices.Clone(from))
}

func (c *fakeCluster) state() (hosting int, relays [][]string, id room.RoomID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, n := range c.hosting {
		id, hosting = k, n
	}
	return hosting, slices.Clone(c.relays), id
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for start := time.Now(); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Since(start) > 5*time.Second {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// The relays a meeting asks for follow the room's events: none while
// nobody is connected here, the other instance once someone there joins,
// none again when they leave; the room is hosted here while the meeting
// runs. Events reach the seats in order.
func TestRelaysFollowEvents(t *testing.T) {
	ctx := context.Background()
	rooms := room.NewService(memory.New(), nil)
	created, err := rooms.Create(ctx, "Group", room.DemoSettings())
	if err != nil {
		t.Fatal(err)
	}
	fc := &fakeCluster{hosting: map[room.RoomID]int{}}
	ms := meeting.New(meeting.Params{Rooms: rooms, Log: zap.NewNop(), Cluster: fc})

	var mu sync.Mutex
	var seen []uint64
	seat := ms.Enter(created.ID, func(ev room.Event) {
		mu.Lock()
		seen = append(seen, ev.Seq)
		mu.Unlock()
	})
	local, err := rooms.Join(ctx, created.ID, room.JoinRequest{Name: "Local", Instance: "here"})
	if err != nil {
		t.Fatal(err)
	}
	seat.Joined(local.Self, local.Snapshot.Seq)
	waitUntil(t, "the room hosted here", func() bool { h, _, id := fc.state(); return h == 1 && id == created.ID })

	remote, err := rooms.Join(ctx, created.ID, room.JoinRequest{Name: "Remote", Instance: "there"})
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "a relay from the other instance", func() bool {
		_, r, _ := fc.state()
		return len(r) > 0 && slices.Equal(r[len(r)-1], []string{"there"})
	})
	if err := rooms.Leave(ctx, created.ID, room.Actor{ID: remote.Self.ID, Conn: remote.Self.Conn}, true); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the relay closed after the remote participant left", func() bool {
		_, r, _ := fc.state()
		return len(r) > 1 && len(r[len(r)-1]) == 0
	})
	if rooms, participants := ms.Counts(); rooms != 1 || participants != 1 {
		t.Errorf("Counts() = %d rooms, %d participants; want 1, 1", rooms, participants)
	}

	seat.Leave(nil, false)
	waitUntil(t, "the room no longer hosted here", func() bool { h, _, _ := fc.state(); return h == 0 })
	if rooms, participants := ms.Counts(); rooms != 0 || participants != 0 {
		t.Errorf("after the last seat left, Counts() = %d rooms, %d participants; want 0, 0", rooms, participants)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.IsSorted(seen) || len(seen) < 3 {
		t.Errorf("the seat got events %v, want at least the three joins and leave in order", seen)
	}
}
