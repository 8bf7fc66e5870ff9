package media

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// The batching socket sends a fan-out's datagrams when the fan-out ends,
// a full batch at once, and a lone write within the interval; every
// datagram arrives whole and in order.
func TestBatchConn(t *testing.T) {
	t.Run("IPv4", func(t *testing.T) { testBatchConn(t, "udp4", net.IPv4(127, 0, 0, 1)) })
	t.Run("IPv6", func(t *testing.T) { testBatchConn(t, "udp6", net.IPv6loopback) })
}

func testBatchConn(t *testing.T, network string, ip net.IP) {
	listen := func() *net.UDPConn {
		c, err := net.ListenUDP(network, &net.UDPAddr{IP: ip})
		if err != nil {
			t.Skipf("no %s loopback here: %v", network, err)
		}
		return c
	}
	rx := listen()
	defer func() { _ = rx.Close() }()
	uc := listen()
	b := newBatchConn(uc, 4, 50*time.Millisecond)
	defer func() { _ = b.Close() }()
	to := rx.LocalAddr()

	// pending reports the datagrams that arrive within d.
	buf := make([]byte, 2000)
	pending := func(d time.Duration) []string {
		var got []string
		_ = rx.SetReadDeadline(time.Now().Add(d))
		for {
			n, _, err := rx.ReadFrom(buf)
			if err != nil {
				return got
			}
			got = append(got, string(buf[:n]))
		}
	}
	write := func(s string) {
		if n, err := b.WriteTo([]byte(s), to); err != nil || n != len(s) {
			t.Fatalf("WriteTo(%q) = %d, %v", s, n, err)
		}
	}

	// A fan-out of three: nothing leaves before it ends, all after.
	b.hold()
	for i := range 3 {
		write(fmt.Sprint("fan", i))
	}
	if got := pending(100 * time.Millisecond); len(got) != 0 {
		t.Fatalf("sent during the fan-out: %q", got)
	}
	b.release()
	if got := pending(20 * time.Millisecond); fmt.Sprint(got) != "[fan0 fan1 fan2]" {
		t.Fatalf("after the fan-out got %q", got)
	}

	// Six in one fan-out: the first four (a full batch) leave at once.
	b.hold()
	for i := range 6 {
		write(fmt.Sprint("big", i))
	}
	if got := pending(20 * time.Millisecond); fmt.Sprint(got) != "[big0 big1 big2 big3]" {
		t.Fatalf("a full batch in a fan-out: got %q", got)
	}
	b.release()
	if got := pending(20 * time.Millisecond); fmt.Sprint(got) != "[big4 big5]" {
		t.Fatalf("the rest after the fan-out: got %q", got)
	}

	// A write outside any fan-out leaves by itself (after the interval).
	write("lone")
	if got := pending(time.Second); fmt.Sprint(got) != "[lone]" {
		t.Fatalf("a lone write: got %q", got)
	}

	// A datagram larger than a slot is sent at once, whole.
	big := make([]byte, batchMTU+100)
	for i := range big {
		big[i] = byte('a' + i%26)
	}
	write(string(big))
	if got := pending(20 * time.Millisecond); len(got) != 1 || got[0] != string(big) {
		t.Fatalf("a large datagram: got %d datagrams", len(got))
	}

	// Writing allocates nothing.
	b.hold()
	p := []byte("x")
	if n := testing.AllocsPerRun(100, func() { _, _ = b.WriteTo(p, to) }); n != 0 {
		t.Errorf("WriteTo allocates %v times, want 0", n)
	}
	b.release()

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.WriteTo([]byte("late"), to); err == nil {
		t.Error("WriteTo after Close succeeded")
	}
}
