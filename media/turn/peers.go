package turn

import (
	"net"
	"net/netip"
)

// Permitted reports whether the TURN server may relay to peer: one of own
// (the SFU's addresses, the only peer a member's browser needs), or an
// address in allow. Everything else is refused, above all loopback,
// private (RFC 1918), link-local, unique-local, CGNAT, multicast and
// cloud-metadata addresses (169.254.169.254, fd00:ec2::254,
// 100.100.100.200): nobody can use the server to reach its own network or
// as a relay to the rest of the internet.
func Permitted(peer net.IP, allow []netip.Prefix, own []net.IP) bool {
	a, ok := netip.AddrFromSlice(peer)
	if !ok {
		return false
	}
	a = a.Unmap()
	for _, ip := range own {
		if o, ok := netip.AddrFromSlice(ip); ok && o.Unmap() == a {
			return true
		}
	}
	for _, n := range allow {
		if n.Contains(a) {
			return true
		}
	}
	return false
}
