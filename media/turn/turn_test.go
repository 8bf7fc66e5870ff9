package turn

import (
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
	"go.uber.org/zap"
)

// startServer runs an embedded TURN server on a free UDP port of ip,
// with cfg's other fields.
func startServer(t *testing.T, ip string, cfg Config) (*Server, string) {
	t.Helper()
	pc, err := net.ListenPacket("udp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatal(err)
	}
	port := pc.LocalAddr().(*net.UDPAddr).Port
	_ = pc.Close()
	cfg.UDPPort, cfg.ListenIP, cfg.RelayIP, cfg.Realm = port, ip, net.ParseIP(ip), "hearth.test"
	if cfg.Secret == "" {
		cfg.Secret = "s3cret"
	}
	s, err := New(cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, net.JoinHostPort(ip, strconv.Itoa(port))
}

// newClient is a real TURN client (pion/turn's) of the server at addr,
// with TURN REST credentials for user from secret.
func newClient(t *testing.T, addr, secret, user string, expires time.Time) *pionturn.Client {
	t.Helper()
	host, _, _ := net.SplitHostPort(addr)
	conn, err := net.ListenPacket("udp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	username, password := Mint(secret, user, expires)
	c, err := pionturn.NewClient(&pionturn.ClientConfig{TURNServerAddr: addr, STUNServerAddr: addr,
		Username: username, Password: password, Realm: "hearth.test", Conn: conn})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); _ = conn.Close() })
	return c
}

// The server refuses to relay to loopback, private, link-local, CGNAT,
// cloud-metadata and unique-local addresses, IPv4 and IPv6, and to public
// addresses; it relays to its own SFU's addresses and to allowed
// networks. Checked with pion/turn's client: CreatePermission fails with
// the server's 403.
func TestRefusesBlockedPeers(t *testing.T) {
	for _, family := range []string{"127.0.0.1", "::1"} {
		t.Run(family, func(t *testing.T) {
			s, addr := startServer(t, family, Config{
				AllowNetworks: []netip.Prefix{netip.MustParsePrefix("10.9.0.0/16"), netip.MustParsePrefix("fd12::/16")},
				OwnIPs:        []net.IP{net.ParseIP("192.168.7.7"), net.ParseIP("fd00::7")},
			})
			c := newClient(t, addr, "s3cret", "participant-1", time.Now().Add(time.Hour))
			relay, err := c.Allocate()
			if err != nil {
				t.Fatalf("allocate: %v", err)
			}
			defer relay.Close()
			// A relay reaches peers of its own address family.
			refused := []string{"127.0.0.1", "10.0.0.1", "169.254.169.254", "100.64.0.1", "172.16.0.1", "192.168.0.1",
				"100.100.100.200", "0.0.0.0", "8.8.4.4"}
			allowed := []string{"10.9.0.1", "192.168.7.7"}
			if family == "::1" {
				refused = []string{"::1", "fc00::1", "fe80::1", "fd00:ec2::254", "64:ff9b::a00:1", "::", "2606:4700::1"}
				allowed = []string{"fd12::1", "fd00::7"}
			}
			for _, ip := range refused {
				before := s.Stats().PeersRefused.Load()
				if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(ip), Port: 9}); err == nil {
					t.Errorf("permission to relay to %s granted", ip)
				} else if s.Stats().PeersRefused.Load() != before+1 {
					t.Errorf("permission to %s refused (%v), but not by the server's rule", ip, err)
				}
			}
			for _, ip := range allowed {
				// A permission only: nothing is sent to the peer.
				if err := c.CreatePermission(&net.UDPAddr{IP: net.ParseIP(ip), Port: 9}); err != nil {
					t.Errorf("permission to relay to %s refused: %v", ip, err)
				}
			}
		})
	}
}

// Expired or forged credentials get no allocation; a user's allocations
// are capped.
func TestCredentialsAndQuota(t *testing.T) {
	s, addr := startServer(t, "127.0.0.1", Config{MaxAllocations: 2})
	for _, tc := range []struct {
		name, secret string
		expires      time.Time
	}{
		{"expired", "s3cret", time.Now().Add(-time.Minute)},
		{"wrong secret", "guess", time.Now().Add(time.Hour)},
	} {
		if _, err := newClient(t, addr, tc.secret, "p", tc.expires).Allocate(); err == nil {
			t.Errorf("%s credentials: allocation granted", tc.name)
		}
	}
	for i := range 3 {
		_, err := newClient(t, addr, "s3cret", "alice", time.Now().Add(time.Hour)).Allocate()
		if (err == nil) != (i < 2) {
			t.Errorf("alice's allocation %d: %v, want granted only for the first 2", i+1, err)
		}
	}
	if _, err := newClient(t, addr, "s3cret", "bob", time.Now().Add(time.Hour)).Allocate(); err != nil {
		t.Errorf("bob's first allocation refused: %v", err)
	}
	st := s.Stats()
	if st.Allocations.Load() != 3 || st.AllocationsTotal.Load() != 3 || st.QuotaRefused.Load() != 1 {
		t.Errorf("stats: %d allocations, %d made, %d over quota; want 3, 3, 1",
			st.Allocations.Load(), st.AllocationsTotal.Load(), st.QuotaRefused.Load())
	}
}

// Mint follows the TURN REST scheme that coturn's use-auth-secret checks.
func TestMint(t *testing.T) {
	u, p := Mint("north", "p1", time.Unix(1700000000, 0))
	// echo -n 1700000000:p1 | openssl dgst -sha1 -hmac north -binary | base64
	if u != "1700000000:p1" || p != "qmV1Ez2SwzrylXCPMqxg9P1hY0Y=" {
		t.Errorf("Mint = %q, %q", u, p)
	}
}
