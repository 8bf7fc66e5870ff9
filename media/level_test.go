package media

import (
	"context"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// newLevelClient is newLoopbackClient that also negotiates the audio
// level extension, as browsers do.
func newLevelClient(t *testing.T) *webrtc.PeerConnection {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me); err != nil {
		t.Fatal(err)
	}
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(loopbackSettings())).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close() })
	return pc
}

// levelID is the id a connection negotiated for the audio level
// extension, 0 if none.
func levelID(exts []webrtc.RTPHeaderExtensionParameter) uint8 {
	for _, h := range exts {
		if h.URI == AudioLevelURI {
			return uint8(h.ID)
		}
	}
	return 0
}

// sendLevels writes a 20 ms audio packet carrying level (RFC 6464: -dBov)
// under the extension id until ctx is done.
func sendLevels(ctx context.Context, track *webrtc.TrackLocalStaticRTP, id, level uint8) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	pkt := &rtp.Packet{Header: rtp.Header{Version: 2}, Payload: make([]byte, 80)}
	ext := []byte{0x80 | level}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		pkt.SequenceNumber++
		pkt.Timestamp += 960
		pkt.Extension, pkt.Extensions = false, pkt.Extensions[:0]
		_ = pkt.SetExtension(id, ext)
		_ = track.WriteRTP(pkt)
	}
}

// Over real peer connections: the server negotiates the audio level
// extension with a publisher, reads the level of each packet
// (Track.TakeAudioLevel) and passes it on to a subscriber under the id
// the subscriber's connection negotiated.
func TestAudioLevelsOverRealPeers(t *testing.T) {
	sfu, alice, published := newPublishingPeer(t)
	bob, err := sfu.NewPeer(PeerParams{ID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bob.Close)

	pub := newLevelClient(t)
	track, tr := addOpusTrack(t, pub, "mic")
	negotiate(t, pub, alice)
	id := levelID(tr.Sender().GetParameters().HeaderExtensions)
	if id == 0 {
		t.Fatal("the server's answer did not negotiate the audio level extension")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sendLevels(ctx, track, id, 25)

	mic := awaitPublished(t, published)
	deadline := time.Now().Add(10 * time.Second)
	var got AudioLevel
	for got.Packets < 5 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		l := mic.TakeAudioLevel()
		got.Packets += l.Packets
		if l.Packets > 0 {
			got.Level = l.Level
		}
	}
	if got.Packets < 5 || got.Level != 25 {
		t.Fatalf("the server read %+v from the track, want packets at level 25", got)
	}

	sub := newLevelClient(t)
	levels := make(chan byte, 16)
	sub.OnTrack(func(tr *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
		id := levelID(r.GetParameters().HeaderExtensions)
		for {
			p, _, err := tr.ReadRTP()
			if err != nil {
				return
			}
			if e := p.GetExtension(id); id != 0 && len(e) == 1 {
				select {
				case levels <- e[0]:
				default:
				}
			}
		}
	})
	subscribeClient(t, bob, mic, sub)
	select {
	case b := <-levels:
		if b != 0x80|25 {
			t.Errorf("the subscriber got level byte %#x, want %#x (voice, 25)", b, 0x80|25)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the subscriber received no packet with the audio level extension")
	}
}
