package media

import (
	"fmt"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// sink is a TrackLocalWriter that keeps the last packet header written,
// and a copy of its one-byte header extensions (the header's own share
// their memory with the next packet's) when told to.
type sink struct {
	n    int
	last rtp.Header
	// copyExt: keep ext.
	copyExt bool
	// ext holds, per one-byte extension id, the first byte of the last
	// packet's extension, or -1 when it had none of that id.
	ext [15]int
}

func (s *sink) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.n++
	s.last = *h
	for id := range s.ext {
		if !s.copyExt {
			break
		}
		s.ext[id] = -1
		if e := h.GetExtension(uint8(id)); h.Extension && len(e) > 0 {
			s.ext[id] = int(e[0])
		}
	}
	return len(payload), nil
}

// exts lists the extension ids the sink's last packet carried.
func (s *sink) exts() []int {
	var ids []int
	for id, b := range s.ext {
		if b >= 0 {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *sink) Write(b []byte) (int, error) { return len(b), nil }

var _ webrtc.TrackLocalWriter = (*sink)(nil)

// newTestForwarder builds an audio track with n bound subscribers,
// without network: only the forwarding path. Neither the track nor its
// subscribers negotiated the audio level extension.
func newTestForwarder(n int) (*forwarder, []*sink) { return newLevelForwarder(n, 0, 0) }

// newLevelForwarder is newTestForwarder with the audio level extension
// negotiated under the id in on the publish connection and out on the
// subscribers' (0: not negotiated).
func newLevelForwarder(n int, in, out uint8) (*forwarder, []*sink) {
	t := &Track{sfu: &SFU{}, kind: webrtc.RTPCodecTypeAudio, done: make(chan struct{}), levelID: in}
	t.forwarding.Store(true)
	downs := make([]*downTrack, n)
	sinks := make([]*sink, n)
	for i := range downs {
		sinks[i] = &sink{copyExt: true}
		downs[i] = &downTrack{track: t}
		downs[i].bound.Store(&binding{ssrc: uint32(1000 + i), pt: 111, writer: sinks[i], levelID: out})
	}
	t.downs.Store(&downs)
	f := &forwarder{}
	f.init(t, &layer{})
	return f, sinks
}

// marshal is an audio packet with the audio level extension under id 1
// (voice, 0 dBov: the loudest) and another extension under id 2.
func marshal(t testing.TB, seq uint16) []byte { return marshalLevel(t, seq, 0x80) }

// marshalLevel is marshal with the audio level extension's byte given.
func marshalLevel(t testing.TB, seq uint16, level byte) []byte {
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: seq, Timestamp: uint32(seq) * 960, SSRC: 42},
		Payload: make([]byte, 120)}
	if err := p.SetExtension(1, []byte{level}); err != nil {
		t.Fatal(err)
	}
	if err := p.SetExtension(2, []byte{1, 2, 3}); err != nil {
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
		if ids := s.exts(); len(ids) != 0 {
			t.Errorf("subscriber %d got the publisher's header extensions %v", i, ids)
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
	for _, c := range []struct {
		name    string
		in, out uint8
	}{{"without audio levels", 0, 0}, {"with audio levels", 1, 4}} {
		f, _ := newLevelForwarder(10, c.in, c.out)
		pkt := marshal(t, 1)
		if n := testing.AllocsPerRun(1000, func() { f.forward(pkt) }); n != 0 {
			t.Errorf("%s: forwarding one packet to 10 subscribers allocates %v times, want 0", c.name, n)
		}
	}
}

// The audio level a publisher sends (RFC 6464) is counted for the
// track's meeting and passed on to each subscriber under the id its
// connection negotiated, with no other extension of the publisher's;
// packets dropped while the track is muted are not counted.
func TestForwarderAudioLevels(t *testing.T) {
	f, sinks := newLevelForwarder(2, 1, 7)
	(*f.t.downs.Load())[1].bound.Store(&binding{ssrc: 2000, pt: 111, writer: sinks[1]}) // did not negotiate it
	if got := f.t.TakeAudioLevel(); got != (AudioLevel{Packets: 0, Level: SilentLevel}) {
		t.Errorf("before any packet: %+v, want no packets, silence", got)
	}
	for i, level := range []byte{0x80 | 20, 30, 40} { // mean 30
		f.forward(marshalLevel(t, uint16(i), level))
	}
	f.t.SetForwarding(false)
	f.forward(marshalLevel(t, 3, 0)) // muted: not counted
	if got := f.t.TakeAudioLevel(); got != (AudioLevel{Packets: 3, Level: 30}) {
		t.Errorf("after three packets (levels 20, 30, 40) and a muted one: %+v, want 3 packets, level 30", got)
	}
	if got := f.t.TakeAudioLevel(); got.Packets != 0 {
		t.Errorf("TakeAudioLevel did not start over: %+v", got)
	}
	if got := sinks[0].exts(); len(got) != 1 || got[0] != 7 || sinks[0].ext[7] != 40 {
		t.Errorf("subscriber with the extension got extensions %v (id 7: %d), want only the level 40 under its id 7", got, sinks[0].ext[7])
	}
	if got := sinks[1].exts(); len(got) != 0 {
		t.Errorf("subscriber without the extension got extensions %v", got)
	}
}

// BenchmarkForward measures the forwarding path (parse, read the audio
// level, rewrite, fan-out with each subscriber's level extension) for one
// incoming packet to N subscribers.
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			f, sinks := newLevelForwarder(n, 1, 4)
			for _, s := range sinks {
				s.copyExt = false
			}
			pkt := marshal(b, 1)
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				f.forward(pkt)
			}
		})
	}
}
