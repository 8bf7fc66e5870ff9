package media

import (
	"encoding/binary"
	"net"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sender sends batches of datagrams with sendmmsg, as a raw system call:
// the socket is non-blocking, so the call never waits, and the Go
// runtime is not told of it. A goroutine that enters an ordinary system
// call wakes the runtime's monitor thread, which then polls every 20 µs
// and hands the goroutine's processor to another thread when the call
// lasts (a batch of copies to loopback does): measured, that cost more
// than the batching saved. A datagram the socket cannot take at once is
// dropped, as the network would.
type sender struct {
	fd       int
	inet6    bool // the socket is IPv6 (addresses are written as sockaddr_in6)
	fallback *net.UDPConn
	// hdrs, iovs and names describe the batch being sent; they point
	// into each other and into the datagrams, and are reused.
	hdrs  []mmsghdr
	iovs  []unix.Iovec
	names [][unix.SizeofSockaddrInet6]byte
}

// mmsghdr is struct mmsghdr (sendmmsg(2)).
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
	_   [4]byte
}

func newSender(c *net.UDPConn, size int) sender {
	s := sender{fd: -1, fallback: c, hdrs: make([]mmsghdr, size), iovs: make([]unix.Iovec, size),
		names: make([][unix.SizeofSockaddrInet6]byte, size)}
	raw, err := c.SyscallConn()
	if err != nil {
		return s
	}
	_ = raw.Control(func(fd uintptr) {
		sa, err := unix.Getsockname(int(fd))
		if err != nil {
			return
		}
		_, s.inet6 = sa.(*unix.SockaddrInet6)
		s.fd = int(fd)
	})
	return s
}

// send sends the datagrams; those the socket refuses are dropped.
func (s *sender) send(ds []datagram) {
	if s.fd < 0 {
		for i := range ds {
			_, _ = s.fallback.WriteToUDP(ds[i].buf[:ds[i].n], ds[i].addr)
		}
		return
	}
	n := 0
	for i := range ds {
		namelen := s.name(&s.names[n], ds[i].addr)
		if namelen == 0 {
			continue // an address of the other family: not ours to send
		}
		iov := &s.iovs[n]
		iov.Base = &ds[i].buf[0]
		iov.SetLen(ds[i].n)
		h := &s.hdrs[n].hdr
		*h = unix.Msghdr{Name: &s.names[n][0], Namelen: namelen, Iov: iov}
		h.SetIovlen(1)
		n++
	}
	for sent := 0; sent < n; {
		r, _, errno := unix.RawSyscall6(unix.SYS_SENDMMSG, uintptr(s.fd),
			uintptr(unsafe.Pointer(&s.hdrs[sent])), uintptr(n-sent), unix.MSG_DONTWAIT, 0, 0)
		switch {
		case errno == unix.EINTR:
			continue
		case errno == unix.EAGAIN:
			return // the socket's buffer is full: the rest is lost
		case errno != 0:
			sent++ // the first datagram failed (an unreachable address): skip it
		default:
			sent += int(r)
		}
	}
}

// name writes addr as a socket address of the socket's family into b and
// returns its length (0 when addr cannot be sent from this socket).
func (s *sender) name(b *[unix.SizeofSockaddrInet6]byte, addr *net.UDPAddr) uint32 {
	if s.inet6 {
		ip := addr.IP.To16()
		if ip == nil {
			return 0
		}
		*b = [unix.SizeofSockaddrInet6]byte{}
		binary.NativeEndian.PutUint16(b[0:], unix.AF_INET6)
		binary.BigEndian.PutUint16(b[2:], uint16(addr.Port))
		copy(b[8:24], ip)
		if addr.Zone != "" {
			if ifi, err := net.InterfaceByName(addr.Zone); err == nil {
				binary.NativeEndian.PutUint32(b[24:], uint32(ifi.Index))
			}
		}
		return unix.SizeofSockaddrInet6
	}
	ip := addr.IP.To4()
	if ip == nil {
		return 0
	}
	*b = [unix.SizeofSockaddrInet6]byte{}
	binary.NativeEndian.PutUint16(b[0:], unix.AF_INET)
	binary.BigEndian.PutUint16(b[2:], uint16(addr.Port))
	copy(b[4:8], ip)
	return unix.SizeofSockaddrInet4
}
