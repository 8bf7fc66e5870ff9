// Package turn is Hearth's embedded TURN server (RFC 8656, on
// github.com/pion/turn) for members whose networks block the media port:
// TURN over UDP, and TURN over TLS (e.g. on 443) for networks that allow
// nothing else. It also mints the time-limited credentials of the TURN REST
// scheme (draft-uberti-behave-turn-rest), which an external coturn with
// use-auth-secret checks the same way.
//
// The server relays only to the SFU's own addresses (Config.OwnIPs), the
// only peer a member's browser needs, and to networks the operator names
// (Config.AllowNetworks): never to loopback, private, link-local,
// unique-local, CGNAT, multicast or cloud-metadata addresses (IPv4 and
// IPv6), nor to the rest of the internet. Each user (participant) holds a
// bounded number of allocations.
package turn

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // the TURN REST scheme is HMAC-SHA1
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	pionturn "github.com/pion/turn/v5"
	"go.uber.org/zap"
)

// DefaultMaxAllocations is a user's allocations at once: two peer
// connections, each over TURN/UDP and TURN/TLS, with room for an ICE
// restart.
const DefaultMaxAllocations = 8

// Config configures the embedded TURN server.
type Config struct {
	// UDPPort, when not 0, serves TURN over UDP on this port.
	UDPPort int
	// TLSPort, when not 0, serves TURN over TLS on this port with
	// TLSConfig (which must hold a certificate).
	TLSPort   int
	TLSConfig *tls.Config
	// ListenIP is the address the listeners bind to; empty means all.
	ListenIP string
	// RelayIP is the address relays are opened on and announced to
	// clients (the server's public address).
	RelayIP net.IP
	// Realm is the TURN realm (the server's host name is usual).
	Realm string
	// Secret is the shared secret of the credentials; Mint uses it.
	Secret string
	// AllowNetworks are networks relayed to besides OwnIPs.
	AllowNetworks []netip.Prefix
	// OwnIPs are the SFU's addresses: always relayed to.
	OwnIPs []net.IP
	// MaxAllocations bounds a user's allocations at once
	// (DefaultMaxAllocations when 0).
	MaxAllocations int
	// Now is the clock (time.Now when nil), for the credentials' expiry.
	Now func() time.Time
}

// Stats are the server's counters.
type Stats struct {
	Allocations      atomic.Int64  // allocations now
	AllocationsTotal atomic.Uint64 // allocations made since start
	QuotaRefused     atomic.Uint64 // allocations refused: the user had too many
	PeersRefused     atomic.Uint64 // permissions refused: an address not permitted
}

// Server is a running embedded TURN server.
type Server struct {
	// static after construction
	cfg   Config
	srv   *pionturn.Server
	log   *zap.Logger
	stats Stats

	mu      sync.Mutex     // guards perUser
	perUser map[string]int // allocations now, by user id
}

// New starts the TURN server's listeners.
func New(cfg Config, log *zap.Logger) (*Server, error) {
	if cfg.UDPPort == 0 && cfg.TLSPort == 0 {
		return nil, errors.New("turn: no port to serve")
	}
	if cfg.RelayIP == nil {
		return nil, errors.New("turn: no relay address")
	}
	if cfg.Secret == "" {
		return nil, errors.New("turn: no secret")
	}
	if cfg.TLSPort != 0 && (cfg.TLSConfig == nil || (len(cfg.TLSConfig.Certificates) == 0 && cfg.TLSConfig.GetCertificate == nil)) {
		return nil, errors.New("turn: TURN over TLS needs a certificate")
	}
	if cfg.MaxAllocations <= 0 {
		cfg.MaxAllocations = DefaultMaxAllocations
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{cfg: cfg, log: log, perUser: map[string]int{}}
	bind := cfg.ListenIP
	if bind == "" {
		bind = "0.0.0.0"
		if cfg.RelayIP.To4() == nil {
			bind = "::"
		}
	}
	gen := &pionturn.RelayAddressGeneratorStatic{RelayAddress: cfg.RelayIP, Address: bind}
	sc := pionturn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   s.auth,
		QuotaHandler:  s.quota,
		LoggerFactory: quietLoggers{log: log.Named("pion")},
		EventHandler: pionturn.EventHandler{
			OnAllocationCreated: func(_, _ net.Addr, _, user, _ string, _ net.Addr, _ int) { s.allocated(user, 1) },
			OnAllocationDeleted: func(_, _ net.Addr, _, user, _ string) { s.allocated(user, -1) },
		},
	}
	var closers []func() error
	fail := func(err error) (*Server, error) {
		for _, c := range closers {
			_ = c()
		}
		return nil, err
	}
	if cfg.UDPPort != 0 {
		pc, err := net.ListenPacket("udp", net.JoinHostPort(cfg.ListenIP, strconv.Itoa(cfg.UDPPort)))
		if err != nil {
			return fail(fmt.Errorf("turn: listen on UDP port %d: %w", cfg.UDPPort, err))
		}
		closers = append(closers, pc.Close)
		sc.PacketConnConfigs = append(sc.PacketConnConfigs, pionturn.PacketConnConfig{
			PacketConn: pc, RelayAddressGenerator: gen, PermissionHandler: s.permit})
	}
	if cfg.TLSPort != 0 {
		ln, err := tls.Listen("tcp", net.JoinHostPort(cfg.ListenIP, strconv.Itoa(cfg.TLSPort)), cfg.TLSConfig)
		if err != nil {
			return fail(fmt.Errorf("turn: listen on TLS port %d: %w", cfg.TLSPort, err))
		}
		closers = append(closers, ln.Close)
		sc.ListenerConfigs = append(sc.ListenerConfigs, pionturn.ListenerConfig{
			Listener: ln, RelayAddressGenerator: gen, PermissionHandler: s.permit})
	}
	srv, err := pionturn.NewServer(sc)
	if err != nil {
		return fail(fmt.Errorf("turn: %w", err))
	}
	s.srv = srv
	return s, nil
}

// Close stops the server and ends its allocations.
func (s *Server) Close() error { return s.srv.Close() }

// Stats returns the server's live counters.
func (s *Server) Stats() *Stats { return &s.stats }

// auth checks a TURN REST username ("expiry:user") and returns the key
// of its password; expired or malformed usernames are refused.
func (s *Server) auth(ra *pionturn.RequestAttributes) (string, []byte, bool) {
	user, ok := s.valid(ra.Username)
	if !ok {
		return "", nil, false
	}
	return user, pionturn.GenerateAuthKey(ra.Username, ra.Realm, Password(s.cfg.Secret, ra.Username)), true
}

// valid parses a TURN REST username and reports whether it has not
// expired; user is the part after the expiry.
func (s *Server) valid(username string) (user string, ok bool) {
	exp, user, found := strings.Cut(username, ":")
	if !found || user == "" {
		return "", false
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	return user, err == nil && s.cfg.Now().Unix() <= t
}

// quota refuses an allocation to a user (the id auth returned) who holds
// the maximum already.
func (s *Server) quota(user, _ string, _ net.Addr) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.perUser[user] >= s.cfg.MaxAllocations {
		s.stats.QuotaRefused.Add(1)
		return false
	}
	return true
}

func (s *Server) allocated(user string, delta int) {
	s.mu.Lock()
	if n := s.perUser[user] + delta; n > 0 {
		s.perUser[user] = n
	} else {
		delete(s.perUser, user)
	}
	s.mu.Unlock()
	s.stats.Allocations.Add(int64(delta))
	if delta > 0 {
		s.stats.AllocationsTotal.Add(1)
	}
}

// permit refuses permissions (and so relays) to addresses not permitted.
func (s *Server) permit(_ net.Addr, peer net.IP) bool {
	if Permitted(peer, s.cfg.AllowNetworks, s.cfg.OwnIPs) {
		return true
	}
	s.stats.PeersRefused.Add(1)
	return false
}

// Mint returns TURN REST credentials for user, valid until expires:
// username "expiry:user" (expiry in Unix seconds) and password
// base64(HMAC-SHA1(secret, username)).
func Mint(secret, user string, expires time.Time) (username, password string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + user
	return username, Password(secret, username)
}

// Password is the TURN REST password of username.
func Password(secret, username string) string {
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewSecret returns a random secret for an embedded server whose
// credentials no one else checks.
func NewSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// quietLoggers hands pion's TURN logs to zap at debug level: they name
// client addresses, which Hearth logs only when debugging.
type quietLoggers struct{ log *zap.Logger }

func (q quietLoggers) NewLogger(scope string) logging.LeveledLogger {
	return &quietLogger{log: q.log.Named(scope).Sugar()}
}

type quietLogger struct{ log *zap.SugaredLogger }

func (l *quietLogger) Trace(string)          {}
func (l *quietLogger) Tracef(string, ...any) {}
func (l *quietLogger) Debug(m string)        { l.log.Debug(m) }
func (l *quietLogger) Debugf(f string, a ...any) {
	l.log.Debugf(f, a...)
}
func (l *quietLogger) Info(m string)             { l.log.Debug(m) }
func (l *quietLogger) Infof(f string, a ...any)  { l.log.Debugf(f, a...) }
func (l *quietLogger) Warn(m string)             { l.log.Debug(m) }
func (l *quietLogger) Warnf(f string, a ...any)  { l.log.Debugf(f, a...) }
func (l *quietLogger) Error(m string)            { l.log.Debug(m) }
func (l *quietLogger) Errorf(f string, a ...any) { l.log.Debugf(f, a...) }
