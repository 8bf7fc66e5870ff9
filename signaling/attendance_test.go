package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
	"github.com/hearth-meet/hearth/signaling/verify"
)

// TestAttendanceProofOverTheWire: a member gets a signed proof only where
// the room gives them; it verifies; a facilitator's confirmation reaches
// the member (and no other member) and the next proof says so; bad input
// gets a clear error and the session goes on.
func TestAttendanceProofOverTheWire(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dir := memory.NewDirectory()
	rooms := room.NewServiceWith(room.ServiceParams{Store: memory.New(), Directory: dir})
	proofs, err := verify.New(ctx, verify.Params{Keys: dir, BaseURL: "http://127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	s := signalingtest.StartWithParams(t, rooms, signaling.Params{Proofs: proofs})
	srv := &testServer{Server: s, url: s.WSURL}

	fac := dial(t, ctx, srv)
	fj := srv.join("Facil")
	fj.FacilitatorKey = srv.Room.FacilitatorKey
	if _, err := fac.Join(ctx, fj); err != nil {
		t.Fatal(err)
	}
	member := dial(t, ctx, srv)
	mw, err := member.Join(ctx, srv.join("Mia"))
	if err != nil {
		t.Fatal(err)
	}
	other := dial(t, ctx, srv)
	if _, err := other.Join(ctx, srv.join("Bob")); err != nil {
		t.Fatal(err)
	}

	ask := func(c *client.Conn, name string) {
		t.Helper()
		if err := c.Send(ctx, protocol.AttendanceRequest{Type: protocol.TypeAttendanceProof, Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	ask(member, "")
	expectError(t, ctx, member, protocol.CodeNotAllowed) // the room gives none
	if _, err := rooms.Apply(ctx, srv.Room.ID, func(st *room.State, _ int64) ([]room.Event, error) {
		st.Settings.AttendanceProof, st.Settings.PublicLabel = true, "Evening meeting"
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	ask(member, "Mia\u202eR")
	expectError(t, ctx, member, protocol.CodeBadRequest)
	if err := member.Send(ctx, map[string]any{"type": protocol.TypeAttendanceProof, "name": 5}); err != nil {
		t.Fatal(err)
	}
	expectError(t, ctx, member, protocol.CodeBadRequest)

	proof := func() protocol.AttendanceProof {
		t.Helper()
		ask(member, "  Mia  R. ")
		var p protocol.AttendanceProof
		if err := nextOfType(t, ctx, member, protocol.TypeAttendanceProof).Decode(&p); err != nil {
			t.Fatal(err)
		}
		st, err := proofs.Check(ctx, p.Token)
		if err != nil {
			t.Fatalf("the proof does not verify: %v", err)
		}
		if st.Label != p.Label || st.Name != p.Name || st.Minutes != p.Minutes || st.Confirmed != p.Confirmed {
			t.Errorf("the message %+v says other than the proof %+v", p, st)
		}
		return p
	}
	p := proof()
	if p.Label != "Evening meeting" || p.Name != "Mia R." || p.Confirmed || p.Zone != "UTC" || p.Code == "" ||
		p.VerifyURL != "http://127.0.0.1/verify" || p.Minutes != 0 || p.Date != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("proof %+v", p)
	}

	// Confirmations: by a member refused; malformed refused; by the
	// facilitator seen by Mia, not by Bob.
	if err := other.Send(ctx, protocol.ConfirmAttendance{Type: protocol.TypeConfirmAttendance, Participant: mw.Self.ID}); err != nil {
		t.Fatal(err)
	}
	expectError(t, ctx, other, protocol.CodeNotAllowed)
	if err := fac.Send(ctx, protocol.ConfirmAttendance{Type: protocol.TypeConfirmAttendance, Participant: "nobody"}); err != nil {
		t.Fatal(err)
	}
	expectError(t, ctx, fac, protocol.CodeBadRequest)
	if err := fac.Send(ctx, protocol.ConfirmAttendance{Type: protocol.TypeConfirmAttendance, Participant: mw.Self.ID}); err != nil {
		t.Fatal(err)
	}
	for {
		var ev protocol.Event
		if err := nextOfType(t, ctx, member, protocol.TypeEvent).Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == "attendance_confirmed" {
			if ev.ParticipantID != mw.Self.ID || ev.Participant != nil {
				t.Errorf("confirmation event %+v", ev)
			}
			break
		}
	}
	// Bob: the chat sent after the confirmation comes with nothing about it before.
	if err := fac.Send(ctx, protocol.Chat{Type: protocol.TypeChat, Text: "after"}); err != nil {
		t.Fatal(err)
	}
	for {
		var ev protocol.Event
		if err := nextOfType(t, ctx, other, protocol.TypeEvent).Decode(&ev); err != nil {
			t.Fatal(err)
		}
		if ev.Kind == "attendance_confirmed" {
			t.Fatalf("Bob sees Mia's attendance confirmed: %+v", ev)
		}
		if ev.Kind == "chat" {
			break
		}
	}
	if p := proof(); !p.Confirmed {
		t.Errorf("the proof after the confirmation: %+v", p)
	}
}

// TestNoProofsWithoutService: a server not given a verify.Service says so.
func TestNoProofsWithoutService(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	srv := newTestServer(t)
	c := dial(t, ctx, srv)
	if _, err := c.Join(ctx, srv.join("Mia")); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, protocol.AttendanceRequest{Type: protocol.TypeAttendanceProof}); err != nil {
		t.Fatal(err)
	}
	expectError(t, ctx, c, protocol.CodeNotAllowed)
}
