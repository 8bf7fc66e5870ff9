package memory_test

import (
	"testing"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/roomtest"
)

// TestDirectoryContract runs the room.Directory contract; one process has
// one Directory, so every "instance" is the same.
func TestDirectoryContract(t *testing.T) {
	roomtest.RunDirectory(t, func(*testing.T) func() room.Directory {
		d := memory.NewDirectory()
		return func() room.Directory { return d }
	})
}

// A room made 8 simulated days ago still opens (see roomtest.RoomLasts).
func TestRoomLasts(t *testing.T) {
	roomtest.RoomLasts(t, memory.New(), memory.NewDirectory(), func(room.RoomID) {})
}
