package media_test

import (
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
)

// The SDP fuzz targets (issue 9, "Fuzz targets") give a real Peer the
// client's side of a negotiation: an offer on its publish connection, an
// answer to its subscribe offer. Whatever the text, the peer must not
// panic, must answer only with Opus and VP8 and one media section per
// offered one, and must stay usable: the next valid offer or answer works,
// as docs/protocol.md promises ("the session and its peer connections go on
// as before"). Creating pion peers is slow, so one SFU and one published
// track serve every input of a process; each input gets a fresh peer.
//
// Run one longer with, e.g.:
//
//	go test -run '^$' -fuzz '^FuzzPeerHandleOffer$' -fuzztime 5m ./media/

// maxFuzzSDP bounds one input: the signaling server never passes on a
// frame over protocol.MaxMessageSize (64 KiB).
const maxFuzzSDP = 64 << 10

// sdpFixture is what every input of a process shares. It lives as long as
// the process (a fuzz worker runs many inputs), so it is never closed.
type sdpFixture struct {
	sfu *media.SFU
	// offer is a browser-like publish offer: Opus and VP8, sendonly, with
	// more codecs than the SFU takes.
	offer string
	// track is a live Opus track, published by a client on loopback, for
	// subscribe connections to carry.
	track *media.Track
}

var (
	fixtureOnce sync.Once
	fixture     *sdpFixture
	fixtureErr  error
)

func sharedFixture(t testing.TB) *sdpFixture {
	t.Helper()
	fixtureOnce.Do(func() { fixture, fixtureErr = newSDPFixture() })
	if fixtureErr != nil {
		t.Fatalf("fixture: %v", fixtureErr)
	}
	return fixture
}

func newSDPFixture() (*sdpFixture, error) {
	sfu, err := media.New(media.Config{LoopbackOnly: true}, zap.NewNop())
	if err != nil {
		return nil, err
	}
	fx := &sdpFixture{sfu: sfu}
	if fx.offer, err = browserOffer(); err != nil {
		return nil, err
	}
	if fx.track, err = publishTrack(sfu); err != nil {
		return nil, err
	}
	return fx, nil
}

// clientAPI is a pion API with its default codecs, on loopback: a stand-in
// for a browser.
func clientAPI() *webrtc.API {
	me := &webrtc.MediaEngine{}
	_ = me.RegisterDefaultCodecs()
	se := webrtc.SettingEngine{}
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se))
}

func browserOffer() (string, error) {
	pc, err := clientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", err
	}
	defer pc.Close()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			return "", err
		}
	}
	offer, err := pc.CreateOffer(nil)
	return offer.SDP, err
}

// publishTrack connects a client that sends Opus to a peer of sfu, and
// returns the track the peer publishes. The client keeps sending for the
// life of the process.
func publishTrack(sfu *media.SFU) (*media.Track, error) {
	got := make(chan *media.Track, 1)
	peer, err := sfu.NewPeer(media.PeerParams{ID: "publisher", Log: zap.NewNop(),
		OnTrack: func(t *media.Track) { got <- t }})
	if err != nil {
		return nil, err
	}
	pc, err := clientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, err
	}
	local, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "publisher")
	if err != nil {
		return nil, err
	}
	if _, err := pc.AddTransceiverFromTrack(local, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		return nil, err
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, err
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, err
	}
	<-gathered
	answer, err := peer.HandleOffer(pc.LocalDescription().SDP)
	if err != nil {
		return nil, err
	}
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		return nil, err
	}
	go func() {
		pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 111}, Payload: make([]byte, 80)}
		for range time.Tick(20 * time.Millisecond) {
			pkt.SequenceNumber++
			pkt.Timestamp += 960
			_ = local.WriteRTP(pkt)
		}
	}()
	select {
	case t := <-got:
		return t, nil
	case <-time.After(20 * time.Second):
		return nil, errors.New("no track published within 20 s")
	}
}

func newFuzzPeer(t *testing.T, f *sdpFixture) *media.Peer {
	t.Helper()
	p, err := f.sfu.NewPeer(media.PeerParams{ID: "fuzz", Log: zap.NewNop()})
	if err != nil {
		t.Fatalf("new peer: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// sdpSeeds are the shapes worth starting from: a valid description, and
// what it becomes without each part pion checks.
func sdpSeeds(valid string) []string {
	drop := func(prefix string) string {
		var out []string
		for _, l := range strings.SplitAfter(valid, "\r\n") {
			if !strings.HasPrefix(l, prefix) {
				out = append(out, l)
			}
		}
		return strings.Join(out, "")
	}
	return []string{
		valid,
		"",
		"v=0",
		"this is not SDP",
		drop("a=ice-ufrag"),
		drop("a=ice-pwd"),
		drop("a=fingerprint"),
		drop("a=setup"),
		drop("a=mid"),
		drop("m="),
		drop("a=group"),
		drop("a=rtpmap"),
		strings.ReplaceAll(valid, "opus/48000/2", "G722/8000"),
		strings.ReplaceAll(valid, "\r\n", "\n"),
		valid + valid,
	}
}

// parseSDP parses sdp as pion does, nil if it does not parse.
func mediaSections(typ webrtc.SDPType, sdp string) (int, bool) {
	parsed, err := (&webrtc.SessionDescription{Type: typ, SDP: sdp}).Unmarshal()
	if err != nil {
		return 0, false
	}
	return len(parsed.MediaDescriptions), true
}

// checkAnswer holds the SFU's answer to a client's offer to the SFU's rules.
func checkAnswer(t *testing.T, offer, answer string) {
	t.Helper()
	parsed, err := (&webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}).Unmarshal()
	if err != nil {
		t.Fatalf("the answer does not parse: %v\n%.300s", err, answer)
	}
	if n, ok := mediaSections(webrtc.SDPTypeOffer, offer); ok && n != len(parsed.MediaDescriptions) {
		t.Errorf("the answer has %d media sections for the offer's %d (RFC 8829 5.3.1)", len(parsed.MediaDescriptions), n)
	}
	for _, m := range parsed.MediaDescriptions {
		for _, a := range m.Attributes {
			codec := strings.ToLower(a.Value)
			if a.Key == "rtpmap" && !strings.Contains(codec, " opus/48000") && !strings.Contains(codec, " vp8/90000") &&
				!strings.Contains(codec, " h264/90000") {
				t.Errorf("the answer accepts %q: the SFU forwards only Opus, VP8 and H.264", a.Value)
			}
		}
	}
	accepted := false
	for _, m := range parsed.MediaDescriptions {
		accepted = accepted || m.MediaName.Port.Value != 0
	}
	if accepted && (!strings.Contains(answer, "a=fingerprint:") || !strings.Contains(answer, "a=ice-ufrag:")) {
		t.Errorf("the answer lacks a fingerprint or ICE credentials:\n%.300s", answer)
	}
}

// FuzzPeerHandleOffer applies a fuzzed offer to a fresh peer's publish
// connection. An offer taken must be answered by the rules, and taken
// again as a renegotiation; after an offer refused, a valid offer must be
// answered.
func FuzzPeerHandleOffer(f *testing.F) {
	fx := sharedFixture(f)
	for _, s := range sdpSeeds(fx.offer) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sdp string) {
		if len(sdp) > maxFuzzSDP {
			t.Skip("over the signaling frame limit")
		}
		p := newFuzzPeer(t, fx)
		// The next offer: the same again (a renegotiation that changes
		// nothing) if this one was taken, else the valid one.
		next := fx.offer
		if answer, err := p.HandleOffer(sdp); err == nil {
			checkAnswer(t, sdp, answer)
			next = sdp
		}
		answer, err := p.HandleOffer(next)
		if err != nil {
			t.Fatalf("after the offer %.120q, the offer %.120q fails: %v", sdp, next, err)
		}
		checkAnswer(t, next, answer)
	})
}

// FuzzPeerHandleAnswer answers a fresh peer's subscribe offer (one Opus
// track) with fuzzed SDP. Taken or not, the subscribe connection must go
// on: the peer offers again, and a real client's answer to that offer
// must be taken.
func FuzzPeerHandleAnswer(f *testing.F) {
	fx := sharedFixture(f)
	p, err := fx.sfu.NewPeer(media.PeerParams{ID: "seed", Log: zap.NewNop()})
	if err != nil {
		f.Fatal(err)
	}
	offer, err := subscribeOffer(p, fx.track)
	if err != nil {
		f.Fatal(err)
	}
	answer, client, err := clientAnswer(offer)
	if err != nil {
		f.Fatal(err)
	}
	_ = client.Close()
	p.Close()
	for _, s := range sdpSeeds(answer) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, sdp string) {
		if len(sdp) > maxFuzzSDP {
			t.Skip("over the signaling frame limit")
		}
		p := newFuzzPeer(t, fx)
		offer, err := subscribeOffer(p, fx.track)
		if err != nil {
			t.Fatalf("create offer: %v", err)
		}
		if err := p.HandleAnswer(sdp); err == nil {
			n, ok := mediaSections(webrtc.SDPTypeAnswer, sdp)
			if want, _ := mediaSections(webrtc.SDPTypeOffer, offer); !ok || n != want {
				t.Errorf("an answer with %d media sections for the offer's %d was taken: %.200q", n, want, sdp)
			}
		}
		again, err := p.CreateOffer()
		if err != nil {
			t.Fatalf("after the answer %.120q, the peer cannot offer again: %v", sdp, err)
		}
		valid, client, err := clientAnswer(again)
		if err != nil {
			t.Fatalf("a client cannot take the peer's offer: %v\n%.300s", err, again)
		}
		defer client.Close()
		if err := p.HandleAnswer(valid); err != nil {
			t.Fatalf("after the answer %.120q, a valid answer fails: %v", sdp, err)
		}
	})
}

// subscribeOffer subscribes p to t and returns p's subscribe offer.
func subscribeOffer(p *media.Peer, t *media.Track) (string, error) {
	if err := p.Subscribe(t); err != nil {
		return "", err
	}
	return p.CreateOffer()
}

// clientAnswer answers offer as a browser would; close the client.
func clientAnswer(offer string) (string, *webrtc.PeerConnection, error) {
	client, err := clientAPI().NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return "", nil, err
	}
	if err := client.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		_ = client.Close()
		return "", nil, err
	}
	answer, err := client.CreateAnswer(nil)
	if err != nil {
		_ = client.Close()
		return "", nil, err
	}
	return answer.SDP, client, nil
}
