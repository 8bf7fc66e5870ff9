package roomtest

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/attest"
)

// RunDirectory runs the room.Directory contract against a backend.
// newDir is called once per subtest and returns a constructor of
// "instances": Directories sharing one backing store (a file opened again,
// the same Redis), as a server restarted or a second instance sees it.
func RunDirectory(t *testing.T, newDir func(t *testing.T) func() room.Directory) {
	t.Run("CreateGetListDelete", func(t *testing.T) { directoryCRUD(t, newDir(t)) })
	t.Run("Update", func(t *testing.T) { directoryUpdate(t, newDir(t)) })
	t.Run("LinkSecretShared", func(t *testing.T) { directorySecret(t, newDir(t)) })
	t.Run("ProofKeysLast", func(t *testing.T) { directoryProofKeys(t, newDir(t)) })
}

func sampleDefinition(secret []byte, name string) *room.Definition {
	d := room.NewDefinition(secret, name, room.DefaultSettings(), time.Date(2026, 11, 3, 19, 0, 0, 0, time.UTC))
	d.Schedule = &room.Schedule{Days: []string{"tuesday"}, Time: "19:00", DurationMinutes: 90, TimeZone: "Europe/Berlin"}
	return d
}

func directoryCRUD(t *testing.T, instance func() room.Directory) {
	ctx := context.Background()
	a := instance()
	secret, err := a.LinkSecret(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d := sampleDefinition(secret, "Tuesday group")
	if err := a.Create(ctx, d); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := a.Create(ctx, d); !errors.Is(err, room.ErrExists) {
		t.Errorf("Create again: %v, want ErrExists", err)
	}
	b := instance()
	got, err := b.Get(ctx, d.ID)
	if err != nil {
		t.Fatalf("Get from another instance: %v", err)
	}
	if got.Name != d.Name || got.Links != d.Links || !got.CreatedAt.Equal(d.CreatedAt) ||
		got.Schedule == nil || got.Schedule.Days[0] != "tuesday" || got.Settings != d.Settings {
		t.Errorf("Get: %+v, want %+v", got, d)
	}
	e := sampleDefinition(secret, "Saturday group")
	if err := b.Create(ctx, e); err != nil {
		t.Fatal(err)
	}
	all, err := a.List(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("List: %d rooms, %v; want 2", len(all), err)
	}
	if err := a.Delete(ctx, d.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := b.Get(ctx, d.ID); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := b.Delete(ctx, d.ID); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Delete again: %v, want ErrNotFound", err)
	}
	if _, err := b.Update(ctx, d.ID, func(*room.Definition) error { return nil }); !errors.Is(err, room.ErrNotFound) {
		t.Errorf("Update of a deleted room: %v, want ErrNotFound", err)
	}
	if all, _ := b.List(ctx); len(all) != 1 || all[0].ID != e.ID {
		t.Errorf("List after Delete: %v", all)
	}
}

func directoryUpdate(t *testing.T, instance func() room.Directory) {
	ctx := context.Background()
	a, b := instance(), instance()
	secret, _ := a.LinkSecret(ctx)
	d := sampleDefinition(secret, "Tuesday group")
	if err := a.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	got, err := b.Update(ctx, d.ID, func(d *room.Definition) error {
		d.Name = "Tuesday evening group"
		d.Invites = map[string]room.Invite{"h": {UsesLeft: 2, ExpiresAt: d.CreatedAt.Add(time.Hour)}}
		return nil
	})
	if err != nil || got.Name != "Tuesday evening group" {
		t.Fatalf("Update: %+v, %v", got, err)
	}
	refused := errors.New("no")
	if _, err := a.Update(ctx, d.ID, func(d *room.Definition) error { d.Name = "lost"; return refused }); !errors.Is(err, refused) {
		t.Errorf("Update whose fn fails: %v", err)
	}
	again, err := a.Get(ctx, d.ID)
	if err != nil || again.Name != "Tuesday evening group" || again.Invites["h"].UsesLeft != 2 {
		t.Errorf("after updates: %+v, %v", again, err)
	}
	// Concurrent updates from two instances: none is lost.
	const n = 20
	errs := make(chan error, 2*n)
	for range n {
		for _, dir := range []room.Directory{a, b} {
			go func() {
				_, err := dir.Update(ctx, d.ID, func(d *room.Definition) error {
					inv := d.Invites["h"]
					inv.UsesLeft++
					d.Invites["h"] = inv
					return nil
				})
				errs <- err
			}()
		}
	}
	for range 2 * n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got, _ := b.Get(ctx, d.ID); got.Invites["h"].UsesLeft != 2+2*n {
		t.Errorf("after %d concurrent updates: %d uses, want %d", 2*n, got.Invites["h"].UsesLeft, 2+2*n)
	}
}

func directorySecret(t *testing.T, instance func() room.Directory) {
	ctx := context.Background()
	a, err := instance().LinkSecret(ctx)
	if err != nil || len(a) < 16 {
		t.Fatalf("LinkSecret: %d bytes, %v", len(a), err)
	}
	b, err := instance().LinkSecret(ctx)
	if err != nil || !bytes.Equal(a, b) {
		t.Errorf("another instance's link secret differs (%v)", err)
	}
}

// directoryProofKeys: the signing keys of attendance proofs are made once
// (also when two instances ask at once), read back by another instance
// (a restart), and a rotation keeps the old key: a proof signed before
// checks after.
func directoryProofKeys(t *testing.T, instance func() room.Directory) {
	ctx := context.Background()
	now := time.Now()
	a, b := instance(), instance()
	rings := make(chan *attest.Keyring, 2)
	for _, d := range []room.Directory{a, b} {
		go func() {
			k, err := attest.Load(ctx, d, now)
			if err != nil {
				t.Error(err)
			}
			rings <- k
		}()
	}
	k1, k2 := <-rings, <-rings
	if k1 == nil || k2 == nil || len(k1.Keys) != 1 || k1.Keys[0].ID() != k2.Keys[0].ID() {
		t.Fatal("two instances loading at once did not get the same single key")
	}
	st, err := attest.NewStatement("Tuesday group", "Canary", now.Add(-time.Hour), now, false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := k1.Issue(st)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := attest.RotateStored(ctx, a, now); err != nil {
		t.Fatal(err)
	}
	later, err := attest.Load(ctx, instance(), now)
	if err != nil || len(later.Keys) != 2 {
		t.Fatalf("after a rotation another instance loads %v keys, %v", later, err)
	}
	if _, err := later.Verify(p.Token); err != nil {
		t.Errorf("a proof of the first key after rotation: %v", err)
	}
}

// RoomLasts is the test of a room that lasts (issue 10): a room made a
// simulated 8 days ago, whose meeting ended and whose meeting state the
// store forgot (forget: the backend's TTL, or a restart), still opens
// through its member link, with the settings the operator gave it: a
// facilitator's change in the last meeting lasted for that meeting only.
func RoomLasts(t *testing.T, store room.Store, dir room.Directory, forget func(room.RoomID)) {
	t.Helper()
	ctx := context.Background()
	clock := NewClock(time.Date(2026, 11, 24, 19, 0, 0, 0, time.UTC))
	svc := room.NewServiceWith(room.ServiceParams{Store: store, Directory: dir, Now: clock.Now, AfterFunc: clock.AfterFunc})
	d, err := svc.CreateRoom(ctx, room.RoomSpec{Name: "Tuesday group", Settings: room.DemoSettings()})
	if err != nil {
		t.Fatal(err)
	}
	member, facilitator, err := svc.LinkKeys(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	f, err := svc.Join(ctx, d.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: facilitator})
	if err != nil {
		t.Fatalf("the facilitator's join: %v", err)
	}
	yes := true
	if _, err := svc.Apply(ctx, d.ID, func(st *room.State, now int64) ([]room.Event, error) {
		return st.Moderate(room.Actor{ID: f.Self.ID, Conn: f.Self.Conn},
			room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{MuteOnEntry: &yes}}, now)
	}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Leave(ctx, d.ID, room.Actor{ID: f.Self.ID, Conn: f.Self.Conn}, true); err != nil {
		t.Fatal(err)
	}
	clock.Advance(8 * 24 * time.Hour)
	forget(d.ID)

	if _, err := svc.Join(ctx, d.ID, room.JoinRequest{Name: "Sam", MemberKey: "not the key"}); !errors.Is(err, room.ErrBadLink) {
		t.Errorf("a join with a wrong member key: %v, want ErrBadLink", err)
	}
	j, err := svc.Join(ctx, d.ID, room.JoinRequest{Name: "Sam", MemberKey: member})
	if err != nil {
		t.Fatalf("a join through the member link 8 days later: %v", err)
	}
	if j.Snapshot.Name != "Tuesday group" || j.Snapshot.Settings.MuteOnEntry || j.Self.Muted {
		t.Errorf("the new meeting: name %q, mute on entry %v, muted %v; want the room's own settings",
			j.Snapshot.Name, j.Snapshot.Settings.MuteOnEntry, j.Self.Muted)
	}
	if len(j.Snapshot.Participants) != 1 {
		t.Errorf("the new meeting holds %d participants, want only the newcomer", len(j.Snapshot.Participants))
	}
	got, err := svc.Room(ctx, d.ID)
	if err != nil || clock.Now().Sub(got.CreatedAt) < 8*24*time.Hour {
		t.Errorf("the room: %+v, %v; want it made 8 days ago", got, err)
	}
}
