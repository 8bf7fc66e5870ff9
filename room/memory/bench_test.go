package memory_test

import (
	"testing"

	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/room/roomtest"
)

func BenchmarkUpdate(b *testing.B) { roomtest.BenchUpdate(b, memory.New()) }
func BenchmarkOps(b *testing.B)    { roomtest.BenchOps(b, memory.New()) }
