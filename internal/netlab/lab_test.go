package netlab

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// listen opens a TCP listener and a UDP socket inside ns on addr; the
// TCP listener echoes one line per connection, the UDP socket echoes
// datagrams.
func listen(t *testing.T, ns *NS, addr string) {
	t.Helper()
	var ln net.Listener
	var pc net.PacketConn
	err := ns.Do(func() error {
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return err
		}
		pc, err = net.ListenPacket("udp", addr)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close(); pc.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	go func() {
		buf := make([]byte, 1500)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo(buf[:n], from)
		}
	}()
}

// reaches reports whether ns gets an echo from addr over network.
func reaches(t *testing.T, ns *NS, network, addr string) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	c, err := ns.DialContext(ctx, network, addr)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(700 * time.Millisecond))
	if _, err := c.Write([]byte("hello\n")); err != nil {
		return false
	}
	buf := make([]byte, 6)
	_, err = io.ReadFull(c, buf)
	return err == nil && string(buf) == "hello\n"
}

// reachable reports whether ns gets an echo from addr over network in one
// of three tries: a path that must work is not failed by one echo a
// loaded machine answered after reaches' 700 ms (a path that must not
// work is tried once).
func reachable(t *testing.T, ns *NS, network, addr string) bool {
	t.Helper()
	for range 3 {
		if reaches(t, ns, network, addr) {
			return true
		}
	}
	return false
}

// Two hosts of a Star reach the server over TCP and UDP, IPv4 and IPv6;
// DropUDP cuts a host's UDP only, BlockTCPPort one TCP port only, and
// removing the rules restores them. The host's default route is a dead
// end: an address outside the Lab is unreachable.
func TestStarAndFilters(t *testing.T) {
	s := NewStar(t)
	a, b := s.Host("a"), s.Host("b")
	listen(t, s.Server, net.JoinHostPort(ServerIPv4, "7000"))
	listen(t, s.Server, net.JoinHostPort(ServerIPv6, "7000"))
	srv4, srv6 := net.JoinHostPort(ServerIPv4, "7000"), net.JoinHostPort(ServerIPv6, "7000")
	for _, h := range []*Host{a, b} {
		for _, c := range [][2]string{{"tcp", srv4}, {"udp", srv4}, {"tcp", srv6}, {"udp", srv6}} {
			if !reachable(t, h.NS, c[0], c[1]) {
				t.Fatalf("host %s does not reach the server over %s at %s", h.IPv4, c[0], c[1])
			}
		}
	}
	if reaches(t, a.NS, "tcp", "192.0.2.1:80") {
		t.Error("a host reaches an address outside the Lab")
	}

	type path struct {
		h       *Host
		network string
	}
	for _, tc := range []struct {
		name      string
		apply     func() *Rule
		cut, kept []path
	}{
		{"DropUDP on a", a.DropUDP, []path{{a, "udp"}}, []path{{a, "tcp"}, {b, "udp"}}},
		{"BlockTCPPort on b", func() *Rule { return b.BlockTCPPort(7000) }, []path{{b, "tcp"}}, []path{{b, "udp"}, {a, "tcp"}}},
	} {
		r := tc.apply()
		for _, p := range tc.cut {
			if reaches(t, p.h.NS, p.network, srv4) || reaches(t, p.h.NS, p.network, srv6) {
				t.Errorf("%s: %s still reaches the server over %s", tc.name, p.h.IPv4, p.network)
			}
		}
		for _, p := range tc.kept {
			if !reachable(t, p.h.NS, p.network, srv4) {
				t.Errorf("%s: %s no longer reaches the server over %s", tc.name, p.h.IPv4, p.network)
			}
		}
		r.Remove()
		for _, p := range tc.cut {
			if !reachable(t, p.h.NS, p.network, srv4) {
				t.Errorf("%s removed: %s does not reach the server over %s again", tc.name, p.h.IPv4, p.network)
			}
		}
	}
}

// Loss drops about the share of packets asked for.
func TestLoss(t *testing.T) {
	s := NewStar(t)
	h := s.Host("lossy")
	listen(t, s.Server, net.JoinHostPort(ServerIPv4, "7001"))
	h.Loss(50, "meta l4proto udp")
	var c net.Conn
	err := h.Do(func() error {
		var err error
		c, err = net.Dial("udp", net.JoinHostPort(ServerIPv4, "7001"))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := 0
	const sent = 200
	buf := make([]byte, 16)
	for i := 0; i < sent; i++ {
		_, _ = c.Write([]byte("x"))
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(buf); err == nil {
			got++
		}
	}
	// Each echo crosses the filter twice (out and in): 25 % expected.
	if got < sent/10 || got > sent/2 {
		t.Errorf("%d of %d echoes came back through 50 %% loss each way, want about %d", got, sent, sent/4)
	}
}

// A Lab's namespaces and processes are gone when its test ends, also
// when the test failed.
func TestCleanup(t *testing.T) {
	var names []string
	var proc *Process
	t.Run("inner", func(t *testing.T) {
		s := NewStar(t)
		h := s.Host("gone")
		names = []string{s.Server.Name, h.Name}
		proc = h.Start("sleep", "600")
	})
	for _, n := range names {
		if _, err := os.Stat("/run/netns/" + n); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("namespace %s still exists after its test (%v)", n, err)
		}
	}
	select {
	case <-proc.Done():
	default:
		t.Error("a process started in the Lab still runs after its test")
	}
	if len(names) == 0 || !strings.HasPrefix(names[0], namePrefix) {
		t.Errorf("namespace names %v", names)
	}
}

// LimitRate puts a token bucket on the host's interface. (How fast data
// then flows is not timed here: tests do not measure speed.)
func TestLimitRate(t *testing.T) {
	s := NewStar(t)
	h := s.Host("slow")
	h.LimitRate(h.Ifname(), "300kbit")
	out := s.Lab.run("tc", "-n", h.Name, "qdisc", "show", "dev", h.Ifname())
	if !strings.Contains(out, "tbf") || !strings.Contains(out, "rate 300Kbit") {
		t.Errorf("qdisc of %s: %s", h.Ifname(), out)
	}
	listen(t, s.Server, net.JoinHostPort(ServerIPv4, "7002"))
	if !reachable(t, h.NS, "tcp", net.JoinHostPort(ServerIPv4, "7002")) {
		t.Error("a rate-limited host does not reach the server")
	}
}
