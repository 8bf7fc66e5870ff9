package media

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

func TestSenderReports(t *testing.T) {
	sr := &rtcp.SenderReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2}}}
	rr := &rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2}}}
	sdes := &rtcp.SourceDescription{Chunks: []rtcp.SourceDescriptionChunk{{Source: 1,
		Items: []rtcp.SourceDescriptionItem{{Type: rtcp.SDESCNAME, Text: "alice"}}}}}
	pli := &rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: 2}
	marshal := func(pkts ...rtcp.Packet) []byte {
		b, err := rtcp.Marshal(pkts)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	twoSRs := marshal(sr, sdes, sr)
	tests := []struct {
		name string
		in   []byte
		want uint64
	}{
		{"sender report alone", marshal(sr), 1},
		{"compound with SDES", marshal(sr, sdes), 1},
		{"two sender reports", twoSRs, 2},
		{"receiver report", marshal(rr, sdes), 0},
		{"feedback only", marshal(pli), 0},
		{"empty", nil, 0},
		{"truncated second packet", twoSRs[:len(twoSRs)-4], 1},
		{"not RTCP", []byte{0, 0, 0, 0, 1, 2, 3, 4}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := senderReports(tt.in); got != tt.want {
				t.Errorf("senderReports = %d, want %d", got, tt.want)
			}
		})
	}
	if n := testing.AllocsPerRun(1000, func() { senderReports(twoSRs) }); n != 0 {
		t.Errorf("senderReports allocates %v times, want 0", n)
	}
}

// A publisher's sender reports are read on the server, for forwarded
// tracks and for tracks over the limit alike: the SFU counts them, and its
// receiver reports back to the publisher carry the last one's timestamp
// (LSR, RFC 3550 section 6.4.1), which pion sets only from reports read.
func TestPublisherSenderReportsAreRead(t *testing.T) {
	sfu, err := New(Config{LoopbackOnly: true}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sfu.Close() }()
	peer, err := sfu.NewPeer(PeerParams{ID: "alice", MaxTracks: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	pc := newTestPublisher(t)
	defer func() { _ = pc.Close() }()
	var tracks []*webrtc.TrackLocalStaticRTP
	var reported []chan struct{}
	for _, id := range []string{"mic", "mic2"} { // the second is over the limit
		track, tr := addOpusTrack(t, pc, id)
		tracks = append(tracks, track)
		done := make(chan struct{})
		reported = append(reported, done)
		go awaitLSR(tr.Sender(), done)
	}
	negotiate(t, pc, peer)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sendAudio(ctx, tracks)
	for i, done := range reported {
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("track %d: no receiver report with the last sender report's timestamp", i)
		}
	}
	if n := sfu.Stats().SenderReports.Load(); n == 0 {
		t.Error("Stats.SenderReports = 0, want > 0")
	}
	if n := len(peer.Tracks()); n != 1 {
		t.Errorf("peer forwards %d tracks, want 1 (the limit)", n)
	}
}

// newTestPublisher is a client's publish connection, on loopback, sending
// sender reports every 50ms.
func newTestPublisher(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	reg := &interceptor.Registry{}
	srs, err := report.NewSenderInterceptor(report.SenderInterval(50 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(srs)
	return newLoopbackClient(t, nil, reg)
}

// negotiate offers pc's tracks to peer and applies its answer.
func negotiate(t *testing.T, pc *webrtc.PeerConnection, peer *Peer) {
	t.Helper()
	answer, err := peer.HandleOffer(localOffer(t, pc))
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
}

// sendAudio writes a 20ms audio packet to each track until ctx is done.
func sendAudio(ctx context.Context, tracks []*webrtc.TrackLocalStaticRTP) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2}, Payload: make([]byte, 80)}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pkt.SequenceNumber++
		pkt.Timestamp += 960
		for _, track := range tracks {
			_ = track.WriteRTP(pkt)
		}
	}
}

// awaitLSR reads the RTCP the server sends about s's stream and closes done
// at the first receiver report whose LSR is set.
func awaitLSR(s *webrtc.RTPSender, done chan struct{}) {
	var once sync.Once
	ssrc := uint32(s.GetParameters().Encodings[0].SSRC)
	for {
		pkts, _, err := s.ReadRTCP()
		if err != nil {
			return
		}
		for _, pkt := range pkts {
			rr, ok := pkt.(*rtcp.ReceiverReport)
			if !ok {
				continue
			}
			for _, r := range rr.Reports {
				if r.SSRC == ssrc && r.LastSenderReport != 0 {
					once.Do(func() { close(done) })
				}
			}
		}
	}
}
