package media

import (
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// A client whose offers are refused can still publish: after an offer
// without ICE credentials, one without a fingerprint and an empty one, the
// next valid offer is answered and its audio reaches a subscriber; the
// same holds for a refused renegotiation. On the subscribe connection, a
// refused answer leaves the offer waiting: it is offered again, a valid
// answer is taken and media flows.
func TestRefusedOffersAndAnswersLeaveConnectionsUsable(t *testing.T) {
	sfu, alice, published := newPublishingPeer(t)
	var renegotiate atomic.Int32
	bob, err := sfu.NewPeer(PeerParams{ID: "bob", OnNegotiationNeeded: func() { renegotiate.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()

	// Alice's client: bad offers first, then a valid one.
	pub := newTestPublisher(t)
	defer func() { _ = pub.Close() }()
	mic, _ := addOpusTrack(t, pub, "mic")
	valid := localOffer(t, pub)
	refused := []struct{ name, sdp string }{
		{"no ICE credentials", dropLines(valid, "a=ice-ufrag:", "a=ice-pwd:")},
		{"no fingerprint", dropLines(valid, "a=fingerprint:")},
		{"empty", ""},
		{"no mid", dropLines(valid, "a=mid:")},
	}
	for _, r := range refused {
		if _, err := alice.HandleOffer(r.sdp); !errors.Is(err, ErrBadSDP) {
			t.Errorf("offer with %s: error %v, want ErrBadSDP", r.name, err)
		}
		if s := alice.pub.Load().SignalingState(); s != webrtc.SignalingStateStable {
			t.Errorf("after the offer with %s the publish connection is %s, want stable", r.name, s)
		}
	}
	answer, err := alice.HandleOffer(valid)
	if err != nil {
		t.Fatalf("the valid offer after %d refused ones: %v", len(refused), err)
	}
	if err := pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go sendAudioUntil(stop, mic)
	var track *Track
	select {
	case track = <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("alice's track was not published")
	}

	// Bob subscribes; his client's answers are refused first.
	if err := bob.Subscribe(track); err != nil {
		t.Fatal(err)
	}
	sub, received := newCountingSubscriber(t)
	defer func() { _ = sub.Close() }()
	offer, err := bob.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	good := clientAnswerTo(t, sub, offer)
	for _, bad := range []struct{ name, sdp string }{
		{"no ICE credentials", dropLines(good, "a=ice-ufrag:", "a=ice-pwd:")},
		{"no fingerprint", dropLines(good, "a=fingerprint:")},
		{"no mid", dropLines(good, "a=mid:")},
		{"no codec", strings.ReplaceAll(good, "opus/48000", "G722/8000")},
		{"no media section", dropLines(good, "m=")},
	} {
		if err := bob.HandleAnswer(bad.sdp); !errors.Is(err, ErrBadSDP) {
			t.Errorf("answer with %s: error %v, want ErrBadSDP", bad.name, err)
		}
		again, err := bob.CreateOffer()
		if err != nil {
			t.Fatalf("after the answer with %s, no new offer: %v", bad.name, err)
		}
		if again != offer {
			t.Errorf("after the answer with %s the waiting offer was not offered again", bad.name)
		}
	}
	before := renegotiate.Load()
	if err := bob.HandleAnswer(good); err != nil {
		t.Fatalf("the valid answer after refused ones: %v", err)
	}
	if renegotiate.Load() == before {
		t.Error("no new offer asked for after the offer that was offered again was answered")
	}
	awaitPackets(t, received, 25, "after refused offers and answers")

	// A refused renegotiation of the publish connection leaves the track
	// flowing and the next renegotiation answered.
	reoffer := localOffer(t, pub)
	if _, err := alice.HandleOffer(dropLines(reoffer, "a=ice-ufrag:", "a=ice-pwd:")); !errors.Is(err, ErrBadSDP) {
		t.Errorf("renegotiation without ICE credentials: error %v, want ErrBadSDP", err)
	}
	answer, err = alice.HandleOffer(reoffer)
	if err != nil {
		t.Fatalf("the valid renegotiation after a refused one: %v", err)
	}
	if err := pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	n := received.Load()
	awaitPackets(t, received, n+25, "after a refused renegotiation")
	t.Logf("refused %d offers, 5 answers and 1 renegotiation; the subscriber received %d packets", len(refused), received.Load())
}

// What the checks do not catch, pion refuses after changing the state: the
// publish connection is then brought back to stable, renewed if it was
// never negotiated, and the next valid offer works; media flows.
func TestPublishConnectionRestoredAfterPionRefusal(t *testing.T) {
	sfu, alice, published := newPublishingPeer(t)
	pub := newTestPublisher(t)
	defer func() { _ = pub.Close() }()
	mic, _ := addOpusTrack(t, pub, "mic")
	valid := localOffer(t, pub)

	// Straight to pion, past the checks: it refuses only after the change.
	stuck := func(sdp string) *webrtc.PeerConnection {
		t.Helper()
		pc := alice.pub.Load()
		if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err == nil {
			t.Fatal("pion took an offer without ICE credentials")
		}
		if s := pc.SignalingState(); s != webrtc.SignalingStateHaveRemoteOffer {
			t.Fatalf("pion left the connection %s; the test needs have-remote-offer", s)
		}
		alice.restorePublish(pc)
		return pc
	}
	first := stuck(dropLines(valid, "a=ice-ufrag:", "a=ice-pwd:"))
	if alice.pub.Load() == first {
		t.Error("a never negotiated publish connection was not renewed")
	}
	if s := first.ConnectionState(); s != webrtc.PeerConnectionStateClosed {
		t.Errorf("the replaced connection is %s, want closed", s)
	}
	answer, err := alice.HandleOffer(valid)
	if err != nil {
		t.Fatalf("valid offer after the restore: %v", err)
	}
	if err := pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go sendAudioUntil(stop, mic)
	var track *Track
	select {
	case track = <-published:
	case <-time.After(10 * time.Second):
		t.Fatal("alice's track was not published")
	}
	bob, err := sfu.NewPeer(PeerParams{ID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer bob.Close()
	if err := bob.Subscribe(track); err != nil {
		t.Fatal(err)
	}
	sub, received := newCountingSubscriber(t)
	defer func() { _ = sub.Close() }()
	offer, err := bob.CreateOffer()
	if err != nil {
		t.Fatal(err)
	}
	if err := bob.HandleAnswer(clientAnswerTo(t, sub, offer)); err != nil {
		t.Fatal(err)
	}
	awaitPackets(t, received, 25, "after a renewed publish connection")

	// Negotiated: the connection is kept (it carries the track).
	reoffer := localOffer(t, pub)
	negotiated := stuck(dropLines(reoffer, "a=ice-ufrag:", "a=ice-pwd:"))
	if alice.pub.Load() != negotiated {
		t.Error("a negotiated publish connection was replaced")
	}
	if s := negotiated.SignalingState(); s != webrtc.SignalingStateStable {
		t.Errorf("the negotiated publish connection is %s, want stable", s)
	}
	answer, err = alice.HandleOffer(reoffer)
	if err != nil {
		t.Fatalf("valid renegotiation after the restore: %v", err)
	}
	if err := pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: answer}); err != nil {
		t.Fatal(err)
	}
	n := received.Load()
	awaitPackets(t, received, n+25, "after a restored negotiated connection")
	t.Logf("the subscriber received %d packets", received.Load())
}

// clientAnswerTo applies offer on a client's pc and returns its answer
// with its candidates, without sending it anywhere.
func clientAnswerTo(t testing.TB, pc *webrtc.PeerConnection, offer string) string {
	t.Helper()
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: offer}); err != nil {
		t.Fatal(err)
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	<-gathered
	return pc.LocalDescription().SDP
}

// newCountingSubscriber is a client's subscribe connection on loopback
// that counts the RTP packets it receives.
func newCountingSubscriber(t *testing.T) (*webrtc.PeerConnection, *atomic.Int64) {
	t.Helper()
	pc := newLoopbackClient(t, nil, nil)
	var n atomic.Int64
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
			n.Add(1)
		}
	})
	return pc, &n
}

// sendAudioUntil writes a 20ms audio packet to track until stop closes.
func sendAudioUntil(stop <-chan struct{}, track *webrtc.TrackLocalStaticRTP) {
	sendRTPUntil(stop, track, 111, 20*time.Millisecond, 960, 80)
}

// sendRTPUntil writes a packet of payload type pt with size bytes of
// payload to track every interval, its timestamp step apart, until stop
// closes.
func sendRTPUntil(stop <-chan struct{}, track *webrtc.TrackLocalStaticRTP, pt byte, interval time.Duration, step uint32, size int) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var seq uint16
	buf := make([]byte, 12+size)
	buf[0], buf[1] = 0x80, pt
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		seq++
		buf[2], buf[3] = byte(seq>>8), byte(seq)
		ts := uint32(seq) * step
		buf[4], buf[5], buf[6], buf[7] = byte(ts>>24), byte(ts>>16), byte(ts>>8), byte(ts)
		_, _ = track.Write(buf)
	}
}

func awaitPackets(t *testing.T, n *atomic.Int64, want int64, when string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for n.Load() < want {
		if time.Now().After(deadline) {
			t.Fatalf("%s: the subscriber received %d packets in 10 s, want %d", when, n.Load(), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dropLines removes the lines of sdp that start with one of prefixes.
func dropLines(sdp string, prefixes ...string) string {
	var out []string
	for _, l := range strings.SplitAfter(sdp, "\r\n") {
		keep := true
		for _, p := range prefixes {
			keep = keep && !strings.HasPrefix(l, p)
		}
		if keep {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

// checkOffer refuses what pion refuses (after changing the state) and
// takes what pion takes, on a connection's first offer.
func TestCheckOfferAgreesWithPion(t *testing.T) {
	sfu, err := New(Config{LoopbackOnly: true}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sfu.Close() }()
	pub := newTestPublisher(t)
	defer func() { _ = pub.Close() }()
	if _, err := pub.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
		t.Fatal(err)
	}
	valid := localOffer(t, pub)
	ufrag, pwd, fp := sdpAttr(valid, "ice-ufrag"), sdpAttr(valid, "ice-pwd"), sdpAttr(valid, "fingerprint")
	atSession := func(sdp, line string) string { // after the t= line
		return strings.Replace(sdp, "t=0 0\r\n", "t=0 0\r\n"+line+"\r\n", 1)
	}
	atSection := func(sdp, line string) string { // after the mid
		return strings.Replace(sdp, "a=mid:0\r\n", "a=mid:0\r\n"+line+"\r\n", 1)
	}
	tests := []struct {
		name string
		sdp  string
		ok   bool
	}{
		{"valid", valid, true},
		{"empty", "", false},
		{"no media, credentials at session level", atSession(atSession(atSession("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n",
			"a=ice-ufrag:"+ufrag), "a=ice-pwd:"+pwd), "a=fingerprint:"+fp), true},
		{"ICE credentials at session level", atSession(atSession(dropLines(valid, "a=ice-ufrag:", "a=ice-pwd:"),
			"a=ice-ufrag:"+ufrag), "a=ice-pwd:"+pwd), true},
		{"no ice-pwd", dropLines(valid, "a=ice-pwd:"), false},
		{"fingerprint at session level", atSession(dropLines(valid, "a=fingerprint:"), "a=fingerprint:"+fp), true},
		{"malformed fingerprint", strings.Replace(valid, "a=fingerprint:sha-256 ", "a=fingerprint:sha-256", 1), false},
		{"no BUNDLE, fingerprint kept", dropLines(valid, "a=group:"), true},
		{"only garbage candidates", atSection(dropLines(valid, "a=candidate:"), "a=candidate:1 1 udp high 127.0.0.1 9 typ host"), false},
		{"one candidate of an unknown type", atSection(dropLines(valid, "a=candidate:"), "a=candidate:1 1 udp 1 127.0.0.1 9 typ nonsense"), true},
		{"no candidates", dropLines(valid, "a=candidate:"), true},
		{"payload type without rtpmap", strings.Replace(valid, " 111\r\n", " 111 99\r\n", 1), false},
		{"static payload type", strings.Replace(valid, " 111\r\n", " 111 0\r\n", 1), true},
		{"payload type not a number", strings.Replace(valid, " 111\r\n", " 111 x\r\n", 1), false},
		{"malformed extmap", atSection(valid, "a=extmap:300 urn:x"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkOffer(tt.sdp, true)
			if (err == nil) != tt.ok {
				t.Errorf("checkOffer: %v, want ok %v", err, tt.ok)
			}
			pc, perr := sfu.pubAPI.NewPeerConnection(webrtc.Configuration{})
			if perr != nil {
				t.Fatal(perr)
			}
			defer func() { _ = pc.Close() }()
			perr = pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: tt.sdp})
			if (perr == nil) != (err == nil) {
				t.Errorf("checkOffer: %v; pion: %v", err, perr)
			}
		})
	}
}

// newPublishingPeer is an SFU on loopback with a peer "alice" whose
// published tracks arrive on published; both close when the test ends.
func newPublishingPeer(t *testing.T) (sfu *SFU, alice *Peer, published chan *Track) {
	t.Helper()
	sfu, err := New(Config{LoopbackOnly: true}, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sfu.Close() })
	published = make(chan *Track, 1)
	alice, err = sfu.NewPeer(PeerParams{ID: "alice", OnTrack: func(tr *Track) { published <- tr }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(alice.Close)
	return sfu, alice, published
}
