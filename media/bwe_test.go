package media

import "testing"

// A video paused in the middle of a frame (its layer stopped at once for
// a congested link) can still carry a probe's padding: with every video
// of a subscriber paused, padding is all that can show the link carries
// more again. A video being sent pads only between frames.
func TestPausedMidFrameStillPads(t *testing.T) {
	_, fs, downs, sinks := newSimulcastTrack(1)
	d := downs[0]
	d.setTarget(0)
	fs[0].forward(vp8Packet(t, 0, 1, 3000, true, false)) // a frame begins
	if d.pad() {
		t.Fatal("padding sent in the middle of a frame being sent")
	}
	d.setTarget(noLayer) // paused
	fs[0].forward(vp8Packet(t, 0, 2, 3000, false, true))
	if d.currentLayer() != noLayer {
		t.Fatalf("layer %d sent after the pause, want none", d.currentLayer())
	}
	before := sinks[0].n
	if !d.pad() || sinks[0].n != before+1 {
		t.Fatal("a video paused mid-frame sends no padding")
	}
	if !sinks[0].last.Padding {
		t.Error("the probe's packet is not padding")
	}
}
