package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"
)

// selfSigned makes a certificate for names (host names or IP addresses)
// and returns its PEM certificate and key, and the parsed certificate.
func selfSigned(t *testing.T, names ...string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: pkix.Name{CommonName: names[0]},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, n)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cert
}

// loggedPort is a port the server's "serving" log line gives.
func loggedPort(t *testing.T, ts *testServer, field string) int {
	t.Helper()
	for _, line := range strings.Split(ts.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "serving" {
			if p, ok := m[field].(float64); ok {
				return int(p)
			}
			t.Fatalf("the serving line has no %s: %s", field, line)
		}
	}
	t.Fatalf("no serving line in the logs:\n%s", ts.logs)
	return 0
}

// httpsClient trusts cert only and offers at most TLS version max.
func httpsClient(cert *x509.Certificate, serverName string, maxVersion uint16) *http.Client {
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: serverName, MaxVersion: maxVersion}},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// HTTPS from certificate files: pages and the WebSocket work over TLS
// 1.2 and up, TLS 1.1 is refused, printed links are https, and the
// plain-HTTP listener redirects to the same path on HTTPS.
func TestTLSFromFiles(t *testing.T) {
	certPEM, keyPEM, cert := selfSigned(t, "127.0.0.1")
	certFile, keyFile := writeFile(t, "cert.pem", string(certPEM)), writeFile(t, "key.pem", string(keyPEM))
	ts := startServer(t, "--tls-cert", certFile, "--tls-key", keyFile, "--http-redirect-addr", "127.0.0.1:0")
	base := "https://" + ts.addr.String()
	if !strings.HasPrefix(ts.memberLink, base+"/r/") {
		t.Errorf("member link %q, want it on %s", ts.memberLink, base)
	}
	client := httpsClient(cert, "", 0)
	resp, err := client.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 || resp.Proto != "HTTP/1.1" {
		t.Errorf("healthz over TLS: %s %s %+v", resp.Status, resp.Proto, resp.TLS)
	}
	if _, err := httpsClient(cert, "", tls.VersionTLS11).Get(base + "/healthz"); err == nil {
		t.Error("a TLS 1.1 client was served")
	}
	if resp, err := http.Get("http://" + ts.addr.String() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain HTTP on the TLS listener: %s, want 400", resp.Status)
		}
	}

	// A member joins over wss.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "wss://"+ts.addr.String()+"/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if code, msg, err := joinOver(ctx, c, memberJoin(ts.memberLink, "Rosa")); code != "welcome" {
		t.Errorf("join over wss: %s %s %v", code, msg, err)
	}

	// The redirect listener.
	redirect := loggedPort(t, ts, "http_redirect_port")
	resp, err = client.Get("http://127.0.0.1:" + strconv.Itoa(redirect) + "/r/abc?x=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := base + "/r/abc?x=1"; resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != want {
		t.Errorf("redirect: %s to %q, want 308 to %q", resp.Status, resp.Header.Get("Location"), want)
	}
}

// ACME wiring for --domain (no ACME authority is reachable here, so the
// certificate is put in the cache as one from the authority would be):
// the certificate for the domain comes from <data-dir>/autocert, other
// names are refused without asking any authority, and the plain-HTTP
// listener answers HTTP-01 challenges from the cache and redirects the
// rest to https://domain.
func TestTLSFromACMECache(t *testing.T) {
	const domain = "meet.example.test"
	dataDir := t.TempDir()
	certPEM, keyPEM, cert := selfSigned(t, domain)
	cache := filepath.Join(dataDir, "autocert")
	if err := os.MkdirAll(cache, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, domain), append(keyPEM, certPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "tok123+http-01"), []byte("tok123.thumbprint"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "--domain", domain, "--data-dir", dataDir, "--http-redirect-addr", "127.0.0.1:0",
		"--acme-directory", "https://127.0.0.1:9/directory")
	base := "https://" + domain + ":" + strconv.Itoa(portOf(ts.addr))
	if !strings.HasPrefix(ts.memberLink, base+"/r/") {
		t.Errorf("member link %q, want it on %s", ts.memberLink, base)
	}
	client := httpsClient(cert, domain, 0)
	resp, err := client.Get("https://" + ts.addr.String() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.TLS.Version < tls.VersionTLS12 {
		t.Errorf("healthz: %s %+v", resp.Status, resp.TLS)
	}
	if _, err := httpsClient(cert, "other.example.test", 0).Get("https://" + ts.addr.String() + "/healthz"); err == nil {
		t.Error("a certificate was served for a name other than --domain")
	}

	redirect := "http://127.0.0.1:" + strconv.Itoa(loggedPort(t, ts, "http_redirect_port"))
	get := func(path string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, redirect+path, nil)
		req.Host = domain
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	if resp, body := get("/.well-known/acme-challenge/tok123"); resp.StatusCode != http.StatusOK || body != "tok123.thumbprint" {
		t.Errorf("HTTP-01 challenge: %s %q", resp.Status, body)
	}
	if resp, _ := get("/r/abc"); resp.StatusCode != http.StatusPermanentRedirect || resp.Header.Get("Location") != base+"/r/abc" {
		t.Errorf("redirect: %s to %q, want 308 to %s/r/abc", resp.Status, resp.Header.Get("Location"), base)
	}
}

// Renewed certificate files are served without a restart; a broken
// renewal keeps the last good pair.
func TestKeyPairReloads(t *testing.T) {
	certPEM, keyPEM, first := selfSigned(t, "127.0.0.1")
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	write := func(c, k []byte, at time.Time) {
		for f, b := range map[string][]byte{certFile: c, keyFile: k} {
			if err := os.WriteFile(f, b, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(f, at, at); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(certPEM, keyPEM, time.Now().Add(-time.Hour))
	kp := &keyPair{cert: certFile, key: keyFile, log: zap.NewNop()}
	serial := func() string {
		c, err := kp.get(nil)
		if err != nil {
			t.Fatal(err)
		}
		leaf, _ := x509.ParseCertificate(c.Certificate[0])
		return leaf.SerialNumber.String()
	}
	if got := serial(); got != first.SerialNumber.String() {
		t.Fatalf("serial %s, want %s", got, first.SerialNumber)
	}
	certPEM2, keyPEM2, second := selfSigned(t, "127.0.0.1")
	write(certPEM2, keyPEM2, time.Now())
	if got := serial(); got != second.SerialNumber.String() {
		t.Errorf("after renewal serial %s, want %s", got, second.SerialNumber)
	}
	write([]byte("not a certificate"), keyPEM2, time.Now().Add(time.Minute))
	if got := serial(); got != second.SerialNumber.String() {
		t.Errorf("after a broken renewal serial %s, want the previous %s", got, second.SerialNumber)
	}
}
