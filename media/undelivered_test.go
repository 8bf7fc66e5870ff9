package media

import "testing"

// A packet copy that cannot be written to a subscriber (its connection
// not negotiated yet) is counted as undelivered, not as forwarded.
func TestForwarderCountsUndelivered(t *testing.T) {
	f, sinks := newTestForwarder(3)
	downs := *f.t.downs.Load()
	downs[1].bound.Store(nil) // not bound yet
	for seq := range uint16(5) {
		f.forward(marshal(t, seq))
	}
	st := &f.t.sfu.stats
	if got, want := st.PacketsForwarded.Load(), uint64(10); got != want {
		t.Errorf("PacketsForwarded = %d, want %d", got, want)
	}
	if got, want := st.PacketsUndelivered.Load(), uint64(5); got != want {
		t.Errorf("PacketsUndelivered = %d, want %d", got, want)
	}
	if sinks[1].n != 0 {
		t.Errorf("the unbound subscriber got %d packets", sinks[1].n)
	}
}
