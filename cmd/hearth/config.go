package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/signaling"
)

// config is the server's configuration. Every field is a key of the
// table in keys(): it comes from its default, then the YAML file named by
// --config (HEARTH_CONFIG), then its environment variable, then its flag,
// each later one winning (see docs/configuration.md).
type config struct {
	// HTTP
	Addr      string
	PublicURL string

	// TLS (tls.go): certificate files, or ACME for Domain.
	TLSCert          string
	TLSKey           string
	Domain           string
	ACMEEmail        string
	ACMEDirectory    string
	HTTPRedirectAddr string

	// Media
	ICEUDPPort      int
	ICELoopbackOnly bool
	ICEPublicIPs    string
	BatchSize       int
	ICENetworks     string // CIDRs ICE is limited to
	ICETCPPort      int    // ICE over TCP; 0: off

	// TURN (turn.go): embedded, or an external server's URLs and secret.
	TURNUDPPort        int
	TURNTLSPort        int
	TURNRealm          string
	TURNTLSCert        string
	TURNTLSKey         string
	TURNURL            string
	TURNSecret         string
	TURNAllowNetworks  string
	TURNMaxAllocations int
	TURNCredentialTTL  time.Duration

	// Logs and metrics
	LogFormat   string
	LogLevel    string
	MetricsAddr string
	DebugAddr   string // net/http/pprof on a loopback address (debug.go); empty: off

	// Rooms, operators and other instances
	DataDir        string
	AdminToken     string
	AdminTokenFile string
	RedisURL       string
	InstanceURL    string

	// The meeting page
	SupportText string // shown when a meeting ends for someone (web.Options)
	CrisisText  string // the "Get help now" panel (web.Options)

	// Lifetimes
	DrainTimeout time.Duration
	ResumeGrace  time.Duration

	// Admission: how fast people may arrive (see docs/configuration.md).
	JoinRate           float64 // joins per minute per room on this instance; 0: no limit
	JoinBurst          int
	AddressConnections int     // WebSocket connections per client address; 0: no limit
	AddressJoinRate    float64 // joins per minute per client address; 0: no limit
	AddressJoinBurst   int
	TrustedProxies     string // CIDRs whose X-Forwarded-For is believed
}

// key is one configuration key: its name is the flag (--name), the YAML
// key (name) and the environment variable (HEARTH_NAME, dashes as
// underscores). field points at its config field: a *string, *int,
// *float64, *bool or *time.Duration.
type key struct {
	name  string
	def   string
	usage string
	field func(*config) any
}

// keys is the table of every configuration key. Adding a key is one line
// here (and its field in config, and its row in docs/configuration.md,
// which TestConfigKeysDocumented checks).
func keys() []key {
	return []key{
		{"addr", ":8080", "HTTP (or, with TLS, HTTPS) listen address", func(c *config) any { return &c.Addr }},
		{"public-url", "", "base URL of printed links, e.g. https://meet.example.org (default from --addr or --domain)", func(c *config) any { return &c.PublicURL }},
		{"tls-cert", "", "PEM certificate chain file; with --tls-key serves HTTPS on --addr", func(c *config) any { return &c.TLSCert }},
		{"tls-key", "", "PEM private key file of --tls-cert", func(c *config) any { return &c.TLSKey }},
		{"domain", "", "serve HTTPS for this host name with certificates from ACME (Let's Encrypt), cached in --data-dir", func(c *config) any { return &c.Domain }},
		{"acme-email", "", "contact address given to the ACME certificate authority (optional)", func(c *config) any { return &c.ACMEEmail }},
		{"acme-directory", "https://acme-v02.api.letsencrypt.org/directory", "ACME directory URL (e.g. Let's Encrypt's staging one)", func(c *config) any { return &c.ACMEDirectory }},
		{"http-redirect-addr", "", "plain-HTTP listener redirecting to HTTPS and answering ACME challenges; default :80 with TLS; off: none", func(c *config) any { return &c.HTTPRedirectAddr }},
		{"ice-udp-port", "50000", "the one UDP port for all media; 0 picks a free one", func(c *config) any { return &c.ICEUDPPort }},
		{"ice-loopback-only", "false", "gather only loopback ICE candidates and ignore non-loopback remote ones; for tests", func(c *config) any { return &c.ICELoopbackOnly }},
		{"ice-public-ip", "", "comma-separated IP addresses to advertise in ICE candidates instead of the host's own, for 1:1 NAT", func(c *config) any { return &c.ICEPublicIPs }},
		{"batch-size", "32", "UDP packets sent per sendmmsg batch; 1 turns batching off", func(c *config) any { return &c.BatchSize }},
		{"ice-networks", "", "comma-separated CIDRs: gather ICE candidates only on addresses in them and accept only remote candidates in them (ice-loopback-only is 127.0.0.0/8,::1/128)", func(c *config) any { return &c.ICENetworks }},
		{"ice-tcp-port", "0", "TCP port for ICE over TCP, the fallback of networks that block UDP; 0: off", func(c *config) any { return &c.ICETCPPort }},
		{"turn-udp-port", "0", "UDP port of the embedded TURN server (e.g. 3478); 0: off", func(c *config) any { return &c.TURNUDPPort }},
		{"turn-tls-port", "0", "TCP port of the embedded TURN server over TLS (e.g. 443 on an address of its own, or 5349); 0: off", func(c *config) any { return &c.TURNTLSPort }},
		{"turn-realm", "hearth", "realm of the embedded TURN server", func(c *config) any { return &c.TURNRealm }},
		{"turn-tls-cert", "", "PEM certificate chain of TURN over TLS (default: the server's own, tls-cert or ACME)", func(c *config) any { return &c.TURNTLSCert }},
		{"turn-tls-key", "", "PEM private key of turn-tls-cert", func(c *config) any { return &c.TURNTLSKey }},
		{"turn-url", "", "comma-separated URLs of an external TURN server (coturn), e.g. turn:turn.example.org:3478?transport=udp,turns:turn.example.org:443?transport=tcp", func(c *config) any { return &c.TURNURL }},
		{"turn-secret", "", "shared secret of TURN REST credentials (coturn's static-auth-secret); required with turn-url", func(c *config) any { return &c.TURNSecret }},
		{"turn-allow-networks", "", "comma-separated CIDRs the embedded TURN server may relay to besides Hearth's own media addresses (by default it relays to nothing else)", func(c *config) any { return &c.TURNAllowNetworks }},
		{"turn-max-allocations", "8", "TURN allocations one participant may hold at once on the embedded server", func(c *config) any { return &c.TURNMaxAllocations }},
		{"turn-credential-ttl", "12h", "how long TURN credentials minted at a join stay valid", func(c *config) any { return &c.TURNCredentialTTL }},
		{"log-format", "json", "log format: json (production) or console (development)", func(c *config) any { return &c.LogFormat }},
		{"log-level", "info", "log level: debug, info, warn, error", func(c *config) any { return &c.LogLevel }},
		{"metrics-addr", "", "serve /metrics on this address only (e.g. 127.0.0.1:9090) instead of on --addr", func(c *config) any { return &c.MetricsAddr }},
		{"debug-addr", "", "serve Go's runtime profiles (net/http/pprof, /debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060, for operators on the machine; empty: off", func(c *config) any { return &c.DebugAddr }},
		{"data-dir", "./hearth-data", "directory of the rooms' store and the ACME certificate cache", func(c *config) any { return &c.DataDir }},
		{"admin-token", "", "bearer token for the operators' API and /admin; empty (and no --admin-token-file) turns them off", func(c *config) any { return &c.AdminToken }},
		{"admin-token-file", "", "file holding the admin token (instead of --admin-token)", func(c *config) any { return &c.AdminTokenFile }},
		{"redis-url", "", "redis://host:6379/0, or redis-sentinel://host:26379,host:26379/MASTERNAME for a Sentinel set, to share rooms with other instances; empty keeps rooms in --data-dir", func(c *config) any { return &c.RedisURL }},
		{"instance-url", "", "where other instances reach this one's signaling endpoint for media relays, e.g. ws://10.0.0.5:8080/ws (default from --addr)", func(c *config) any { return &c.InstanceURL }},
		{"support-text", "", "text the meeting page shows when a meeting ends for someone (removed, not admitted, ended), e.g. a helpline; empty: none", func(c *config) any { return &c.SupportText }},
		{"crisis-text", "", "text of the \"Get help now\" panel, reachable from every page of a meeting (e.g. a crisis line, the center's on-call number); empty: the support-text, and with both empty no panel", func(c *config) any { return &c.CrisisText }},
		{"drain-timeout", "30m", "on SIGTERM, how long running meetings may go on before the process ends", func(c *config) any { return &c.DrainTimeout }},
		{"resume-grace", "30s", "how long a participant whose connection dropped keeps their place (presence, media, hand, mute) for their client to resume; 0: none", func(c *config) any { return &c.ResumeGrace }},
		{"join-rate", fmt.Sprint(defaultJoinRate), "joins per minute into one room on this instance, after the burst; facilitators exempt; 0: no limit", func(c *config) any { return &c.JoinRate }},
		{"join-burst", fmt.Sprint(defaultJoinBurst), "joins into one room at once before --join-rate applies", func(c *config) any { return &c.JoinBurst }},
		{"address-connections", fmt.Sprint(defaultAddressConnections), "WebSocket connections one client address may hold at once; 0: no limit", func(c *config) any { return &c.AddressConnections }},
		{"address-join-rate", fmt.Sprint(defaultAddressJoinRate), "joins per minute from one client address, after the burst; 0: no limit", func(c *config) any { return &c.AddressJoinRate }},
		{"address-join-burst", fmt.Sprint(defaultAddressJoinBurst), "joins from one client address at once before --address-join-rate applies", func(c *config) any { return &c.AddressJoinBurst }},
		{"trusted-proxies", defaultTrustedProxies, "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1/32,10.0.0.0/8; none trusts none", func(c *config) any { return &c.TrustedProxies }},
	}
}

// Defaults of admission. A family, a clinic or a residential programme
// often shares one address behind NAT: 50 connections and a burst of 30
// joins let a group of 30 arrive at once from one network (then one join
// every 3 s), while 99 scripted joins from one address are cut to 30. The
// room's burst (40) is larger than one address's, so no single network
// can use it up; with its refill (one a second) it lets a meeting's start
// through and blunts a wave from many addresses until a facilitator acts.
const (
	defaultJoinRate           = 60
	defaultJoinBurst          = 40
	defaultAddressConnections = 50
	defaultAddressJoinRate    = 20
	defaultAddressJoinBurst   = 30
	// A proxy on the same host (deploy/Caddyfile) is trusted unless told
	// otherwise, so that clients behind it are not all one address.
	defaultTrustedProxies = "127.0.0.0/8,::1/128"
)

// envName is the environment variable of a key: HEARTH_ and the name in
// upper case, dashes as underscores.
func envName(name string) string {
	return "HEARTH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// configEnv is the variable naming the configuration file.
const configEnv = "HEARTH_CONFIG"

// defaults is the configuration with every key at its default.
func defaults() (config, error) {
	var c config
	for _, k := range keys() {
		if err := setField(k.field(&c), k.def); err != nil {
			return c, fmt.Errorf("default of %s: %q is %w", k.name, k.def, err)
		}
	}
	return c, nil
}

// parseConfig builds the configuration from defaults, the file named by
// --config or HEARTH_CONFIG, the environment and the flags in args, in
// that order, checks it and reads the admin token file. Help goes to
// stderr.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	c, err := defaults()
	if err != nil {
		return c, err
	}
	ks := keys()
	fs := flag.NewFlagSet("hearth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", getenv(configEnv), "YAML configuration file ("+configEnv+")")
	given := map[string]string{}
	for _, k := range ks {
		fs.Var(&flagValue{k: k, given: given}, k.name, k.usage+" ("+envName(k.name)+")")
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if *file != "" {
		if err := applyFile(&c, *file); err != nil {
			return c, err
		}
	}
	for _, k := range ks {
		if v := getenv(envName(k.name)); v != "" {
			if err := setField(k.field(&c), v); err != nil {
				return c, fmt.Errorf("%s: %q is %w", envName(k.name), v, err)
			}
		}
	}
	for _, k := range ks {
		if v, ok := given[k.name]; ok {
			_ = setField(k.field(&c), v) // checked by flagValue.Set
		}
	}
	if err := c.check(); err != nil {
		return c, err
	}
	return c, c.readAdminTokenFile()
}

// flagValue is a key's flag: it checks the value and records it in given,
// to be applied after the file and the environment.
type flagValue struct {
	k     key
	given map[string]string
}

func (f *flagValue) String() string {
	if f == nil {
		return ""
	}
	return f.k.def
}

func (f *flagValue) Set(s string) error {
	var scratch config
	if err := setField(f.k.field(&scratch), s); err != nil {
		return err
	}
	f.given[f.k.name] = s
	return nil
}

// IsBoolFlag lets a boolean key be given as --name alone.
func (f *flagValue) IsBoolFlag() bool {
	if f == nil || f.k.field == nil {
		return false
	}
	var scratch config
	_, ok := f.k.field(&scratch).(*bool)
	return ok
}

// check checks values against each other and their ranges; errors name
// the key.
func (c config) check() error {
	for _, n := range []struct {
		name string
		v    float64
	}{{"join-rate", c.JoinRate}, {"join-burst", float64(c.JoinBurst)}, {"address-connections", float64(c.AddressConnections)},
		{"address-join-rate", c.AddressJoinRate}, {"address-join-burst", float64(c.AddressJoinBurst)},
		{"drain-timeout", float64(c.DrainTimeout)}, {"resume-grace", float64(c.ResumeGrace)}} {
		if n.v < 0 {
			return fmt.Errorf("%s cannot be negative (0 turns a limit off)", n.name)
		}
	}
	if c.ICEUDPPort < 0 || c.ICEUDPPort > 65535 {
		return fmt.Errorf("ice-udp-port: %d is not a port (0 to 65535)", c.ICEUDPPort)
	}
	if !slices.Contains([]string{"json", "console"}, c.LogFormat) {
		return fmt.Errorf("log-format must be json or console, not %q", c.LogFormat)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.LogLevel) {
		return fmt.Errorf("log-level must be debug, info, warn or error, not %q", c.LogLevel)
	}
	if _, err := c.trustedProxies(); err != nil {
		return err
	}
	if err := c.checkReach(); err != nil {
		return err
	}
	if err := checkDebugAddr(c.DebugAddr); err != nil {
		return err
	}
	for _, a := range []struct{ name, v string }{{"addr", c.Addr}, {"metrics-addr", c.MetricsAddr}, {"http-redirect-addr", c.HTTPRedirectAddr}} {
		if a.v == "" || (a.name == "http-redirect-addr" && a.v == "off") {
			continue
		}
		if _, _, err := net.SplitHostPort(a.v); err != nil {
			return fmt.Errorf("%s: %q is not a listen address such as :8080 or 127.0.0.1:9090", a.name, a.v)
		}
	}
	for _, u := range []struct{ name, v string }{{"public-url", c.PublicURL}, {"acme-directory", c.ACMEDirectory}} {
		if p, err := url.Parse(u.v); u.v != "" && (err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "") {
			return fmt.Errorf("%s: %q is not an http(s) URL such as https://meet.example.org", u.name, u.v)
		}
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return fmt.Errorf("tls-cert and tls-key go together: give both or neither")
	}
	if c.Domain != "" && c.TLSCert != "" {
		return fmt.Errorf("domain (certificates from ACME) and tls-cert (certificates from files) exclude each other")
	}
	if c.Domain != "" && strings.ContainsAny(c.Domain, ":/ ") {
		return fmt.Errorf("domain: %q is not a host name such as meet.example.org", c.Domain)
	}
	if c.AdminToken != "" && c.AdminTokenFile != "" {
		return fmt.Errorf("admin-token and admin-token-file exclude each other")
	}
	return nil
}

// readAdminTokenFile sets AdminToken from --admin-token-file (surrounding
// white space removed).
func (c *config) readAdminTokenFile() error {
	if c.AdminTokenFile == "" {
		return nil
	}
	b, err := os.ReadFile(c.AdminTokenFile)
	if err != nil {
		return fmt.Errorf("admin-token-file: %w", err)
	}
	if c.AdminToken = strings.TrimSpace(string(b)); c.AdminToken == "" {
		return fmt.Errorf("admin-token-file: %s is empty", c.AdminTokenFile)
	}
	return nil
}

// tlsOn tells whether the main listener serves HTTPS.
func (c config) tlsOn() bool { return c.TLSCert != "" || c.Domain != "" }

// trustedProxies parses --trusted-proxies; a bare address is one host.
func (c config) trustedProxies() ([]netip.Prefix, error) {
	if strings.TrimSpace(c.TrustedProxies) == "none" {
		return nil, nil
	}
	out, err := media.ParseNetworks(c.TrustedProxies)
	if err != nil {
		return nil, fmt.Errorf("trusted-proxies: %w", err)
	}
	return out, nil
}

// admission is the signaling server's admission from the configuration.
func (c config) admission() signaling.Admission {
	proxies, _ := c.trustedProxies() // checked by parseConfig
	return signaling.Admission{
		AddressConnections: c.AddressConnections, AddressJoinsPerMinute: c.AddressJoinRate,
		AddressJoinBurst: c.AddressJoinBurst, RoomJoinsPerMinute: c.JoinRate, RoomJoinBurst: c.JoinBurst,
		TrustedProxies: proxies,
	}
}

// instanceURL is where other instances reach this one: --instance-url, or
// one made from the listening address (the host name when it listens on
// every interface).
func (c config) instanceURL(listen net.Addr) string {
	if c.InstanceURL != "" {
		return c.InstanceURL
	}
	host, port, err := net.SplitHostPort(listen.String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if h, err := os.Hostname(); err == nil {
			host = h
		}
	}
	scheme := "ws://"
	if c.tlsOn() {
		scheme = "wss://"
	}
	return scheme + net.JoinHostPort(host, port) + "/ws"
}

func (c config) publicIPs() []string {
	if c.ICEPublicIPs == "" {
		return nil
	}
	return strings.Split(c.ICEPublicIPs, ",")
}

// baseURL is the base of printed links: --public-url, https://--domain,
// or one made from the address the server listens on.
func (c config) baseURL(listen net.Addr) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	scheme := "http://"
	if c.tlsOn() {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(listen.String())
	if err != nil {
		return "http://localhost:8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	if c.Domain != "" {
		host = c.Domain
	}
	if (scheme == "https://" && port == "443") || (scheme == "http://" && port == "80") {
		return scheme + host
	}
	return scheme + net.JoinHostPort(host, port)
}
