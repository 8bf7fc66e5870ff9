package media

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

func TestPacketCache(t *testing.T) {
	c := newPacketCache()
	put := func(seq uint16, size int) {
		payload := make([]byte, size)
		for i := range payload {
			payload[i] = byte(seq)
		}
		c.put(&rtp.Header{SequenceNumber: seq, Timestamp: uint32(seq) * 3000, Marker: seq%2 == 0}, payload)
	}
	buf := make([]byte, cacheSlotSize)
	for seq := uint16(65000); seq != 100; seq++ { // wraps
		put(seq, 100)
	}
	tests := []struct {
		seq  uint16
		want cacheStatus
	}{
		{99, cacheHeld}, {65535, cacheHeld}, {0, cacheHeld}, {65536 + 100 - cacheSlots, cacheHeld},
		{65536 + 100 - cacheSlots - 1, cacheGone}, // pushed out by 99
		{100, cacheGone},   // not sent yet
		{64999, cacheGone}, // before the first
	}
	check := func(seq uint16, want cacheStatus) {
		t.Helper()
		got, st := c.get(seq, buf)
		if st != want {
			t.Errorf("get(%d) = status %d, want %d", seq, st, want)
			return
		}
		if st == cacheHeld && (got.seq != seq || got.ts != uint32(seq)*3000 || got.marker != (seq%2 == 0) ||
			len(got.payload) != 100 || got.payload[99] != byte(seq)) {
			t.Errorf("get(%d) = seq %d ts %d marker %v %d bytes, not the packet put", seq, got.seq, got.ts, got.marker, len(got.payload))
		}
	}
	for _, tt := range tests {
		check(tt.seq, tt.want)
	}
	put(101, cacheSlotSize+1)
	if _, st := c.get(101, buf); st != cacheGone {
		t.Errorf("a packet larger than a slot: status %d, want gone (%d)", st, cacheGone)
	}
	if _, st := c.get(65536+101-cacheSlots, buf); st != cacheGone {
		t.Error("the slot of a packet too large to cache still returns the older packet")
	}
	// 102 lost on the publisher's way in: never received, not gone;
	// until it comes late.
	put(103, 100)
	check(102, cacheNotReceived)
	put(102, 100)
	check(102, cacheHeld)
	// The same in slots never used.
	fresh := newPacketCache()
	fresh.put(&rtp.Header{SequenceNumber: 1}, []byte{1})
	fresh.put(&rtp.Header{SequenceNumber: 3}, []byte{3})
	for seq, want := range map[uint16]cacheStatus{1: cacheHeld, 2: cacheNotReceived, 3: cacheHeld, 4: cacheGone} {
		if _, st := fresh.get(seq, buf); st != want {
			t.Errorf("a cache that got 1 and 3: get(%d) = status %d, want %d", seq, st, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { put(7, 1000) }); n > 1 { // the payload made by put
		t.Errorf("put allocates %v times", n-1)
	}
}

// A subscriber's outgoing numbers map back to the publisher's across the
// changes of mapping the history remembers (a mute gap closed, a layer
// switch to another cache with its own numbers and timestamps).
func TestSeqHistory(t *testing.T) {
	var h seqHistory
	a, b := newPacketCache(), newPacketCache()
	for out := uint16(65530); out != 10; out++ { // same numbers as the publisher's, wrapping
		h.note(out, uint32(out)*10, &origin{cache: a, seq: out, ts: uint32(out) * 10})
	}
	for out := uint16(10); out != 20; out++ { // after a gap of 50 packets
		h.note(out, uint32(out)*10, &origin{cache: a, seq: out + 50, ts: uint32(out) * 10})
	}
	for out := uint16(20); out != 30; out++ { // another layer
		h.note(out, uint32(out)*10, &origin{cache: b, seq: out + 1000, ts: uint32(out)*10 - 7})
	}
	if h.n != 3 {
		t.Errorf("history recorded %d changes, want 3", h.n)
	}
	tests := []struct {
		out   uint16
		cache *packetCache
		seq   uint16
		ts    uint32
	}{
		{65531, a, 65531, 655310}, {9, a, 9, 90}, {10, a, 60, 100}, {19, a, 69, 190}, {20, b, 1020, 193}, {29, b, 1029, 283},
	}
	for _, tt := range tests {
		p, ok := h.lookup(tt.out)
		if !ok || p.cache != tt.cache || tt.out-p.dseq != tt.seq || uint32(tt.out)*10-p.dts != tt.ts {
			t.Errorf("lookup(%d) = %+v %v, want the publisher's %d at %d", tt.out, p, ok, tt.seq, tt.ts)
		}
	}
	if _, ok := h.lookup(65529); ok {
		t.Error("a number sent before the history began was mapped")
	}
	for i := range historyPoints {
		h.note(uint16(100+i), 0, &origin{cache: a, seq: uint16(i * 7)})
	}
	if _, ok := h.lookup(20); ok {
		t.Error("a number older than every remembered change was mapped")
	}
}

func TestKeyframeGate(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Date(2026, 12, 1, 20, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	g := newKeyframeGate(50*time.Millisecond, now)
	sent := make(chan struct{}, 10)
	send := func() { sent <- struct{}{} }

	if g.request(send) || len(sent) != 1 {
		t.Fatalf("the first request: %d sent, want 1 at once", len(sent))
	}
	<-sent
	clock.Add(int64(10 * time.Millisecond))
	coalesced := 0
	for range 5 {
		if g.request(send) {
			coalesced++
		}
	}
	if len(sent) != 0 || coalesced != 4 {
		t.Fatalf("5 requests within the interval: %d sent at once, %d coalesced; want 0 and 4 (one waits)", len(sent), coalesced)
	}
	clock.Add(int64(40 * time.Millisecond))
	select {
	case <-sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the requests made within the interval were never sent")
	}
	select {
	case <-sent:
		t.Fatal("the requests made within the interval were sent more than once")
	case <-time.After(100 * time.Millisecond):
	}
	clock.Add(int64(10 * time.Millisecond)) // 10 ms after the delayed one
	g.request(send)
	g.stop()
	time.Sleep(100 * time.Millisecond)
	if len(sent) != 0 {
		t.Error("a request waiting when the stream ended was sent")
	}
}

// packetSink is a TrackLocalWriter that keeps copies of the packets
// written to it.
type packetSink struct {
	mu   sync.Mutex
	pkts []rtp.Packet
}

func (s *packetSink) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pkts = append(s.pkts, rtp.Packet{Header: h.Clone(), Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}

func (s *packetSink) Write(b []byte) (int, error) { return len(b), nil }

// newVideoForwarder builds a video track with two bound subscribers, one
// with an RTX stream (SSRC 2001, payload type 97) and one without.
func newVideoForwarder() (*forwarder, []*downTrack, []*packetSink) {
	t := &Track{sfu: &SFU{cfg: Config{Now: time.Now}}, kind: webrtc.RTPCodecTypeVideo, done: make(chan struct{})}
	l := &layer{cache: newPacketCache(), keyframes: newKeyframeGate(time.Second, nil)}
	l.keyframes.stop() // no publisher to ask
	t.layers[0].Store(l)
	t.forwarding.Store(true)
	sinks := []*packetSink{{}, {}}
	downs := []*downTrack{{track: t}, {track: t}}
	for _, d := range downs {
		d.initSelector()
		d.setTarget(0)
	}
	downs[0].bound.Store(&binding{ssrc: 1001, pt: 96, writer: sinks[0], rtxSSRC: 2001, rtxPT: 97})
	downs[1].bound.Store(&binding{ssrc: 1002, pt: 96, writer: sinks[1]})
	t.downs.Store(&downs)
	f := &forwarder{}
	f.init(t, l)
	return f, downs, sinks
}

func videoPacket(tb testing.TB, seq uint16) []byte {
	p := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 100, SequenceNumber: seq, Timestamp: uint32(seq/3) * 3000,
		Marker: seq%3 == 2, SSRC: 42}, Payload: make([]byte, 1000)}
	binary.BigEndian.PutUint16(p.Payload, seq)
	b, err := p.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Both subscribers' NACKs are answered from the one cache of the track:
// on the RTX stream, with the lost packet's number (as the subscriber saw
// it) at the head of the payload, for the one that has RTX; as it was for
// the other. After a mute gap the numbers subscribers see differ from the
// publisher's, and the lost packets are still found.
func TestNACKsAnsweredFromTheSharedCache(t *testing.T) {
	f, downs, sinks := newVideoForwarder()
	for seq := uint16(1); seq <= 10; seq++ {
		f.forward(videoPacket(t, seq))
	}
	f.t.forwarding.Store(false) // muted
	for seq := uint16(11); seq <= 20; seq++ {
		f.forward(videoPacket(t, seq))
	}
	f.t.forwarding.Store(true)
	for seq := uint16(21); seq <= 30; seq++ { // sent as 11..20
		f.forward(videoPacket(t, seq))
	}
	for i, d := range downs {
		if p, ok := d.hist.lookup(5); !ok || p.cache != f.l.cache {
			t.Errorf("subscriber %d does not read the track's cache", i)
		}
	}
	nack := &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 4, LostPackets: 1 << 9}}} // 4 and 14 (the publisher's 24)
	for i, d := range downs {
		var r resender
		r.seq = 500
		before := len(sinks[i].pkts)
		d.handleNACK(&r, nack)
		d.handleNACK(&r, nack) // repeated at once: not sent twice
		got := sinks[i].pkts[before:]
		if len(got) != 2 {
			t.Fatalf("subscriber %d: %d packets sent again, want 2", i, len(got))
		}
		for k, want := range []struct{ out, orig uint16 }{{4, 4}, {14, 24}} {
			p := got[k]
			payload := p.Payload
			if i == 0 {
				if p.SSRC != 2001 || p.PayloadType != 97 || p.SequenceNumber != 500+uint16(k) {
					t.Errorf("RTX packet %d: SSRC %d PT %d seq %d, want 2001/97/%d", k, p.SSRC, p.PayloadType, p.SequenceNumber, 500+k)
				}
				if osn := binary.BigEndian.Uint16(payload); osn != want.out {
					t.Errorf("RTX packet %d carries original sequence number %d, want %d", k, osn, want.out)
				}
				payload = payload[2:]
			} else if p.SSRC != 1002 || p.PayloadType != 96 || p.SequenceNumber != want.out {
				t.Errorf("resent packet %d: SSRC %d PT %d seq %d, want 1002/96/%d", k, p.SSRC, p.PayloadType, p.SequenceNumber, want.out)
			}
			if len(payload) != 1000 || binary.BigEndian.Uint16(payload) != want.orig ||
				p.Timestamp != uint32(want.orig/3)*3000 || p.Marker != (want.orig%3 == 2) {
				t.Errorf("packet %d sent again is not the publisher's packet %d", k, want.orig)
			}
		}
	}
	if n := f.t.sfu.stats.RTXSent.Load(); n != 4 {
		t.Errorf("Stats.RTXSent = %d, want 4", n)
	}
	var r resender
	downs[0].handleNACK(&r, &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 40}}})
	if n := f.t.sfu.stats.NACKMissed.Load(); n != 1 {
		t.Errorf("Stats.NACKMissed = %d after a NACK for a packet never sent, want 1", n)
	}
}

func TestSourceOf(t *testing.T) {
	tests := []struct {
		kind     webrtc.RTPCodecType
		id       string
		streamID string
		want     Source
	}{
		{webrtc.RTPCodecTypeAudio, "p1-audio-screen-1", "p1", SourceMicrophone},
		{webrtc.RTPCodecTypeVideo, "p1-video-0c3f", "p1", SourceCamera},
		{webrtc.RTPCodecTypeVideo, "p1-video-screen-0c3f", "p1", SourceScreen},
		{webrtc.RTPCodecTypeVideo, "p1-video-screen", "p1", SourceScreen},
		{webrtc.RTPCodecTypeVideo, "p1-video-myscreen", "p1", SourceCamera},
		{webrtc.RTPCodecTypeVideo, "screen-p1-video-x", "p1", SourceCamera},
	}
	for _, tt := range tests {
		if got := sourceOf(tt.kind, tt.id, tt.streamID); got != tt.want {
			t.Errorf("sourceOf(%s, %q) = %q, want %q", tt.kind, tt.id, got, tt.want)
		}
	}
}

// lossyInterceptor drops every tenth packet of each incoming media
// stream before the NACK generator sees it, and counts the packets of
// RTX streams; with halfRTX it drops the RTX packets of odd sequence
// numbers too (uncounted).
type lossyInterceptor struct {
	interceptor.NoOp
	dropped, repaired *atomic.Int64
	halfRTX           bool
}

func (l *lossyInterceptor) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	rtx := info.MimeType == webrtc.MimeTypeRTX
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := r.Read(b, a)
			if err != nil || n < 4 {
				return n, attr, err
			}
			if rtx && l.halfRTX && binary.BigEndian.Uint16(b[2:4])%2 == 1 {
				continue
			}
			if rtx {
				l.repaired.Add(1)
			} else if binary.BigEndian.Uint16(b[2:4])%10 == 3 {
				l.dropped.Add(1)
				continue
			}
			return n, attr, err
		}
	})
}

type lossyFactory struct {
	dropped, repaired *atomic.Int64
	halfRTX           bool
}

func (f lossyFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossyInterceptor{dropped: f.dropped, repaired: f.repaired, halfRTX: f.halfRTX}, nil
}

// newPublisherAndSubscriber starts a server with two peers: alice, who
// publishes (her tracks come on published), and bob.
func newPublisherAndSubscriber(t *testing.T) (sfu *SFU, alice, bob *Peer, published chan *Track) {
	t.Helper()
	sfu, alice, published = newPublishingPeer(t)
	bob, err := sfu.NewPeer(PeerParams{ID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bob.Close)
	return sfu, alice, bob, published
}

// publishVP8 publishes a VP8 track to peer from a client connection
// without interceptors (it answers no NACK), and returns the track to
// write its packets to.
func publishVP8(t *testing.T, peer *Peer) *webrtc.TrackLocalStaticRTP {
	t.Helper()
	pub := newLoopbackClient(t, nil, nil)
	t.Cleanup(func() { _ = pub.Close() })
	track, err := webrtc.NewTrackLocalStaticRTP(videoCodecs()[0].RTPCodecCapability, "cam", peer.ID())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	negotiate(t, pub, peer)
	return track
}

// sendingVP8 publishes a VP8 track of peer's and sends 900-byte packets
// on it every 5 ms until the test ends or stop is called; it returns the
// server's track.
func sendingVP8(t *testing.T, peer *Peer, published chan *Track) (cam *Track, stop func()) {
	t.Helper()
	track := publishVP8(t, peer)
	done := make(chan struct{})
	var once sync.Once
	stop = func() { once.Do(func() { close(done) }) }
	t.Cleanup(stop)
	go sendRTPUntil(done, track, 96, 5*time.Millisecond, 3000, 900)
	return awaitPublished(t, published), stop
}

// seqRecorder keeps the sequence numbers a subscriber received.
type seqRecorder struct {
	mu     sync.Mutex
	seen   map[uint16]bool
	newest uint16
}

func (r *seqRecorder) add(seq uint16) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen[seq] = true
	if int16(seq-r.newest) > 0 || r.newest == 0 {
		r.newest = seq
	}
}

// missing lists the numbers from from to to before the newest (to
// excluded) that never came.
func (r *seqRecorder) missing(from, to uint16) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for s := r.newest - from; s != r.newest-to; s++ {
		if !r.seen[s] {
			out = append(out, fmt.Sprint(s))
		}
	}
	return out
}

// nackEvery20ms returns a registry with the interceptors first (nearest
// the network), then pion's NACK generator asking every 20 ms, as
// browsers ask soon after a loss, at most maxNACKsPerPacket times a
// packet (unbounded, it asks again for packets repaired over RTX, which
// a browser does not, until pion's queue of repaired packets overflows).
func nackEvery20ms(t *testing.T, first ...interceptor.Factory) *interceptor.Registry {
	t.Helper()
	reg := &interceptor.Registry{}
	for _, f := range first {
		reg.Add(f)
	}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(20*time.Millisecond), nack.GeneratorMaxNacksPerPacket(maxNACKsPerPacket))
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(gen)
	return reg
}

// newNACKingSubscriber makes a client connection that receives video
// with RTX, with the interceptors of reg (then what configure adds), and
// records the numbers of the packets its tracks receive.
func newNACKingSubscriber(t *testing.T, reg *interceptor.Registry,
	configure ...func(*webrtc.MediaEngine, *interceptor.Registry) error) (*webrtc.PeerConnection, *seqRecorder) {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me); err != nil {
		t.Fatal(err)
	}
	if err := registerRTX(me); err != nil {
		t.Fatal(err)
	}
	for _, c := range configure {
		if err := c(me, reg); err != nil {
			t.Fatal(err)
		}
	}
	sub, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(loopbackSettings()),
		webrtc.WithInterceptorRegistry(reg)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	rec := &seqRecorder{seen: map[uint16]bool{}}
	sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			rec.add(p.SequenceNumber)
		}
	})
	return sub, rec
}

// awaitAllRecovered waits (up to 20 s) until the subscriber lost 50
// packets and kept 50 RTX packets, then checks that every lost packet of
// a stretch well behind the newest came again.
func awaitAllRecovered(t *testing.T, dropped, repaired *atomic.Int64, rec *seqRecorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil && (dropped.Load() < 50 || repaired.Load() < 50) {
		time.Sleep(50 * time.Millisecond)
	}
	if dropped.Load() < 50 || repaired.Load() < 50 {
		t.Fatalf("the subscriber lost %d packets and kept %d RTX packets, want both >= 50", dropped.Load(), repaired.Load())
	}
	time.Sleep(200 * time.Millisecond)
	if missing := rec.missing(300, 100); len(missing) > 0 {
		t.Errorf("the subscriber never got %d of 200 packets: %v", len(missing), missing)
	}
}

// Over real peer connections: a subscriber that loses a tenth of a
// video track's packets gets each of them again on its RTX stream,
// answered by the server from the track's cache (pion's NACK generator
// on the subscriber asks for them, as a browser does).
func TestLossRecoveredWithRTX(t *testing.T) {
	sfu, alice, bob, published := newPublisherAndSubscriber(t)

	cam, _ := sendingVP8(t, alice, published)

	var dropped, repaired atomic.Int64
	sub, rec := newNACKingSubscriber(t, nackEvery20ms(t, lossyFactory{dropped: &dropped, repaired: &repaired}))
	subscribeClient(t, bob, cam, sub)

	awaitAllRecovered(t, &dropped, &repaired, rec)
	if n := sfu.Stats().RTXSent.Load(); n < 50 {
		t.Errorf("Stats.RTXSent = %d, want >= 50", n)
	}
}

// BenchmarkForwardVideo measures the forwarding path for video: the
// packet is kept in the track's shared cache and each subscriber notes
// where its copy came from.
func BenchmarkForwardVideo(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			f, _, _ := newVideoForwarder()
			downs := make([]*downTrack, n)
			for i := range downs {
				downs[i] = &downTrack{track: f.t}
				downs[i].bound.Store(&binding{ssrc: uint32(1000 + i), pt: 96, writer: &sink{}, rtxSSRC: uint32(2000 + i), rtxPT: 97})
			}
			f.t.downs.Store(&downs)
			pkt := videoPacket(b, 1)
			seq := uint16(1)
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt)))
			for b.Loop() {
				seq++
				binary.BigEndian.PutUint16(pkt[2:], seq)
				f.forward(pkt)
			}
		})
	}
}

// awaitPublished returns the next track published (see
// newPublishingPeer), failing the test after 10 s.
func awaitPublished(t *testing.T, published chan *Track) *Track {
	t.Helper()
	select {
	case tr := <-published:
		return tr
	case <-time.After(10 * time.Second):
		t.Fatal("no track published in 10 s")
		return nil
	}
}

// subscribeClient subscribes peer to track and negotiates the peer's
// subscribe connection with the client's pc.
func subscribeClient(t *testing.T, peer *Peer, track *Track, pc *webrtc.PeerConnection) {
	t.Helper()
	if err := peer.Subscribe(track); err != nil {
		t.Fatal(err)
	}
	offer, err := peer.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.HandleAnswer(clientAnswerTo(t, pc, offer)); err != nil {
		t.Fatal(err)
	}
}

// Padding a subscriber lost (sent to probe its link) is answered with
// padding on its RTX stream under the lost number, so that it stops
// waiting for it; the media after it still maps to its packets.
func TestNACKForPaddingGetsPadding(t *testing.T) {
	f, downs, sinks := newVideoForwarder()
	d, s := downs[0], sinks[0]
	for seq := uint16(1); seq <= 3; seq++ {
		f.forward(videoPacket(t, seq))
	}
	// What downTrack.pad notes for padding sent as number 4.
	d.hist.note(4, 3000, &origin{seq: 4})
	var r resender
	d.handleNACK(&r, &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 3, LostPackets: 1}}}) // 3 and 4
	got := s.pkts[len(s.pkts)-2:]
	if osn := binary.BigEndian.Uint16(got[0].Payload); osn != 3 || len(got[0].Payload) != 1002 || got[0].Padding {
		t.Errorf("packet 3 sent again as %d bytes for %d (padding %v), want the media packet", len(got[0].Payload), osn, got[0].Padding)
	}
	p := got[1]
	if p.SSRC != 2001 || !p.Padding || len(p.Payload) != 2 || binary.BigEndian.Uint16(p.Payload) != 4 || p.Timestamp != 3000 {
		t.Errorf("lost padding answered with SSRC %d padding %v payload %v ts %d, want RTX padding for 4 at 3000", p.SSRC, p.Padding, p.Payload, p.Timestamp)
	}
}

// BenchmarkNACKToRTX measures answering a subscriber's NACK for four
// lost video packets: the mapping back to the publisher's numbers, the
// read from the shared cache and the RTX packets written. It allocates
// nothing.
func BenchmarkNACKToRTX(b *testing.B) {
	f, downs, _ := newVideoForwarder()
	sk := &sink{}
	downs[0].bound.Store(&binding{ssrc: 1001, pt: 96, writer: sk, rtxSSRC: 2001, rtxPT: 97})
	for seq := uint16(1); seq <= 64; seq++ {
		f.forward(videoPacket(b, seq))
	}
	var clock int64
	f.t.sfu.cfg.Now = func() time.Time { clock += int64(20 * time.Millisecond); return time.Unix(0, clock) }
	nack := &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 40, LostPackets: 0b101}, {PacketID: 50}}}
	var r resender
	b.ReportAllocs()
	for b.Loop() {
		downs[0].handleNACK(&r, nack)
	}
	if sk.n == 0 {
		b.Fatal("nothing sent again")
	}
}

// Answering NACKs with RTX allocates nothing, whether the subscriber has
// an RTX stream (and gets two copies) or gets the packets again as they
// were.
func TestNACKToRTXAllocatesNothing(t *testing.T) {
	f, downs, _ := newVideoForwarder()
	for i := range downs {
		b := downs[i].bound.Load()
		downs[i].bound.Store(&binding{ssrc: b.ssrc, pt: b.pt, writer: &sink{}, rtxSSRC: b.rtxSSRC, rtxPT: b.rtxPT, rtxTwice: b.rtxSSRC != 0})
	}
	for seq := uint16(1); seq <= 64; seq++ {
		f.forward(videoPacket(t, seq))
	}
	var clock int64
	f.t.sfu.cfg.Now = func() time.Time { clock += int64(20 * time.Millisecond); return time.Unix(0, clock) }
	nack := &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: 40, LostPackets: 0b101}, {PacketID: 50}}}
	for i, d := range downs {
		var r resender
		if n := testing.AllocsPerRun(100, func() { d.handleNACK(&r, nack) }); n != 0 {
			t.Errorf("subscriber %d: answering a NACK for 4 packets allocates %v times, want 0", i, n)
		}
	}
	if n := f.t.sfu.stats.RTXSent.Load(); n < 2*4*100 {
		t.Errorf("Stats.RTXSent = %d, want every NACK answered (>= 800)", n)
	}
}

// Over real peer connections: a publisher whose link loses packets on
// the way in (here: every tenth comes 100 ms late, as a retransmission
// would) leaves gaps the subscriber asks for at once. The server has not
// got those packets: it counts them as not received, not as missed from
// its cache, and the subscriber gets each when it comes.
func TestNACKForPacketLostUpstream(t *testing.T) {
	sfu, alice, bob, published := newPublisherAndSubscriber(t)

	track := publishVP8(t, alice) // no NACK responder: the server's NACKs go unanswered
	stop := make(chan struct{})
	defer close(stop)
	var late atomic.Int64
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		held := map[uint16][]byte{}
		for seq := uint16(1); ; seq++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000},
				Payload: make([]byte, 900)}
			b, _ := p.Marshal()
			if seq%10 == 3 && seq > 200 {
				held[seq+20] = b // comes 20 packets (100 ms) late
			} else {
				_, _ = track.Write(b)
			}
			if b, ok := held[seq]; ok {
				delete(held, seq)
				_, _ = track.Write(b)
				late.Add(1)
			}
		}
	}()
	cam := awaitPublished(t, published)

	sub, rec := newNACKingSubscriber(t, nackEvery20ms(t))
	subscribeClient(t, bob, cam, sub)

	stats := sfu.Stats()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil && (late.Load() < 30 || stats.NACKNotReceived.Load() < 20) {
		time.Sleep(50 * time.Millisecond)
	}
	if late.Load() < 30 || stats.NACKNotReceived.Load() < 20 {
		t.Fatalf("%d packets came late, %d NACKed packets counted as not received; want >= 30 and >= 20",
			late.Load(), stats.NACKNotReceived.Load())
	}
	if n := stats.NACKMissed.Load(); n != 0 {
		t.Errorf("Stats.NACKMissed = %d for packets the server never had, want 0", n)
	}
	// Every late packet of a stretch well behind the newest reached the
	// subscriber (the numbers it sees are the publisher's: no switch, no
	// gap closed).
	time.Sleep(200 * time.Millisecond)
	if missing := rec.missing(200, 50); len(missing) > 0 {
		t.Errorf("the subscriber never got %d of 150 packets: %v", len(missing), missing)
	}
}

// A connection that receives with the server's own interceptors (as one
// instance receives a relay from another, which answers every NACK from
// its cache) asks for a lost packet a bounded number of times: pion's
// NACK generator never sees the packets repaired over RTX, and without
// the bound asked for each about 25 times.
func TestRepairedPacketsAskedForBoundedTimes(t *testing.T) {
	sfu, alice, bob, published := newPublisherAndSubscriber(t)
	cam, stop := sendingVP8(t, alice, published)

	var dropped, repaired atomic.Int64
	reg := &interceptor.Registry{}
	reg.Add(lossyFactory{dropped: &dropped, repaired: &repaired})
	if err := registerInterceptors(reg, true); err != nil {
		t.Fatal(err)
	}
	sub, rec := newNACKingSubscriber(t, reg)
	subscribeClient(t, bob, cam, sub)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for ctx.Err() == nil && dropped.Load() < 30 {
		time.Sleep(50 * time.Millisecond)
	}
	// Past the bound's half second and the log's 512 numbers (2.6 s).
	time.Sleep(3 * time.Second)
	stop()
	time.Sleep(time.Second)
	lost, resent := dropped.Load(), sfu.Stats().RTXSent.Load()
	if lost < 30 || repaired.Load() < 30 {
		t.Fatalf("the subscriber lost %d packets and received %d on its RTX stream, want both >= 30", lost, repaired.Load())
	}
	if missing := rec.missing(400, 100); len(missing) > 0 {
		t.Errorf("the subscriber never got %d of 300 packets: %v", len(missing), missing)
	}
	if resent > uint64(lost)*maxNACKsPerPacket*resendCopies {
		t.Errorf("%d packets lost, %d sent again (%.1f each), want at most %d each (%d NACKs, %d copies each)",
			lost, resent, float64(resent)/float64(lost), maxNACKsPerPacket*resendCopies, maxNACKsPerPacket, resendCopies)
	}
	t.Logf("%d packets lost, %d sent again", lost, resent)
}

// A client that loses a retransmission still gets the packet at its
// first NACK: each goes out twice on its RTX stream. Here the subscriber
// asks once a packet and loses every other RTX packet.
func TestRetransmissionSentTwiceToClients(t *testing.T) {
	_, alice, bob, published := newPublisherAndSubscriber(t)
	cam, _ := sendingVP8(t, alice, published)

	var dropped, repaired atomic.Int64
	reg := &interceptor.Registry{}
	reg.Add(lossyFactory{dropped: &dropped, repaired: &repaired, halfRTX: true})
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorInterval(20*time.Millisecond), nack.GeneratorMaxNacksPerPacket(1))
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(gen)
	sub, rec := newNACKingSubscriber(t, reg)
	subscribeClient(t, bob, cam, sub)

	awaitAllRecovered(t, &dropped, &repaired, rec)
}

// A subscriber whose NACKs never arrive (here it sends none) still gets
// the packets it lost: its transport-wide feedback reports them, and the
// server sends them again on its RTX stream.
func TestLossRecoveredFromFeedback(t *testing.T) {
	sfu, alice, bob, published := newPublisherAndSubscriber(t)
	cam, _ := sendingVP8(t, alice, published)

	var dropped, repaired atomic.Int64
	reg := &interceptor.Registry{}
	reg.Add(lossyFactory{dropped: &dropped, repaired: &repaired}) // before the feedback sees them
	sub, rec := newNACKingSubscriber(t, reg, webrtc.ConfigureTWCCSender)
	subscribeClient(t, bob, cam, sub)

	awaitAllRecovered(t, &dropped, &repaired, rec)
	st := sfu.Stats()
	if n := st.RTXFromFeedback.Load(); n < 50 {
		t.Errorf("Stats.RTXFromFeedback = %d, want >= 50", n)
	}
	if n := st.NACKs.Load(); n != 0 {
		t.Errorf("Stats.NACKs = %d from a subscriber that sends none", n)
	}
}

// A packet is not sent twice for one loss reported both ways: feedback
// that reports a loss a NACK already asked about (within unaskedPause)
// sends nothing, and a NACK that comes soon after feedback had the
// packet sent again sends nothing either (within unaskedAnswers; a
// browser asks again 100 ms later if both copies were lost).
func TestLossReportedTwiceSentOnce(t *testing.T) {
	clock := time.Unix(1000, 0)
	f, downs, sinks := newVideoForwarder()
	f.t.sfu.cfg.Now = func() time.Time { return clock }
	for seq := uint16(1); seq <= 10; seq++ {
		f.forward(videoPacket(t, seq))
	}
	d, sink := downs[1], sinks[1] // no RTX stream: one copy each time
	sent := func() int { sink.mu.Lock(); defer sink.mu.Unlock(); return len(sink.pkts) }
	nack := func(seq uint16) {
		d.resMu.Lock()
		defer d.resMu.Unlock()
		d.handleNACK(d.resender(), &rtcp.TransportLayerNack{Nacks: []rtcp.NackPair{{PacketID: seq}}})
	}
	steps := []struct {
		what  string
		after time.Duration
		do    func()
		sends int
	}{
		{"a NACK for 3", 0, func() { nack(3) }, 1},
		{"feedback reporting 3 lost, 80 ms later", 80 * time.Millisecond, func() { d.resendUnasked(3) }, 0},
		{"feedback reporting 3 lost, 300 ms after the NACK", 220 * time.Millisecond, func() { d.resendUnasked(3) }, 1},
		{"a NACK for 3, 40 ms after that", 40 * time.Millisecond, func() { nack(3) }, 0},
		{"a NACK for 3, 120 ms after the feedback", 80 * time.Millisecond, func() { nack(3) }, 1},
		{"feedback reporting 5 lost", 0, func() { d.resendUnasked(5) }, 1},
	}
	for _, s := range steps {
		clock = clock.Add(s.after)
		before := sent()
		s.do()
		if got := sent() - before; got != s.sends {
			t.Errorf("%s: %d packets sent, want %d", s.what, got, s.sends)
		}
	}
	if n := f.t.sfu.stats.RTXFromFeedback.Load(); n != 2 {
		t.Errorf("Stats.RTXFromFeedback = %d, want 2", n)
	}
}
