package boltdir_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/boltdir"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/roomtest"
)

func open(t *testing.T, dir string) *boltdir.Directory {
	t.Helper()
	d, err := boltdir.Open(dir, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// TestDirectoryContract runs the room.Directory contract; bbolt lets one
// process open the file once, so every "instance" is the same Directory
// (TestRestart opens it again).
func TestDirectoryContract(t *testing.T) {
	roomtest.RunDirectory(t, func(t *testing.T) func() room.Directory {
		d := open(t, t.TempDir())
		return func() room.Directory { return d }
	})
}

// Rooms and the link secret survive closing and opening the data
// directory again (a restart); the files are the owner's only.
func TestRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hearth-data") // created by Open
	d, err := boltdir.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	secret, _ := d.LinkSecret(ctx)
	def := room.NewDefinition(secret, "Tuesday group", room.DefaultSettings(), time.Now())
	if err := d.Create(ctx, def); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	again := open(t, path)
	got, err := again.Get(ctx, def.ID)
	if err != nil || got.Name != "Tuesday group" || got.Links != def.Links {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}
	if s, _ := again.LinkSecret(ctx); string(s) != string(secret) {
		t.Error("the link secret changed across a restart")
	}
	for _, f := range []string{boltdir.DBFile, boltdir.SecretFile} {
		fi, err := os.Stat(filepath.Join(path, f))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, %v; want 0600", f, fi.Mode().Perm(), err)
		}
	}
}

// A second opener of a data directory in use waits, then fails with
// ErrInUse (the CLI then says to use --server).
func TestInUse(t *testing.T) {
	path := t.TempDir()
	open(t, path)
	if _, err := boltdir.Open(path, 300*time.Millisecond); !errors.Is(err, boltdir.ErrInUse) {
		t.Fatalf("second Open: %v, want ErrInUse", err)
	}
}

// A room made 8 simulated days ago still opens (see roomtest.RoomLasts);
// the meeting's state is forgotten as by a restart.
func TestRoomLasts(t *testing.T) {
	store := memory.New()
	roomtest.RoomLasts(t, store, open(t, t.TempDir()), func(id room.RoomID) {
		_ = store.Delete(context.Background(), id)
	})
}
