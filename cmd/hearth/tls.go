package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/acme"
	"golang.org/x/crypto/acme/autocert"
)

// tlsSetup is how the main listener serves HTTPS: its TLS configuration,
// and the handler of the plain-HTTP listener (a redirect to HTTPS, which
// with ACME also answers HTTP-01 challenges).
type tlsSetup struct {
	config   *tls.Config
	redirect func(target func(*http.Request) string) http.Handler
}

// newTLS is the TLS setup of the configuration, or nil without TLS.
// Certificates come from --tls-cert/--tls-key (read again when the files
// change, so a renewal needs no restart) or from ACME for --domain, kept
// in --data-dir/autocert. TLS 1.2 is the minimum; HTTP/2 is not offered,
// so WebSocket upgrades always work.
func newTLS(c config, log *zap.Logger) (*tlsSetup, error) {
	base := &tls.Config{MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	switch {
	case c.TLSCert != "":
		kp := &keyPair{cert: c.TLSCert, key: c.TLSKey, recheck: 10 * time.Second, log: log}
		if _, err := kp.load(); err != nil {
			return nil, err
		}
		base.GetCertificate = kp.get
		return &tlsSetup{config: base, redirect: func(target func(*http.Request) string) http.Handler {
			return redirectHandler(target)
		}}, nil
	case c.Domain != "":
		dir := filepath.Join(c.DataDir, "autocert")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("domain: the certificate cache: %w", err)
		}
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      autocert.DirCache(dir),
			HostPolicy: autocert.HostWhitelist(c.Domain),
			Email:      c.ACMEEmail,
			Client:     &acme.Client{DirectoryURL: c.ACMEDirectory},
		}
		base.GetCertificate = m.GetCertificate
		base.NextProtos = append(base.NextProtos, acme.ALPNProto) // TLS-ALPN-01 challenges
		return &tlsSetup{config: base, redirect: func(target func(*http.Request) string) http.Handler {
			return m.HTTPHandler(redirectHandler(target))
		}}, nil
	}
	return nil, nil
}

// redirectHandler sends every request to the same path on HTTPS.
func redirectHandler(target func(*http.Request) string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target(r)+r.URL.RequestURI(), http.StatusPermanentRedirect)
	})
}

// httpsBase is the HTTPS origin a plain-HTTP request is sent to:
// --public-url or --domain when given, otherwise the host the request
// named with the main listener's port.
func (c config) httpsBase(listen net.Addr) func(*http.Request) string {
	if c.PublicURL != "" || c.Domain != "" {
		base := c.baseURL(listen)
		return func(*http.Request) string { return base }
	}
	port := fmt.Sprint(portOf(listen))
	return func(r *http.Request) string {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		host = strings.Trim(host, "[]")
		if port == "443" {
			return "https://" + hostForURL(host)
		}
		return "https://" + net.JoinHostPort(host, port)
	}
}

// hostForURL puts an IPv6 address in brackets.
func hostForURL(host string) string {
	if strings.Contains(host, ":") {
		return "[" + host + "]"
	}
	return host
}

// keyPair is a certificate and key read from files, read again when
// either file's modification time changes (checked at most every
// recheck).
type keyPair struct {
	cert, key string
	recheck   time.Duration
	log       *zap.Logger

	mu      sync.Mutex // guards the fields below
	current *tls.Certificate
	mtimes  [2]time.Time
	checked time.Time
}

// load reads the files if they changed since the last read.
func (kp *keyPair) load() (*tls.Certificate, error) {
	kp.mu.Lock()
	defer kp.mu.Unlock()
	if kp.current != nil && time.Since(kp.checked) < kp.recheck {
		return kp.current, nil
	}
	kp.checked = time.Now()
	var mt [2]time.Time
	for i, f := range []string{kp.cert, kp.key} {
		st, err := os.Stat(f)
		if err != nil {
			if kp.current != nil {
				return kp.current, nil // keep serving the last good one
			}
			return nil, fmt.Errorf("tls: %w", err)
		}
		mt[i] = st.ModTime()
	}
	if kp.current != nil && mt == kp.mtimes {
		return kp.current, nil
	}
	c, err := tls.LoadX509KeyPair(kp.cert, kp.key)
	if err != nil {
		if kp.current != nil {
			kp.log.Warn("could not read the renewed certificate; serving the previous one", zap.Error(err))
			return kp.current, nil
		}
		return nil, fmt.Errorf("tls-cert, tls-key: %w", err)
	}
	if kp.current != nil {
		kp.log.Info("certificate files read again")
	}
	kp.current, kp.mtimes = &c, mt
	return kp.current, nil
}

func (kp *keyPair) get(*tls.ClientHelloInfo) (*tls.Certificate, error) { return kp.load() }
