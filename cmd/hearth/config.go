package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
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
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if c.LogFormat != "json" && c.LogFormat != "console" {
		return c, fmt.Errorf("--log-format must be json or console, not %q", c.LogFormat)
	}
	return c, nil
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
