package media

import (
	"testing"
	"time"
)

// A client's connection that connects is counted by its remote candidate
// type and transport: on loopback, host over UDP.
func TestICEStatsCountConnections(t *testing.T) {
	sfu, alice, _ := newPublishingPeer(t)
	pc := newTestPublisher(t)
	defer func() { _ = pc.Close() }()
	addOpusTrack(t, pc, "mic")
	negotiate(t, pc, alice)
	counts := func() map[string]uint64 {
		m := map[string]uint64{}
		sfu.Stats().ICE.Connected(func(typ, transport string, n uint64) { m[typ+"/"+transport] = n })
		return m
	}
	deadline := time.Now().Add(10 * time.Second)
	for counts()["host/udp"] < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no host/udp connection counted in 10 s: %v", counts())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := counts(); len(c) != 8 || c["relay/udp"]+c["srflx/udp"]+c["prflx/udp"]+c["host/tcp"] != 0 {
		t.Errorf("counts %v, want only host/udp", c)
	}
	if f := sfu.Stats().ICE.Failures.Load(); f != 0 {
		t.Errorf("%d ICE failures counted", f)
	}
}
