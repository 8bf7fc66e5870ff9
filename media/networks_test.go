package media

import (
	"net/netip"
	"regexp"
	"testing"

	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// With ICE networks set, the SFU opens its media sockets and gathers
// candidates only on the machine's addresses in them (this machine has
// other interfaces besides loopback).
func TestICENetworks(t *testing.T) {
	for _, tc := range []struct {
		networks string
		want     string // every candidate address in the answer
	}{
		{"127.0.0.0/8", "127.0.0.1"},
		{"::1/128", "::1"},
	} {
		t.Run(tc.networks, func(t *testing.T) {
			nets, err := ParseNetworks(tc.networks)
			if err != nil {
				t.Fatal(err)
			}
			sfu, err := New(Config{Networks: nets}, zap.NewNop())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = sfu.Close() }()
			for _, ip := range sfu.ListenIPs() {
				if ip.String() != tc.want {
					t.Errorf("media socket on %s, outside %s", ip, tc.networks)
				}
			}
			peer, err := sfu.NewPeer(PeerParams{ID: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			pub := newLoopbackClient(t, nil, nil)
			defer func() { _ = pub.Close() }()
			if _, err := pub.AddTransceiverFromKind(webrtc.RTPCodecTypeAudio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
				t.Fatal(err)
			}
			answer, err := peer.HandleOffer(localOffer(t, pub))
			if err != nil {
				t.Fatal(err)
			}
			cands := regexp.MustCompile(`a=candidate:\S+ \d+ \w+ \d+ (\S+) `).FindAllStringSubmatch(answer, -1)
			if len(cands) == 0 {
				t.Fatalf("the answer has no candidates:\n%s", answer)
			}
			for _, c := range cands {
				if c[1] != tc.want {
					t.Errorf("the answer offers %s, outside %s", c[1], tc.networks)
				}
			}
		})
	}
	if _, err := ParseNetworks("203.0.113.0/24, 2001:db8::1,nonsense"); err == nil {
		t.Error("ParseNetworks took nonsense")
	}
	if n, _ := ParseNetworks("2001:db8::1"); len(n) != 1 || n[0] != netip.MustParsePrefix("2001:db8::1/128") {
		t.Errorf("a bare address parses as %v, want one host", n)
	}
}
