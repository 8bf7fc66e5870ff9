package clustertest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// speakerSets returns the speakers messages a bot received, in order,
// for each whether it came after an event saying id was muted, and
// whether such an event came.
func speakerSets(t *testing.T, b *signalingtest.Bot, id string) (sets [][]string, afterMute []bool, muted bool) {
	t.Helper()
	for _, m := range b.Messages() {
		switch m.Type {
		case protocol.TypeSpeakers:
			var s protocol.Speakers
			if err := m.Decode(&s); err != nil {
				t.Fatal(err)
			}
			sets, afterMute = append(sets, s.Talking), append(afterMute, muted)
		case protocol.TypeEvent:
			var ev protocol.Event
			if m.Decode(&ev) == nil && ev.Participant != nil && ev.Participant.ID == id && ev.Participant.Muted {
				muted = true
			}
		}
	}
	return sets, afterMute, muted
}

// Two instances share a room through Redis. A talker on instance 2 is
// heard on instance 1 only through the relay, which carries each audio
// packet's level: instance 1's meeting reports them talking to its
// participants, like instance 2's to its own. Muted by the facilitator
// on instance 1 (their client keeps sending loud audio), they leave the
// set on both, and no speakers message after the mute names them.
func TestMultiInstanceSpeakers(t *testing.T) {
	ins := proctest.Cluster(t, 2)
	in1, in2 := ins[0], ins[1]
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	created, key := proctest.CreateRoom(t, in1, "Shared group")
	fac := signalingtest.NewBot(t, ctx, in1.WS(), protocol.Join{Room: created.ID, Name: "Facil", FacilitatorKey: key})
	no := false
	if err := fac.P.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "settings",
		Settings: &protocol.Settings{WaitingRoom: &no, MuteOnEntry: &no}}); err != nil {
		t.Fatal(err)
	}
	awaitSeen(t, fac, "the settings taken", roomEvent(func(r *protocol.RoomInfo) bool { return !r.WaitingRoom && !r.MuteOnEntry }))
	talker := signalingtest.NewBot(t, ctx, in2.WS(), proctest.MemberJoin(created.MemberLink, "Talker"))
	near := signalingtest.NewBot(t, ctx, in2.WS(), proctest.MemberJoin(created.MemberLink, "Near"))
	sendCtx, stop := context.WithCancel(ctx)
	defer stop()
	talker.SetLevel(127) // silence first: the background
	go talker.Send(sendCtx)
	signalingtest.WaitFor(t, 20*time.Second, "the talker's audio on instance 1", func() bool { return fac.Packets(talker.ID(), "audio") > 0 })
	time.Sleep(500 * time.Millisecond)
	talker.SetLevel(20)

	want := []string{talker.ID()}
	for _, b := range []*signalingtest.Bot{fac, near} {
		signalingtest.WaitFor(t, 10*time.Second, "the talker reported talking", func() bool {
			sets, _, _ := speakerSets(t, b, talker.ID())
			return len(sets) > 0 && slices.Equal(sets[len(sets)-1], want)
		})
	}
	if err := fac.P.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActMute), Target: talker.ID()}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []*signalingtest.Bot{fac, near} {
		signalingtest.WaitFor(t, 10*time.Second, "the muted talker taken out", func() bool {
			sets, _, muted := speakerSets(t, b, talker.ID())
			return muted && len(sets) > 0 && len(sets[len(sets)-1]) == 0
		})
	}
	time.Sleep(1500 * time.Millisecond) // the talker's client still sends loud audio
	for i, b := range []*signalingtest.Bot{fac, near} {
		sets, after, _ := speakerSets(t, b, talker.ID())
		for j, set := range sets {
			if after[j] && slices.Contains(set, talker.ID()) {
				t.Errorf("participant %d (instance %d) was told the talker talks after the mute: %v", i, i+1, sets)
			}
		}
		if len(sets[len(sets)-1]) != 0 {
			t.Errorf("participant %d (instance %d): last set %v, want nobody", i, i+1, sets[len(sets)-1])
		}
	}
}
