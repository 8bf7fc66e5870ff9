package netlab

import (
	"fmt"
	"testing"
)

// Addresses of a Star's server.
const (
	ServerIPv4 = "203.0.113.1"
	ServerIPv6 = "2001:db8:113::1"
	// StarNetworks are the Star's networks, e.g. for hearth's
	// --ice-networks.
	StarNetworks = "203.0.113.0/24,2001:db8:113::/64"
)

// Star is the usual test network: a server namespace and client
// namespaces on one bridge, as on a LAN. The server has 203.0.113.1/24
// and 2001:db8:113::1/64 on the bridge; client i (counting from 0) has
// 203.0.113.(10+i)/24 and 2001:db8:113::(10+i)/64 and a default route via
// the server, which forwards nothing (a dead end: browsers gather
// candidates, and nothing leaves the Lab). Put packet filters and
// bandwidth limits on a client's namespace to give it a poor network.
type Star struct {
	Lab    *Lab
	Server *NS
	Bridge string // the bridge's interface in Server
	hosts  int
}

// Host is a client namespace of a Star.
type Host struct {
	*NS
	Link *Link  // Link.BName is the host's interface
	IPv4 string // its address, e.g. "203.0.113.10"
	IPv6 string
}

// Ifname is the host's interface towards the server.
func (h *Host) Ifname() string { return h.Link.BName }

// NewStar makes a Lab with a server namespace on a bridge (see Star).
func NewStar(t testing.TB) *Star {
	t.Helper()
	lab := New(t)
	srv := lab.NS("server")
	br := srv.Bridge(ServerIPv4+"/24", ServerIPv6+"/64")
	return &Star{Lab: lab, Server: srv, Bridge: br}
}

// Host adds a client namespace; role is a short word for its name.
func (s *Star) Host(role string) *Host {
	s.Lab.t.Helper()
	n := 10 + s.hosts
	s.hosts++
	if n > 250 {
		s.Lab.t.Fatal("netlab: a Star has at most 241 hosts")
	}
	ns := s.Lab.NS(role)
	h := &Host{NS: ns, IPv4: fmt.Sprintf("203.0.113.%d", n), IPv6: fmt.Sprintf("2001:db8:113::%d", n)}
	h.Link = s.Lab.Attach(s.Server, s.Bridge, ns, h.IPv4+"/24", h.IPv6+"/64")
	ns.DefaultRoute(ServerIPv4)
	ns.DefaultRoute(ServerIPv6)
	return h
}
