package turn

import (
	"net"
	"net/netip"
)

// blocked are the networks a relay never reaches unless allowed: what a
// browser has no reason to reach through a meeting server, and what an
// attacker would use it for (the server's own host and network, cloud
// metadata services).
func blocked() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8",          // "this network"
		"10.0.0.0/8",         // private (RFC 1918)
		"100.64.0.0/10",      // CGNAT (RFC 6598); Alibaba's metadata at 100.100.100.200
		"127.0.0.0/8",        // loopback
		"169.254.0.0/16",     // link-local; cloud metadata at 169.254.169.254
		"172.16.0.0/12",      // private
		"192.0.0.0/24",       // IETF protocol assignments
		"192.168.0.0/16",     // private
		"198.18.0.0/15",      // benchmarking
		"224.0.0.0/4",        // multicast
		"240.0.0.0/4",        // reserved, broadcast
		"::/128",             // unspecified
		"::1/128",            // loopback
		"::ffff:0:0/96",      // IPv4-mapped (checked as IPv4 too)
		"64:ff9b::/96",       // NAT64, could reach private IPv4
		"64:ff9b:1::/48",     // local-use NAT64
		"2002::/16",          // 6to4, could embed private IPv4
		"fc00::/7",           // unique-local; AWS metadata at fd00:ec2::254
		"fe80::/10",          // link-local
		"ff00::/8",           // multicast
		"100::/64",           // discard
		"2001:db8::/32",      // documentation: never a real peer
		"192.0.2.0/24",       // documentation (TEST-NET-1)
		"198.51.100.0/24",    // documentation (TEST-NET-2)
		"203.0.113.0/24",     // documentation (TEST-NET-3)
		"255.255.255.255/32", // broadcast
	} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// Permitted reports whether the TURN server may relay to peer: not in a
// blocked network, or in one of allow, or one of own (the SFU's
// addresses).
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
	for _, n := range blocked() {
		if n.Contains(a) {
			return false
		}
	}
	return true
}
