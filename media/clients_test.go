package media

import (
	"net"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"
)

// newLoopbackClient is a client's peer connection (a stand-in for a
// browser) with Hearth's codecs, gathering loopback candidates only. mux,
// when not nil, carries its ICE; reg, when not nil, holds its
// interceptors.
func newLoopbackClient(t testing.TB, mux ice.UDPMux, reg *interceptor.Registry) *webrtc.PeerConnection {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me); err != nil {
		t.Fatal(err)
	}
	se := loopbackSettings()
	if mux != nil {
		se.SetICEUDPMux(mux)
	}
	opts := []func(*webrtc.API){webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se)}
	if reg != nil {
		opts = append(opts, webrtc.WithInterceptorRegistry(reg))
	}
	pc, err := webrtc.NewAPI(opts...).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	return pc
}

// loopbackSettings gather loopback UDP4 candidates only.
func loopbackSettings() webrtc.SettingEngine {
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return se
}

// addOpusTrack adds to pc a send-only Opus track with the given id, in the
// stream "alice".
func addOpusTrack(t *testing.T, pc *webrtc.PeerConnection, id string) (*webrtc.TrackLocalStaticRTP, *webrtc.RTPTransceiver) {
	t.Helper()
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, id, "alice")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	return track, tr
}

// localOffer creates pc's offer, waits for its candidates and returns it.
func localOffer(t *testing.T, pc *webrtc.PeerConnection) string {
	t.Helper()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}
