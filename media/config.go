package media

import (
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"
)

// Config is the SFU's network configuration.
type Config struct {
	// UDPPort is the one UDP port every peer connection's ICE uses. 0
	// picks a free port.
	UDPPort int
	// ListenIP is the address the UDP socket binds to. Empty means all
	// interfaces, or 127.0.0.1 when LoopbackOnly is set.
	ListenIP string
	// LoopbackOnly gathers only loopback candidates and ignores remote
	// candidates that are not loopback: shorthand for Networks
	// 127.0.0.0/8 and ::1/128 (and ListenIP 127.0.0.1 unless set). Most
	// tests use it.
	LoopbackOnly bool
	// Networks, when not empty, limit ICE to these networks: media
	// sockets are opened and candidates gathered only on local addresses
	// in them, and remote candidates outside them are ignored.
	Networks []netip.Prefix
	// TCPPort, when not 0, also accepts ICE over TCP on this port
	// (RFC 6544 passive candidates), for networks that block UDP.
	TCPPort int
	// PublicIPs, when set, are advertised in host candidates instead of the
	// machine's own addresses (a server behind 1:1 NAT).
	PublicIPs []string
	// BatchWriteSize and BatchWriteInterval batch outgoing UDP packets into
	// sendmmsg calls. BatchWriteSize <= 1 sends one packet per syscall.
	BatchWriteSize     int
	BatchWriteInterval time.Duration
	// KeyframeInterval is the shortest time between two keyframe requests
	// forwarded to the same publisher.
	KeyframeInterval time.Duration
	// Now is the clock (time.Now when nil). It paces the warnings pion
	// logs (one of each kind a minute at most).
	Now func() time.Time
}

func (c *Config) setDefaults() error {
	if c.UDPPort < 0 || c.UDPPort > 65535 {
		return fmt.Errorf("media: UDP port %d out of range", c.UDPPort)
	}
	if c.TCPPort < 0 || c.TCPPort > 65535 {
		return fmt.Errorf("media: TCP port %d out of range", c.TCPPort)
	}
	if c.LoopbackOnly {
		c.Networks = LoopbackNetworks()
		if c.ListenIP == "" {
			c.ListenIP = "127.0.0.1"
		}
	}
	if c.ListenIP != "" && net.ParseIP(c.ListenIP) == nil {
		return fmt.Errorf("media: listen IP %q is not an IP address", c.ListenIP)
	}
	for _, ip := range c.PublicIPs {
		if net.ParseIP(ip) == nil {
			return fmt.Errorf("media: public IP %q is not an IP address", ip)
		}
	}
	if c.BatchWriteInterval <= 0 {
		c.BatchWriteInterval = time.Millisecond
	}
	if c.KeyframeInterval <= 0 {
		c.KeyframeInterval = 500 * time.Millisecond
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// LoopbackNetworks are the loopback networks, 127.0.0.0/8 and ::1/128.
func LoopbackNetworks() []netip.Prefix {
	return []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
}

// inNetworks reports whether ip is in one of the networks; every address
// is when there are none.
func inNetworks(networks []netip.Prefix, ip net.IP) bool {
	if len(networks) == 0 {
		return true
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	for _, n := range networks {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// ParseNetworks parses comma-separated CIDRs (a bare address is one host)
// into networks.
func ParseNetworks(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, fmt.Errorf("%q is not a CIDR such as 203.0.113.0/24", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}
