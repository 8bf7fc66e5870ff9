package room_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
)

// TestAttendance: the time someone was first let in is kept with the
// meeting (through the waiting room too); a proof is refused where the
// room does not give them and to someone still waiting.
func TestAttendance(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	svc := room.NewService(memory.New(), clk.Now)
	settings := room.DefaultSettings()
	settings.AttendanceProof, settings.PublicLabel = true, "Evening meeting"
	c, err := svc.Create(ctx, "Tuesday group", settings)
	if err != nil {
		t.Fatal(err)
	}
	fran, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	if err != nil {
		t.Fatal(err)
	}
	clk.advance(time.Minute)
	mia, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Mia"})
	if err != nil {
		t.Fatal(err)
	}
	attendance := func(j room.Joined) (room.Attendance, error) {
		st, err := svc.Snapshot(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st.Attendance(selfActor(j))
	}
	if _, err := attendance(mia); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("Mia, waiting, asks for a proof: %v, want ErrNotAllowed", err)
	}
	clk.advance(2 * time.Minute)
	admittedAt := clk.Now().UnixMilli()
	if _, err := svc.Apply(ctx, c.ID, modCmd(selfActor(fran), room.ModCommand{Action: room.ActAdmit, Target: mia.Self.ID})); err != nil {
		t.Fatal(err)
	}
	clk.advance(10 * time.Minute)
	// Sent back to the waiting room and let in again: the first admission counts.
	for _, a := range []room.Action{room.ActMoveToWaiting, room.ActAdmit} {
		if _, err := svc.Apply(ctx, c.ID, modCmd(selfActor(fran), room.ModCommand{Action: a, Target: mia.Self.ID})); err != nil {
			t.Fatal(err)
		}
	}
	got, err := attendance(mia)
	if err != nil || got.AdmittedAt != admittedAt || got.Label != "Evening meeting" || got.Confirmed {
		t.Errorf("Mia's attendance = %+v %v, want admitted at %d", got, err, admittedAt)
	}
	if got, _ := attendance(fran); got.AdmittedAt != t0 {
		t.Errorf("Fran, let in at once, admitted at %d, want %d", got.AdmittedAt, t0)
	}
	off := false
	if _, err := svc.Apply(ctx, c.ID, modCmd(selfActor(fran), room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{AttendanceProof: &off}})); err != nil {
		t.Fatal(err)
	}
	if _, err := attendance(mia); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("proofs turned off: %v, want ErrNotAllowed", err)
	}
}
