package memory_test

import (
	"testing"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/roomtest"
)

// TestContract runs the room.Store contract. One process has one store, so
// every "instance" of a backend is the same store.
func TestContract(t *testing.T) {
	roomtest.Run(t, func(*testing.T) func() room.Store {
		s := memory.New()
		return func() room.Store { return s }
	})
}
