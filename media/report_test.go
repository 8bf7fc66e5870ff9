package media

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// A stream's report gives the frame's RTP time advanced by the wall
// time since its first packet, and counts every packet and byte.
func TestSendStatsReport(t *testing.T) {
	var s sendStats
	base := time.Date(2026, 12, 1, 23, 0, 0, 0, time.UTC)
	if _, ok := s.report(7, 90000, base); ok {
		t.Fatal("a report before anything was sent")
	}
	// A frame of three packets at 1000, its packets 2 ms apart: its time
	// is the first packet's.
	for i := range 3 {
		s.sent(1000, 100, base.Add(time.Duration(i)*2*time.Millisecond).UnixNano())
	}
	s.resent(50) // a packet sent again counts, and changes no timing
	at := base.Add(100 * time.Millisecond)
	sr, ok := s.report(7, 90000, at)
	if !ok {
		t.Fatal("no report after 4 packets")
	}
	if sr.SSRC != 7 || sr.PacketCount != 4 || sr.OctetCount != 350 {
		t.Errorf("report SSRC %d, %d packets, %d bytes; want 7, 4, 350", sr.SSRC, sr.PacketCount, sr.OctetCount)
	}
	if want := uint32(1000 + 9000); absDiff(sr.RTPTime, want) > 2 {
		t.Errorf("RTP time %d, want %d (100 ms after the frame's first packet)", sr.RTPTime, want)
	}
	if got, want := sr.NTPTime, ntpTime(at); got != want {
		t.Errorf("NTP time %x, want %x", got, want)
	}
	// Two hours without a packet (longer than the packed wall time
	// spans): the report still extrapolates from the frame's time.
	later := at.Add(2 * time.Hour)
	sr, _ = s.report(7, 90000, later)
	if want := uint32(1000) + uint32((2*time.Hour+100*time.Millisecond).Seconds()*90000); absDiff(sr.RTPTime, want) > 2 {
		t.Errorf("after two idle hours RTP time %d, want %d", sr.RTPTime, want)
	}
	if ntp := ntpTime(time.Unix(0, 0).UTC()); ntp != 2208988800<<32 {
		t.Errorf("NTP time of the Unix epoch %x", ntp)
	}
	if ntp := ntpTime(time.Unix(1, 5e8)); ntp&0xffffffff != 1<<31 {
		t.Errorf("NTP fraction of half a second %x, want %x", ntp&0xffffffff, uint32(1<<31))
	}
	if n := testing.AllocsPerRun(1000, func() { s.sent(2000, 100, base.UnixNano()) }); n != 0 {
		t.Errorf("sent allocates %v times, want 0", n)
	}
}

// newAudioSubscriber is an SFU on loopback where alice publishes audio
// (a packet every 20 ms until the test ends) and bob, not yet
// subscribed, may take it.
func newAudioSubscriber(t *testing.T) (sfu *SFU, bob *Peer, mic *Track) {
	t.Helper()
	sfu, alice, published := newPublishingPeer(t)
	bob, err := sfu.NewPeer(PeerParams{ID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bob.Close)
	pub := newLoopbackClient(t, nil, nil)
	t.Cleanup(func() { _ = pub.Close() })
	track, _ := addOpusTrack(t, pub, "mic")
	negotiate(t, pub, alice)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go sendAudio(ctx, []*webrtc.TrackLocalStaticRTP{track})
	return sfu, bob, awaitPublished(t, published)
}

func absDiff(a, b uint32) uint32 {
	if d := int32(a - b); d < 0 {
		return uint32(-d)
	}
	return a - b
}

// A subscriber (a real pion peer, like a browser) gets sender reports
// for the stream it receives: its SSRC, the packets and bytes it was sent
// and an RTP time that matches the wall clock of its packets, as a
// browser needs to line audio up with video.
func TestSubscribersGetSenderReports(t *testing.T) {
	sfu, bob, mic := newAudioSubscriber(t)

	type arrival struct {
		ts uint32
		at time.Time
	}
	var mu sync.Mutex
	var last arrival
	var received uint32
	reports := make(chan *rtcp.SenderReport, 16)
	sub := newLoopbackClient(t, nil, nil)
	t.Cleanup(func() { _ = sub.Close() })
	sub.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		go func() {
			for {
				pkts, _, err := r.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == uint32(tr.SSRC()) {
						select {
						case reports <- sr:
						default:
						}
					}
				}
			}
		}()
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			mu.Lock()
			last = arrival{p.Timestamp, time.Now()}
			received++
			mu.Unlock()
		}
	})
	subscribeClient(t, bob, mic, sub)

	var first *rtcp.SenderReport
	for i := 0; i < 3; i++ {
		var sr *rtcp.SenderReport
		select {
		case sr = <-reports:
		case <-time.After(5 * time.Second):
			t.Fatalf("report %d: no sender report for the subscribed stream in 5 s", i)
		}
		mu.Lock()
		got, n := last, received
		mu.Unlock()
		if sr.PacketCount == 0 || absDiff(sr.PacketCount, n) > 10 {
			t.Errorf("sender report counts %d packets; the subscriber has received %d", sr.PacketCount, n)
		}
		if sr.OctetCount != 80*sr.PacketCount {
			t.Errorf("sender report counts %d bytes for %d packets of 80 bytes", sr.OctetCount, sr.PacketCount)
		}
		// The RTP time at the report's NTP time, seen from the last
		// packet received: the same clock within 40 ms (loopback
		// delivery and scheduling).
		ntp := sr.NTPTime
		srAt := time.Unix(int64(ntp>>32)-2208988800, int64((ntp&0xffffffff)*1e9>>32))
		if d := time.Since(srAt); d < -time.Second || d > time.Second {
			t.Errorf("sender report's NTP time is %v from now", d)
		}
		want := got.ts + uint32(srAt.Sub(got.at).Seconds()*48000)
		if d := absDiff(sr.RTPTime, want); d > 48*40 {
			t.Errorf("sender report's RTP time %d is %.1f ms from the packets' clock (%d)", sr.RTPTime, float64(d)/48, want)
		}
		if first == nil {
			first = sr
		} else if sr.PacketCount <= first.PacketCount {
			t.Errorf("packet count went from %d to %d", first.PacketCount, sr.PacketCount)
		}
	}
	// The count is added once the write returns, maybe after the read.
	for i := 0; i < 100 && sfu.Stats().SenderReportsSent.Load() < 3; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if sfu.Stats().SenderReportsSent.Load() < 3 {
		t.Errorf("Stats.SenderReportsSent = %d, want >= 3", sfu.Stats().SenderReportsSent.Load())
	}
}
