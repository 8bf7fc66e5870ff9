package main

import (
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/media/turn"
)

// The keys of ICE networks and TURN are checked together: what excludes
// or needs another is refused with a message naming the keys.
func TestReachConfig(t *testing.T) {
	for _, tc := range []struct {
		args []string
		err  string // "" means valid
	}{
		{[]string{"--ice-networks", "203.0.113.0/24,2001:db8::/32", "--ice-tcp-port", "3479"}, ""},
		{[]string{"--ice-networks", "lan"}, "ice-networks"},
		{[]string{"--ice-loopback-only", "--ice-networks", "10.0.0.0/8"}, "exclude each other"},
		{[]string{"--ice-tcp-port", "70000"}, "ice-tcp-port"},
		{[]string{"--turn-udp-port", "3478"}, ""},
		{[]string{"--turn-tls-port", "5349"}, "needs a certificate"},
		{[]string{"--turn-url", "turn:turn.example.org:3478"}, "turn-secret"},
		{[]string{"--turn-url", "https://turn.example.org", "--turn-secret", "x"}, "not a TURN URL"},
		{[]string{"--turn-url", "turn:t.example.org:3478?transport=udp,turns:t.example.org:443?transport=tcp", "--turn-secret", "x"}, ""},
		{[]string{"--turn-url", "turn:t.example.org", "--turn-secret", "x", "--turn-udp-port", "3478"}, "exclude each other"},
		{[]string{"--turn-udp-port", "3478", "--turn-allow-networks", "10.0.0.0/8,fd00::/8"}, ""},
		{[]string{"--turn-tls-cert", "c.pem"}, "go together"},
		{[]string{"--turn-max-allocations", "0"}, "turn-max-allocations"},
		{[]string{"--turn-credential-ttl", "10s"}, "turn-credential-ttl"},
	} {
		_, err := parseConfig(tc.args, func(string) string { return "" }, io.Discard)
		if tc.err == "" && err != nil {
			t.Errorf("%v: %v", tc.args, err)
		}
		if tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%v: error %v, want one saying %q", tc.args, err, tc.err)
		}
	}
}

// Each participant's welcome carries the TURN URLs with credentials of
// their own, minted at the join from the secret and valid for the TTL.
func TestICEServersMinted(t *testing.T) {
	ts := &turnSetup{urls: []string{"turn:t.example.org:3478?transport=udp"}, secret: "north", ttl: time.Hour}
	a, b := ts.iceServers("p1"), ts.iceServers("p2")
	if len(a) != 1 || a[0].URLs[0] != ts.urls[0] || !strings.HasSuffix(a[0].Username, ":p1") || !strings.HasSuffix(b[0].Username, ":p2") {
		t.Fatalf("iceServers: %+v, %+v", a, b)
	}
	if a[0].Credential != turn.Password("north", a[0].Username) {
		t.Error("the credential is not the TURN REST password of the username")
	}
	exp, _, _ := strings.Cut(a[0].Username, ":")
	sec, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		t.Fatalf("username %q does not start with an expiry: %v", a[0].Username, err)
	}
	if d := time.Until(time.Unix(sec, 0)); d < 59*time.Minute || d > time.Hour {
		t.Errorf("credentials expire in %v, want the TTL (1h)", d)
	}
}
