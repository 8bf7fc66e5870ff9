package media

import (
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// newCodecClient is a client on loopback (a stand-in for Safari) that
// knows only the given video codecs, in its order of preference.
func newCodecClient(t *testing.T, video ...webrtc.RTPCodecParameters) *webrtc.PeerConnection {
	t.Helper()
	me := &webrtc.MediaEngine{}
	for _, c := range video {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			t.Fatal(err)
		}
	}
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// videoPayloads is the payload types of the first m=video line of sdp.
func videoPayloads(sdp string) []string {
	m := regexp.MustCompile(`(?m)^m=video \d+ [A-Z/]+ ([\d ]+)\r?$`).FindStringSubmatch(sdp)
	if m == nil {
		return nil
	}
	return strings.Fields(m[1])
}

// A publisher that offers only H.264 (as an old Safari or a device with a
// hardware encoder may) gets an answer with H.264, and its video reaches a
// subscriber that takes only H.264. A publisher that offers H.264 first and
// VP8 second (as Safari does) is answered with VP8 first, so it sends VP8,
// which every subscriber decodes.
func TestH264(t *testing.T) {
	codecs := videoCodecs()
	vp8, h264 := codecs[0], codecs[1]

	t.Run("H.264 only", func(t *testing.T) {
		sfu, alice, published := newPublishingPeer(t)
		pub := newCodecClient(t, h264)
		track, err := webrtc.NewTrackLocalStaticRTP(h264.RTPCodecCapability, "cam", "alice")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pub.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		answer, err := alice.HandleOffer(localOffer(t, pub))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(answer, "H264/90000") || strings.Contains(answer, "VP8") {
			t.Fatalf("answer to an H.264-only offer:\n%s", answer)
		}
		if err := pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer close(stop)
		go sendRTPUntil(stop, track, 102, 33*time.Millisecond, 3000, 100)

		tr := awaitPublished(t, published)
		bob, err := sfu.NewPeer(PeerParams{ID: "bob"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(bob.Close)
		if err := bob.Subscribe(tr); err != nil {
			t.Fatal(err)
		}
		sub := newCodecClient(t, h264)
		var got atomic.Int64
		var mime atomic.Value
		sub.OnTrack(func(r *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
			mime.Store(r.Codec().MimeType)
			buf := make([]byte, 1500)
			for {
				if _, _, err := r.Read(buf); err != nil {
					return
				}
				got.Add(1)
			}
		})
		offer, err := bob.CreateOffer()
		if err != nil {
			t.Fatal(err)
		}
		if err := bob.HandleAnswer(clientAnswerTo(t, sub, offer)); err != nil {
			t.Fatal(err)
		}
		awaitPackets(t, &got, 25, "H.264 forwarded")
		if m, _ := mime.Load().(string); m != webrtc.MimeTypeH264 {
			t.Errorf("subscriber received %q, want %s", m, webrtc.MimeTypeH264)
		}
	})

	t.Run("H.264 preferred, VP8 offered too", func(t *testing.T) {
		_, alice, _ := newPublishingPeer(t)
		pub := newCodecClient(t, h264, vp8)
		if _, err := pub.AddTransceiverFromKind(webrtc.RTPCodecTypeVideo, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
		offer := localOffer(t, pub)
		if p := videoPayloads(offer); len(p) < 2 || p[0] != "102" {
			t.Fatalf("offer's video payload types %v, want H.264 (102) first", p)
		}
		answer, err := alice.HandleOffer(offer)
		if err != nil {
			t.Fatal(err)
		}
		if p := videoPayloads(answer); len(p) < 2 || p[0] != "96" {
			t.Errorf("answer's video payload types %v, want VP8 (96) first, H.264 after", p)
		}
	})
}
