package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"

	"github.com/hearth-meet/hearth/signaling"
)

// config is the server's configuration: every flag has an environment
// variable (HEARTH_ plus the flag's name in upper case, dashes as
// underscores); a flag given on the command line wins.
type config struct {
	Addr            string
	PublicURL       string
	ICEUDPPort      int
	ICELoopbackOnly bool
	ICEPublicIPs    string
	LogFormat       string
	LogLevel        string
	BatchSize       int
	AdminToken      string
	RedisURL        string
	InstanceURL     string

	// Admission: how fast people may arrive (see docs/configuration.md).
	JoinRate           float64 // joins per minute per room on this instance; 0: no limit
	JoinBurst          int
	AddressConnections int     // WebSocket connections per client address; 0: no limit
	AddressJoinRate    float64 // joins per minute per client address; 0: no limit
	AddressJoinBurst   int
	TrustedProxies     string // CIDRs whose X-Forwarded-For is believed
}

func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("hearth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	env := func(name, def string) string {
		if v := getenv("HEARTH_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) (int, error) {
		v := env(name, strconv.Itoa(def))
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("HEARTH_%s: %q is not a number", strings.ToUpper(strings.ReplaceAll(name, "-", "_")), v)
		}
		return n, nil
	}
	envBool := func(name string) (bool, error) {
		v := env(name, "false")
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, fmt.Errorf("HEARTH_%s: %q is not true or false", strings.ToUpper(strings.ReplaceAll(name, "-", "_")), v)
		}
		return b, nil
	}
	port, err := envInt("ice-udp-port", 50000)
	if err != nil {
		return c, err
	}
	batch, err := envInt("batch-size", 32)
	if err != nil {
		return c, err
	}
	loop, err := envBool("ice-loopback-only")
	if err != nil {
		return c, err
	}
	fs.StringVar(&c.Addr, "addr", env("addr", ":8080"), "HTTP listen address (HEARTH_ADDR)")
	fs.StringVar(&c.PublicURL, "public-url", env("public-url", ""), "base URL of printed links, e.g. https://meet.example.org (HEARTH_PUBLIC_URL; default from --addr)")
	fs.IntVar(&c.ICEUDPPort, "ice-udp-port", port, "the one UDP port for all media; 0 picks a free one (HEARTH_ICE_UDP_PORT)")
	fs.BoolVar(&c.ICELoopbackOnly, "ice-loopback-only", loop, "gather only loopback ICE candidates and ignore non-loopback remote ones; for tests (HEARTH_ICE_LOOPBACK_ONLY)")
	fs.StringVar(&c.ICEPublicIPs, "ice-public-ip", env("ice-public-ip", ""), "comma-separated IP addresses to advertise in ICE candidates instead of the host's own, for 1:1 NAT (HEARTH_ICE_PUBLIC_IP)")
	fs.StringVar(&c.LogFormat, "log-format", env("log-format", "json"), "log format: json (production) or console (development) (HEARTH_LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", env("log-level", "info"), "log level: debug, info, warn, error (HEARTH_LOG_LEVEL)")
	fs.IntVar(&c.BatchSize, "batch-size", batch, "UDP packets sent per sendmmsg batch; 1 turns batching off (HEARTH_BATCH_SIZE)")
	fs.StringVar(&c.AdminToken, "admin-token", env("admin-token", ""), "bearer token for the operators' API (POST /api/rooms); empty turns the API off (HEARTH_ADMIN_TOKEN)")
	fs.StringVar(&c.RedisURL, "redis-url", env("redis-url", ""), "redis://host:6379/0 to share rooms with other instances; empty keeps rooms in memory (HEARTH_REDIS_URL)")
	fs.StringVar(&c.InstanceURL, "instance-url", env("instance-url", ""), "where other instances reach this one's signaling endpoint for media relays, e.g. ws://10.0.0.5:8080/ws (HEARTH_INSTANCE_URL; default from --addr)")
	if err := admissionFlags(fs, &c, env); err != nil {
		return c, err
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if _, err := c.trustedProxies(); err != nil {
		return c, err
	}
	if c.JoinRate < 0 || c.JoinBurst < 0 || c.AddressConnections < 0 || c.AddressJoinRate < 0 || c.AddressJoinBurst < 0 {
		return c, fmt.Errorf("--join-rate, --join-burst and the --address-* limits cannot be negative (0 turns a limit off)")
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		return c, fmt.Errorf("--log-format must be json or console, not %q", c.LogFormat)
	}
	return c, nil
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

// admissionFlags defines the flags of admission on fs, with defaults from
// the environment.
func admissionFlags(fs *flag.FlagSet, c *config, env func(name, def string) string) error {
	num := func(name string, def float64) (float64, error) {
		v := env(name, strconv.FormatFloat(def, 'f', -1, 64))
		n, err := strconv.ParseFloat(v, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("HEARTH_%s: %q is not a number of at least 0", strings.ToUpper(strings.ReplaceAll(name, "-", "_")), v)
		}
		return n, nil
	}
	var v [5]float64
	for i, d := range []struct {
		name string
		def  float64
	}{{"join-rate", defaultJoinRate}, {"join-burst", defaultJoinBurst}, {"address-connections", defaultAddressConnections},
		{"address-join-rate", defaultAddressJoinRate}, {"address-join-burst", defaultAddressJoinBurst}} {
		n, err := num(d.name, d.def)
		if err != nil {
			return err
		}
		v[i] = n
	}
	fs.Float64Var(&c.JoinRate, "join-rate", v[0], "joins per minute into one room on this instance, after the burst; facilitators exempt; 0: no limit (HEARTH_JOIN_RATE)")
	fs.IntVar(&c.JoinBurst, "join-burst", int(v[1]), "joins into one room at once before --join-rate applies (HEARTH_JOIN_BURST)")
	fs.IntVar(&c.AddressConnections, "address-connections", int(v[2]), "WebSocket connections one client address may hold at once; 0: no limit (HEARTH_ADDRESS_CONNECTIONS)")
	fs.Float64Var(&c.AddressJoinRate, "address-join-rate", v[3], "joins per minute from one client address, after the burst; 0: no limit (HEARTH_ADDRESS_JOIN_RATE)")
	fs.IntVar(&c.AddressJoinBurst, "address-join-burst", int(v[4]), "joins from one client address at once before --address-join-rate applies (HEARTH_ADDRESS_JOIN_BURST)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("trusted-proxies", defaultTrustedProxies), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client, e.g. 127.0.0.1/32,10.0.0.0/8; none trusts none (HEARTH_TRUSTED_PROXIES)")
	return nil
}

// trustedProxies parses --trusted-proxies; a bare address is one host.
func (c config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(c.TrustedProxies, ",") {
		if f = strings.TrimSpace(f); f == "" || f == "none" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("--trusted-proxies: %q is not a CIDR such as 10.0.0.0/8", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
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
	return "ws://" + net.JoinHostPort(host, port) + "/ws"
}

func (c config) publicIPs() []string {
	if c.ICEPublicIPs == "" {
		return nil
	}
	return strings.Split(c.ICEPublicIPs, ",")
}

// baseURL is the base of printed links: --public-url, or one made from
// the address the server listens on.
func (c config) baseURL(listen net.Addr) string {
	if c.PublicURL != "" {
		return strings.TrimRight(c.PublicURL, "/")
	}
	host, port, err := net.SplitHostPort(listen.String())
	if err != nil {
		return "http://localhost:8080"
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}
