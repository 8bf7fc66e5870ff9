package main

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/media/turn"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// checkReach checks the keys of ICE networks and TURN.
func (c config) checkReach() error {
	for _, p := range []struct {
		name string
		v    int
	}{{"ice-tcp-port", c.ICETCPPort}, {"turn-udp-port", c.TURNUDPPort}, {"turn-tls-port", c.TURNTLSPort}} {
		if p.v < 0 || p.v > 65535 {
			return fmt.Errorf("%s: %d is not a port (0 to 65535)", p.name, p.v)
		}
	}
	if c.ICELoopbackOnly && c.ICENetworks != "" {
		return fmt.Errorf("ice-loopback-only and ice-networks exclude each other (ice-loopback-only is ice-networks 127.0.0.0/8,::1/128)")
	}
	for _, n := range []struct{ name, v string }{{"ice-networks", c.ICENetworks}, {"turn-allow-networks", c.TURNAllowNetworks}} {
		if _, err := media.ParseNetworks(n.v); err != nil {
			return fmt.Errorf("%s: %w", n.name, err)
		}
	}
	if (c.TURNTLSCert == "") != (c.TURNTLSKey == "") {
		return fmt.Errorf("turn-tls-cert and turn-tls-key go together: give both or neither")
	}
	embedded := c.TURNUDPPort != 0 || c.TURNTLSPort != 0
	if c.TURNURL != "" {
		if embedded {
			return fmt.Errorf("turn-url (an external TURN server) and turn-udp-port/turn-tls-port (the embedded one) exclude each other")
		}
		if c.TURNSecret == "" {
			return fmt.Errorf("turn-url needs turn-secret (the external server's shared secret)")
		}
		for _, u := range strings.Split(c.TURNURL, ",") {
			if p, err := url.Parse(strings.TrimSpace(u)); err != nil || (p.Scheme != "turn" && p.Scheme != "turns") || p.Opaque == "" {
				return fmt.Errorf("turn-url: %q is not a TURN URL such as turn:turn.example.org:3478?transport=udp", u)
			}
		}
	}
	if c.TURNTLSPort != 0 && c.TURNTLSCert == "" && c.TLSCert == "" && c.Domain == "" {
		return fmt.Errorf("turn-tls-port needs a certificate: turn-tls-cert and turn-tls-key, or the server's own (tls-cert or domain)")
	}
	if c.TURNMaxAllocations < 1 {
		return fmt.Errorf("turn-max-allocations must be at least 1")
	}
	if c.TURNCredentialTTL < time.Minute {
		return fmt.Errorf("turn-credential-ttl must be at least 1m")
	}
	return nil
}

// iceNetworks is --ice-networks parsed (checked by parseConfig).
func (c config) iceNetworks() []netip.Prefix {
	n, _ := media.ParseNetworks(c.ICENetworks)
	return n
}

// turnSetup is the TURN servers participants are told about: the
// embedded one (srv, nil when off) or an external one.
type turnSetup struct {
	srv    *turn.Server
	urls   []string
	secret string
	ttl    time.Duration
}

// startTURN starts the embedded TURN server when configured. serverTLS
// is the HTTPS server's TLS configuration (nil without TLS), whose
// certificate TURN over TLS uses unless it has its own. It returns nil
// when no TURN server is configured.
func startTURN(c config, sfu *media.SFU, serverTLS *tls.Config, log *zap.Logger) (*turnSetup, error) {
	if c.TURNURL != "" {
		var urls []string
		for _, u := range strings.Split(c.TURNURL, ",") {
			urls = append(urls, strings.TrimSpace(u))
		}
		return &turnSetup{urls: urls, secret: c.TURNSecret, ttl: c.TURNCredentialTTL}, nil
	}
	if c.TURNUDPPort == 0 && c.TURNTLSPort == 0 {
		return nil, nil
	}
	own := sfu.ListenIPs()
	for _, ip := range c.publicIPs() {
		own = append(own, net.ParseIP(strings.TrimSpace(ip)))
	}
	// Relays are announced on the first public address, else on the
	// first IPv4 media address (browsers allocate IPv4 relays unless told
	// otherwise), else the first one.
	relay := own[0]
	for _, ip := range own {
		if ip.To4() != nil {
			relay = ip
			break
		}
	}
	if pub := c.publicIPs(); len(pub) > 0 {
		relay = net.ParseIP(strings.TrimSpace(pub[0]))
	}
	allow, _ := media.ParseNetworks(c.TURNAllowNetworks)
	secret := c.TURNSecret
	if secret == "" {
		secret = turn.NewSecret()
	}
	tc := turn.Config{UDPPort: c.TURNUDPPort, TLSPort: c.TURNTLSPort, RelayIP: relay, Realm: c.TURNRealm,
		Secret: secret, AllowNetworks: allow, OwnIPs: own, MaxAllocations: c.TURNMaxAllocations}
	if c.TURNTLSPort != 0 {
		tc.TLSConfig = serverTLS
		if c.TURNTLSCert != "" {
			kp := &keyPair{cert: c.TURNTLSCert, key: c.TURNTLSKey, recheck: 10 * time.Second, log: log}
			if _, err := kp.load(); err != nil {
				return nil, fmt.Errorf("turn-tls-cert: %w", err)
			}
			tc.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: kp.get}
		}
	}
	srv, err := turn.New(tc, log.Named("turn"))
	if err != nil {
		return nil, err
	}
	host := c.turnHost(relay)
	ts := &turnSetup{srv: srv, secret: secret, ttl: c.TURNCredentialTTL}
	if c.TURNUDPPort != 0 {
		ts.urls = append(ts.urls, "turn:"+net.JoinHostPort(host, strconv.Itoa(c.TURNUDPPort))+"?transport=udp")
	}
	if c.TURNTLSPort != 0 {
		ts.urls = append(ts.urls, "turns:"+net.JoinHostPort(host, strconv.Itoa(c.TURNTLSPort))+"?transport=tcp")
	}
	return ts, nil
}

// turnHost is the host name in the embedded TURN server's URLs: the
// public URL's or --domain's host (which TURN over TLS's certificate
// names), else the relay address.
func (c config) turnHost(relay net.IP) string {
	if c.Domain != "" {
		return c.Domain
	}
	if u, err := url.Parse(c.PublicURL); err == nil && c.PublicURL != "" && u.Hostname() != "" {
		return u.Hostname()
	}
	return relay.String()
}

// iceServers mints a participant's credentials for the TURN servers:
// valid for the credential TTL from the join (a rejoin gets new ones).
func (t *turnSetup) iceServers(participantID string) []protocol.ICEServer {
	user, pass := turn.Mint(t.secret, participantID, time.Now().Add(t.ttl))
	return []protocol.ICEServer{{URLs: t.urls, Username: user, Credential: pass}}
}

// close stops the embedded server, if any.
func (t *turnSetup) close() {
	if t != nil && t.srv != nil {
		_ = t.srv.Close()
	}
}

// server is the embedded TURN server, or nil.
func (t *turnSetup) server() *turn.Server {
	if t == nil {
		return nil
	}
	return t.srv
}
