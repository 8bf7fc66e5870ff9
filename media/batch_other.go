//go:build !linux

package media

import "net"

// sender sends a batch one datagram at a time (sendmmsg is Linux's).
type sender struct{ c *net.UDPConn }

func newSender(c *net.UDPConn, _ int) sender { return sender{c} }

func (s *sender) send(ds []datagram) {
	for i := range ds {
		_, _ = s.c.WriteToUDP(ds[i].buf[:ds[i].n], ds[i].addr)
	}
}
