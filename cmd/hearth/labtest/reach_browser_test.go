package labtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/internal/netlab"
	"github.com/hearth-meet/hearth/web/webtest"
)

// certFiles writes a self-signed certificate for ip and its key into the
// test's directory and returns their paths.
func certFiles(t *testing.T, ip string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: ip},
		IPAddresses: []net.IP{net.ParseIP(ip)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for f, b := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "EC PRIVATE KEY", Bytes: kder}} {
		if err := os.WriteFile(f, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile
}

// meetBehind joins two people from one Chromium in the host's namespace
// and waits until each decodes the other's video and receives their
// audio; it returns the pages.
func meetBehind(t *testing.T, h *netlab.Hearth, host *netlab.Host, o webtest.Options) []*webtest.Page {
	t.Helper()
	b := labChromium(t, host, o)
	pages := []*webtest.Page{joinAs(t, b, h.MemberLink, "Imelda"), joinAs(t, b, h.MemberLink, "Teodoro")}
	for i, p := range pages {
		awaitFlowing(t, p, []string{"Imelda", "Teodoro"}[i], 1)
	}
	return pages
}

// checkPaths fails the test unless every connected peer connection of
// the pages goes over the path want says (a field left empty is not
// checked).
func checkPaths(t *testing.T, pages []*webtest.Page, want webtest.Path) {
	t.Helper()
	for i, p := range pages {
		paths := p.Paths()
		if len(paths) == 0 {
			t.Errorf("page %d has no connected peer connection", i)
		}
		for _, got := range paths {
			if (want.Type != "" && got.Type != want.Type) || (want.Protocol != "" && got.Protocol != want.Protocol) ||
				(want.RelayProtocol != "" && got.RelayProtocol != want.RelayProtocol) {
				t.Errorf("page %d reaches the server through %+v, want %+v", i, got, want)
			}
		}
	}
}

// labMetric returns the value of a metric (its name with labels) in the
// lab server's /metrics, or -1 when absent.
func labMetric(t *testing.T, h *netlab.Hearth, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+]+)$`).FindStringSubmatch(h.Get("/metrics"))
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// With all UDP dropped between the browser and the server, members join
// through the embedded TURN server over TLS (a self-signed certificate,
// which the test's Chromium is told to accept): each decodes the other's
// video and hears them, every connection is relayed over TLS, and
// /metrics counts the relayed connections and the allocations.
func TestLabTURNOverTLS(t *testing.T) {
	t.Parallel()
	s := netlab.NewStar(t)
	alice := s.Host("alice")
	alice.DropUDP()
	cert, key := certFiles(t, netlab.ServerIPv4)
	h := startLabHearth(t, s, "--ice-networks", netlab.StarNetworks, "--turn-tls-port", "5349",
		"--turn-tls-cert", cert, "--turn-tls-key", key)
	pages := meetBehind(t, h, alice, webtest.Options{Flags: map[string]any{"ignore-certificate-errors": true}})
	checkPaths(t, pages, webtest.Path{Type: "relay", RelayProtocol: "tls"})
	if n := labMetric(t, h, `hearth_turn_allocations_total`); n < 4 {
		t.Errorf("/metrics counts %v TURN allocations, want at least 4 (two connections for each of two people)", n)
	}
	relayed := labMetric(t, h, `hearth_ice_connections_total{candidate="relay",transport="udp"}`) +
		labMetric(t, h, `hearth_ice_connections_total{candidate="prflx",transport="udp"}`)
	if relayed < 4 || labMetric(t, h, `hearth_ice_connections_total{candidate="host",transport="udp"}`) != 0 {
		t.Errorf("/metrics counts %v relayed (or peer-reflexive) connections and some host ones, want at least 4 and none", relayed)
	}
}

// With all UDP dropped, members join over ICE over TCP (no TURN): every
// connection's selected pair is TCP, and /metrics counts them.
func TestLabICEOverTCP(t *testing.T) {
	t.Parallel()
	s := netlab.NewStar(t)
	alice := s.Host("alice")
	alice.DropUDP()
	h := startLabHearth(t, s, "--ice-networks", netlab.StarNetworks, "--ice-tcp-port", "8443")
	pages := meetBehind(t, h, alice, webtest.Options{})
	// The browser's side is an active TCP candidate (learnt as
	// peer-reflexive by the server, and often by the browser itself).
	checkPaths(t, pages, webtest.Path{Protocol: "tcp"})
	if n := labMetric(t, h, `hearth_ice_connections_total{candidate="host",transport="tcp"}`) +
		labMetric(t, h, `hearth_ice_connections_total{candidate="prflx",transport="tcp"}`); n < 4 {
		t.Errorf("/metrics counts %v connections over TCP, want at least 4", n)
	}
}

// A real coturn, started in the server's namespace with a shared secret,
// carries relay-only Chromium pages (iceTransportPolicy "relay") with the
// credentials hearth mints from --turn-secret.
func TestLabCoturn(t *testing.T) {
	t.Parallel()
	netlab.Require(t, "turnserver")
	s := netlab.NewStar(t)
	alice := s.Host("alice")
	const secret = "coturn-test-secret"
	dir := t.TempDir()
	logFile := filepath.Join(dir, "turnserver.log") // flushed line by line, unlike its stdout
	s.Server.Start("turnserver", "-n", "--verbose", "--no-cli", "--no-tls", "--no-dtls", "--simple-log", "--log-file="+logFile,
		"--listening-ip="+netlab.ServerIPv4, "--relay-ip="+netlab.ServerIPv4, "--listening-port=3478",
		"--use-auth-secret", "--static-auth-secret="+secret, "--realm=hearth.test", "--min-port=49200", "--max-port=49300",
		"--pidfile="+filepath.Join(dir, "turnserver.pid"), "--userdb="+filepath.Join(dir, "turndb"))
	coturnSays := func(substr string, within time.Duration) bool {
		for deadline := time.Now().Add(within); ; time.Sleep(100 * time.Millisecond) {
			if b, _ := os.ReadFile(logFile); strings.Contains(string(b), substr) {
				return true
			}
			if time.Now().After(deadline) {
				return false
			}
		}
	}
	if !coturnSays("Total General servers", 20*time.Second) {
		b, _ := os.ReadFile(logFile)
		t.Fatalf("coturn did not start in 20 s:\n%s", b)
	}
	h := startLabHearth(t, s, "--ice-networks", netlab.StarNetworks,
		"--turn-url", "turn:"+netlab.ServerIPv4+":3478?transport=udp", "--turn-secret", secret)
	pages := meetBehind(t, h, alice, webtest.Options{RTCConfig: `{"iceTransportPolicy": "relay"}`})
	checkPaths(t, pages, webtest.Path{Type: "relay", RelayProtocol: "udp"})
	if !coturnSays("ALLOCATE processed, success", time.Second) {
		b, _ := os.ReadFile(logFile)
		t.Errorf("coturn logged no authenticated session:\n%s", b)
	}
}
