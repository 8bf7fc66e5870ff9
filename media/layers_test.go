package media

import (
	"fmt"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// newSimulcastTrack builds a VP8 track with three layers and n bound
// subscribers, without network, and one forwarder per layer.
func newSimulcastTrack(n int) (*Track, [MaxLayers]*forwarder, []*downTrack, []*sink) {
	t := &Track{sfu: &SFU{}, kind: webrtc.RTPCodecTypeVideo, codecKind: codecVP8, done: make(chan struct{})}
	t.forwarding.Store(true)
	var fs [MaxLayers]*forwarder
	for i := range fs {
		l := &layer{index: i, ssrc: uint32(10 + i), cache: newPacketCache(), keyframes: newKeyframeGate(time.Hour, nil)}
		l.keyframes.stop() // no publisher to ask
		t.layers[i].Store(l)
		fs[i] = &forwarder{}
		fs[i].init(t, l)
	}
	downs := make([]*downTrack, n)
	sinks := make([]*sink, n)
	for i := range downs {
		sinks[i] = &sink{}
		downs[i] = &downTrack{track: t}
		downs[i].initSelector()
		downs[i].bound.Store(&binding{ssrc: uint32(1000 + i), pt: 96, writer: sinks[i]})
	}
	t.downs.Store(&downs)
	return t, fs, downs, sinks
}

// vp8Packet is a VP8 packet of a layer: each layer numbers its packets
// and stamps its frames from its own random-looking base.
func vp8Packet(t testing.TB, layer int, seq uint16, ts uint32, key, marker bool) []byte {
	payload := make([]byte, 100)
	payload[0] = 0x10 // S=1, PID 0: starts a frame
	payload[1] = 0x01 // P=1: an inter frame
	if key {
		payload[1] = 0x00
		copy(payload[1:], []byte{0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}) // 640x360
	}
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, Marker: marker,
		SequenceNumber: seq + uint16(layer)*20000, Timestamp: ts + uint32(layer)*1e6, SSRC: uint32(10 + layer)}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A subscriber moves from one layer to another only at a keyframe of
// the new one, and sees one stream: sequence numbers follow each other,
// timestamps never go back. A lower layer wanted stops the higher one at
// once.
func TestLayerSwitchIsContinuous(t *testing.T) {
	_, fs, downs, sinks := newSimulcastTrack(2)
	d, s := downs[0], sinks[0]
	var seqs []uint16
	var stamps []uint32
	var layersSent []int
	send := func(layer int, seq uint16, key bool) {
		before := s.n
		fs[layer].forward(vp8Packet(t, layer, seq, uint32(seq)*3000, key, true))
		if s.n > before {
			seqs = append(seqs, s.last.SequenceNumber)
			stamps = append(stamps, s.last.Timestamp)
			layersSent = append(layersSent, layer)
		}
	}
	d.setTarget(0)
	downs[1].setTarget(2)
	for seq := uint16(1); seq <= 4; seq++ {
		for l := range MaxLayers {
			send(l, seq, false)
		}
	}
	d.setTarget(1)
	send(1, 5, false) // not a keyframe: stays on 0
	send(0, 5, false)
	send(1, 6, true) // switch
	send(0, 6, false)
	send(1, 7, false)
	d.setTarget(0) // down: layer 1 stops at once
	send(1, 8, false)
	send(0, 8, false)
	send(0, 9, true)
	send(0, 10, false)
	if got, want := fmt.Sprint(layersSent), "[0 0 0 0 0 1 1 0 0]"; got != want {
		t.Errorf("layers sent %s, want %s", got, want)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("sequence numbers out %v: not consecutive at %d", seqs, i)
			break
		}
		if d := int32(stamps[i] - stamps[i-1]); d <= 0 {
			t.Errorf("timestamps out %v go back at %d", stamps, i)
			break
		}
	}
	if s.last.SSRC != 1000 {
		t.Errorf("SSRC %d, want the subscriber's 1000", s.last.SSRC)
	}
	if n := sinks[1].n; n != 4 {
		t.Errorf("the other subscriber, on layer 2, got %d packets, want the 4 of layer 2", n)
	}
	if got := fs[0].t.sfu.stats.LayerSwitches.Load(); got != 2 {
		t.Errorf("LayerSwitches = %d, want 2", got)
	}
}

// Padding takes its own sequence number between frames; media after it
// follows on.
func TestPaddingKeepsSequence(t *testing.T) {
	_, fs, downs, sinks := newSimulcastTrack(1)
	downs[0].setTarget(0)
	fs[0].forward(vp8Packet(t, 0, 1, 100, true, true))
	first := sinks[0].last.SequenceNumber
	for range 2 {
		if !downs[0].pad() {
			t.Fatal("no padding sent after a frame's end")
		}
	}
	if l := sinks[0].last; !l.Padding || l.SequenceNumber != first+2 || l.PaddingSize != maxPadding {
		t.Errorf("padding packet %+v, want padding with sequence number %d", l, first+2)
	}
	fs[0].forward(vp8Packet(t, 0, 2, 200, false, false))
	if got := sinks[0].last.SequenceNumber; got != first+3 {
		t.Errorf("media after padding has sequence number %d, want %d", got, first+3)
	}
	if downs[0].pad() {
		t.Error("padding sent in the middle of a frame")
	}
}

// A video paused (no layer) sends nothing, and resumes at a keyframe.
func TestPausedVideoSendsNothing(t *testing.T) {
	_, fs, downs, sinks := newSimulcastTrack(1)
	downs[0].setTarget(0)
	fs[0].forward(vp8Packet(t, 0, 1, 100, false, true))
	downs[0].setTarget(noLayer)
	for seq := uint16(2); seq < 10; seq++ {
		fs[0].forward(vp8Packet(t, 0, seq, uint32(seq)*100, seq == 5, true))
	}
	if sinks[0].n != 1 {
		t.Errorf("paused subscriber got %d packets, want only the 1 before the pause", sinks[0].n)
	}
	downs[0].setTarget(0)
	fs[0].forward(vp8Packet(t, 0, 10, 1000, false, true))
	fs[0].forward(vp8Packet(t, 0, 11, 1100, true, true))
	if sinks[0].n != 2 {
		t.Errorf("resumed subscriber got %d packets, want 2 (resuming at the keyframe)", sinks[0].n)
	}
}

func TestKeyframes(t *testing.T) {
	for _, c := range []struct {
		name    string
		codec   codecKind
		payload []byte
		want    bool
	}{
		{"vp8 key", codecVP8, []byte{0x10, 0x00, 0, 0, 0x9d, 0x01, 0x2a}, true},
		{"vp8 inter", codecVP8, []byte{0x10, 0x01}, false},
		{"vp8 not frame start", codecVP8, []byte{0x00, 0x00}, false},
		{"vp8 second partition", codecVP8, []byte{0x11, 0x00}, false},
		{"vp8 key with picture id", codecVP8, []byte{0x90, 0x80, 0x81, 0x23, 0x00}, true},
		{"vp8 inter with picture id, tl0, tid", codecVP8, []byte{0x90, 0xe0, 0x05, 0x01, 0x40, 0x01}, false},
		{"vp8 empty", codecVP8, nil, false},
		{"h264 sps", codecH264, []byte{0x67, 1, 2}, true},
		{"h264 stap-a with sps", codecH264, []byte{0x78, 0, 2, 0x67, 1, 0, 1, 0x68}, true},
		{"h264 stap-a without", codecH264, []byte{0x78, 0, 2, 0x41, 1}, false},
		{"h264 fu-a idr start", codecH264, []byte{0x7c, 0x85}, true},
		{"h264 fu-a idr middle", codecH264, []byte{0x7c, 0x05}, false},
		{"h264 non-idr", codecH264, []byte{0x41}, false},
		{"other", codecOther, []byte{0x10, 0x00}, false},
	} {
		if got := keyframeStart(c.codec, c.payload); got != c.want {
			t.Errorf("%s: keyframeStart = %v, want %v", c.name, got, c.want)
		}
	}
	if w, h := vp8Size([]byte{0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}); w != 640 || h != 360 {
		t.Errorf("vp8Size = %dx%d, want 640x360", w, h)
	}
}

func TestForwarderWithLayersAllocatesNothing(t *testing.T) {
	_, fs, downs, _ := newSimulcastTrack(10)
	for i, d := range downs {
		d.setTarget(i % MaxLayers)
	}
	pkts := [MaxLayers][]byte{}
	for l := range pkts {
		pkts[l] = vp8Packet(t, l, 1, 100, true, true)
	}
	if n := testing.AllocsPerRun(1000, func() {
		for l := range pkts {
			fs[l].forward(pkts[l])
		}
	}); n != 0 {
		t.Errorf("forwarding a packet of each of 3 layers to 10 subscribers allocates %v times, want 0", n)
	}
}

// BenchmarkForwardSimulcast measures the forwarding path of one video
// packet of one layer with layer selection, to N subscribers spread over
// the three layers (a third of them take it).
func BenchmarkForwardSimulcast(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			_, fs, downs, _ := newSimulcastTrack(n)
			for i, d := range downs {
				d.setTarget(i % MaxLayers)
			}
			pkt := vp8Packet(b, 0, 1, 100, true, true)
			fs[0].forward(pkt)
			pkt = vp8Packet(b, 0, 2, 200, false, true)
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				fs[0].forward(pkt)
			}
		})
	}
}
