package roomtest

import (
	"context"
	"fmt"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// BenchUpdate measures Update on s with a load like raising hands: a room
// with ten participants present, each operation toggling one participant's
// camera (one event, the whole state rewritten). Run it from a Benchmark
// function of a backend.
func BenchUpdate(b *testing.B, s room.Store) {
	ctx := context.Background()
	st := NewRoom(b, s, "Benchmark group")
	ids := make([]room.ParticipantID, 10)
	for i := range ids {
		evs := mustUpdate(b, s, st.ID, JoinFn(fmt.Sprintf("Person%d", i)))
		ids[i] = evs[0].Participant.ID
	}
	// A subscriber, as in a meeting: a backend may have work per event.
	defer s.Subscribe(st.ID, func(room.Event) {})()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		fn := CameraFn(ids[i%len(ids)], (i/len(ids))%2 == 1)
		i++
		if _, err := s.Update(ctx, st.ID, fn); err != nil {
			b.Fatalf("Update: %v", err)
		}
	}
}

// BenchOps measures the room commands a meeting issues most, through
// room.Service on store s: a join (into rooms of up to 20 people), a hand
// raised or lowered, and a participant muting or unmuting themselves (in
// a room of 10, with one subscriber as in a meeting).
func BenchOps(b *testing.B, s room.Store) {
	ctx := context.Background()
	svc := room.NewService(s, nil)
	b.Run("join", func(b *testing.B) {
		b.ReportAllocs()
		var id room.RoomID
		i := 0
		for b.Loop() {
			if i%20 == 0 {
				b.StopTimer()
				c, err := svc.Create(ctx, "Benchmark group", room.DemoSettings())
				if err != nil {
					b.Fatal(err)
				}
				id = c.ID
				b.StartTimer()
			}
			i++
			if _, err := svc.Join(ctx, id, room.JoinRequest{Name: "Person"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	c, err := svc.Create(ctx, "Benchmark group", room.DemoSettings())
	if err != nil {
		b.Fatal(err)
	}
	actors := make([]room.Actor, 10)
	for i := range actors {
		j, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: fmt.Sprintf("Person%d", i)})
		if err != nil {
			b.Fatal(err)
		}
		actors[i] = room.Actor{ID: j.Self.ID, Conn: j.Self.Conn}
	}
	defer s.Subscribe(c.ID, func(room.Event) {})()
	b.Run("raise_hand", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			a, raise := actors[i%len(actors)], (i/len(actors))%2 == 0
			i++
			_, err := svc.Apply(ctx, c.ID, func(st *room.State, _ int64) ([]room.Event, error) {
				if raise {
					return st.RaiseHand(a)
				}
				return st.LowerHand(a)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("mute", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			a, muted := actors[i%len(actors)], (i/len(actors))%2 == 0
			i++
			_, err := svc.Apply(ctx, c.ID, func(st *room.State, _ int64) ([]room.Event, error) {
				return st.SetSelf(a, room.SelfUpdate{Muted: &muted})
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
