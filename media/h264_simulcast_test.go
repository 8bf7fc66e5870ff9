package media

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
)

// h264Packet is an H.264 packet of a layer: a keyframe's first packet
// is its SPS (a single NAL unit packet; what follows it, PPS and IDR
// slices, is left out), any other packet a non-IDR slice. Each layer
// numbers and stamps from its own base.
func h264Packet(t testing.TB, layer int, seq uint16, ts uint32, key bool) []byte {
	payload := []byte{0x41, 0x9a, 0x00} // non-IDR slice
	if key {
		payload = []byte{0x67, 0x42, 0xc0, 0x1f} // SPS
	}
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 102, Marker: !key,
		SequenceNumber: seq + uint16(layer)*20000, Timestamp: ts + uint32(layer)*1e6, SSRC: uint32(10 + layer)}, Payload: payload}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An H.264 simulcast publisher's layers are forwarded as VP8's are: each
// subscriber gets the layer it is given, moves up only at the new
// layer's IDR picture (SPS first), down at once, and sees one stream
// with consecutive sequence numbers.
func TestH264SimulcastLayers(t *testing.T) {
	tr, fs, downs, sinks := newSimulcastTrack(2)
	tr.codecKind = codecH264
	low, high := downs[0], downs[1]
	low.setTarget(0)
	high.setTarget(2)
	var got []string
	var seqs []uint16
	send := func(layer int, seq uint16, key bool) {
		before := sinks[0].n
		fs[layer].forward(h264Packet(t, layer, seq, uint32(seq)*3000, key))
		if sinks[0].n > before {
			got = append(got, fmt.Sprint(layer))
			seqs = append(seqs, sinks[0].last.SequenceNumber)
		}
	}
	for seq := uint16(1); seq <= 3; seq++ {
		for l := range MaxLayers {
			send(l, seq, seq == 1)
		}
	}
	low.setTarget(2)
	send(2, 4, false) // no IDR yet: stays on layer 0
	send(0, 4, false)
	send(2, 5, true) // the IDR's SPS: switch
	send(2, 6, false)
	send(0, 5, false)
	low.setTarget(1) // down: layer 2 stops at once, layer 1 from its IDR
	send(2, 7, false)
	send(1, 4, false)
	send(1, 5, true)
	send(1, 6, false)
	if g, want := fmt.Sprint(got), "[0 0 0 0 2 2 1 1]"; g != want {
		t.Errorf("layers the subscriber got: %s, want %s", g, want)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Errorf("sequence numbers %v: not consecutive at %d", seqs, i)
			break
		}
	}
	if n := sinks[1].n; n != 7 {
		t.Errorf("the subscriber given layer 2 got %d packets, want its 7", n)
	}
}
