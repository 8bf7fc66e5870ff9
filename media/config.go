package media

import (
	"fmt"
	"net"
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
	// candidates that are not loopback. Every test uses it.
	LoopbackOnly bool
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
	if c.ListenIP == "" && c.LoopbackOnly {
		c.ListenIP = "127.0.0.1"
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
