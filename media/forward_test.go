package media

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// sink is a TrackLocalWriter that keeps the last packet header written.
type sink struct {
	n    int
	last rtp.Header
}

func (s *sink) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.n++
	s.last = *h
	return len(payload), nil
}

func (s *sink) Write(b []byte) (int, error) { return len(b), nil }

var _ webrtc.TrackLocalWriter = (*sink)(nil)

// newTestForwarder builds a track with n bound subscribers, without
// network: only the forwarding path.
func newTestForwarder(n int) (*forwarder, []*sink) {
	t := &Track{sfu: &SFU{}, kind: webrtc.RTPCodecTypeAudio, done: make(chan struct{})}
	t.forwarding.Store(true)
	downs := make([]*downTrack, n)
	sinks := make([]*sink, n)
	for i := range downs {
		sinks[i] = &sink{}
		downs[i] = &downTrack{track: t}
		downs[i].bound.Store(&binding{ssrc: uint32(1000 + i), pt: 111, writer: sinks[i]})
	}
	t.downs.Store(&downs)
	f := &forwarder{}
	f.init(t)
	return f, sinks
}

func marshal(t testing.TB, seq uint16) []byte {
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: seq, Timestamp: uint32(seq) * 960, SSRC: 42},
		Payload: make([]byte, 120)}
	if err := p.SetExtension(1, []byte{0x80}); err != nil {
		t.Fatal(err)
	}
	b, err := p.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestForwarderRewritesPerSubscriber(t *testing.T) {
	f, sinks := newTestForwarder(3)
	f.forward(marshal(t, 7))
	for i, s := range sinks {
		if s.n != 1 {
			t.Fatalf("subscriber %d got %d packets, want 1", i, s.n)
		}
		if s.last.SSRC != uint32(1000+i) || s.last.PayloadType != 111 {
			t.Errorf("subscriber %d got SSRC %d PT %d, want its own %d/111", i, s.last.SSRC, s.last.PayloadType, 1000+i)
		}
		if s.last.Extension || len(s.last.Extensions) != 0 {
			t.Errorf("subscriber %d got the publisher's header extensions", i)
		}
	}
}

// Packets dropped while a track is muted leave no gap in the sequence
// numbers subscribers see, so their jitter buffers do not wait for them.
func TestForwarderClosesMuteGap(t *testing.T) {
	f, sinks := newTestForwarder(1)
	s := sinks[0]
	var want []uint16
	var got []uint16
	seq := uint16(65530) // wraps around during the test
	send := func(n int) {
		for range n {
			before := s.n
			f.forward(marshal(t, seq))
			seq++
			if s.n > before {
				got = append(got, s.last.SequenceNumber)
			}
		}
	}
	send(3)
	f.t.SetForwarding(false)
	send(10)
	f.t.SetForwarding(true)
	send(4)
	f.t.SetForwarding(false)
	send(2)
	f.t.SetForwarding(true)
	send(2)
	for i := range 9 {
		want = append(want, uint16(65530)+uint16(i))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("sequence numbers out: %v\nwant consecutive: %v", got, want)
	}
	if m := f.t.sfu.stats.PacketsMuted.Load(); m != 12 {
		t.Errorf("PacketsMuted = %d, want 12", m)
	}
}

func TestForwarderAllocatesNothing(t *testing.T) {
	f, _ := newTestForwarder(10)
	pkt := marshal(t, 1)
	if n := testing.AllocsPerRun(1000, func() { f.forward(pkt) }); n != 0 {
		t.Errorf("forwarding one packet to 10 subscribers allocates %v times, want 0", n)
	}
}

// BenchmarkForward measures the forwarding path (parse, rewrite, fan-out)
// for one incoming packet to N subscribers.
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			f, _ := newTestForwarder(n)
			pkt := marshal(b, 1)
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				f.forward(pkt)
			}
		})
	}
}
