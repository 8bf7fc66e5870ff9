package media

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/dtls/v3"
	"github.com/pion/webrtc/v4"
)

// The SFU prefers AES-128-GCM for SRTP, but a subscriber that offers
// only AES-CM with HMAC-SHA1 (or only AES-256-GCM) still receives.
func TestSRTPProfilesAccepted(t *testing.T) {
	for _, c := range []struct {
		name    string
		profile dtls.SRTPProtectionProfile
	}{{"AES-CM with HMAC-SHA1", dtls.SRTP_AES128_CM_HMAC_SHA1_80}, {"AES-256-GCM", dtls.SRTP_AEAD_AES_256_GCM},
		{"AES-128-GCM", dtls.SRTP_AEAD_AES_128_GCM}} {
		t.Run(c.name, func(t *testing.T) {
			_, bob, mic := newAudioSubscriber(t)

			me := &webrtc.MediaEngine{}
			if err := registerCodecs(me); err != nil {
				t.Fatal(err)
			}
			se := loopbackSettings()
			se.SetSRTPProtectionProfiles(c.profile)
			sub, err := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = sub.Close() })
			var got atomic.Int64
			sub.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
				for {
					if _, _, err := tr.ReadRTP(); err != nil {
						return
					}
					got.Add(1)
				}
			})
			subscribeClient(t, bob, mic, sub)
			for deadline := time.Now().Add(10 * time.Second); got.Load() < 20 && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			if got.Load() < 20 {
				t.Fatalf("the subscriber received %d packets in 10 s, want >= 20", got.Load())
			}
		})
	}
}
