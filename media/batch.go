package media

import (
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// batchConn is the media socket as the ICE mux sees it: its writes are
// queued and sent several at a time with one sendmmsg system call.
//
// A forwarding loop holds the socket while it writes one packet to all
// of its subscribers (hold, release): the copies gather in the batch,
// and the last loop to let go sends them, on its own goroutine, at once.
// A batch that fills is sent by the writer that filled it. Writes made
// outside a fan-out (RTCP, STUN, DTLS, retransmissions, probes) wait at
// most the interval, for a timer armed by the first of them. There is
// no goroutine woken on a tick: pion's batch writer woke one every half
// interval, and handed every batch to it.
type batchConn struct {
	*net.UDPConn
	writer interface {
		WriteBatch([]ipv4.Message, int) (int, error)
	}
	interval time.Duration

	// holds counts the forwarding loops between hold and release.
	holds atomic.Int32

	// sendMu serialises sending: batches leave in the order they filled.
	sendMu sync.Mutex

	mu sync.Mutex // guards the fields below
	// queued are the messages waiting (their buffers hold MTU bytes);
	// spare is the other batch, being sent or empty.
	queued, spare []ipv4.Message
	n             int
	timer         *time.Timer
	armed         bool
	closed        bool
}

// batchMTU is the largest datagram a batch slot holds; larger writes are
// sent at once.
const batchMTU = 1500

func newBatchConn(c *net.UDPConn, size int, interval time.Duration) *batchConn {
	b := &batchConn{UDPConn: c, interval: interval, queued: newMessages(size), spare: newMessages(size)}
	if a, ok := c.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() == nil {
		b.writer = ipv6.NewPacketConn(c)
	} else {
		b.writer = ipv4.NewPacketConn(c)
	}
	b.timer = time.AfterFunc(time.Hour, b.timeout)
	b.timer.Stop()
	return b
}

func newMessages(n int) []ipv4.Message {
	ms := make([]ipv4.Message, n)
	for i := range ms {
		ms[i].Buffers = [][]byte{make([]byte, batchMTU)}
	}
	return ms
}

// WriteTo queues one datagram. It allocates nothing.
func (b *batchConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if len(p) > batchMTU {
		return b.UDPConn.WriteTo(p, addr)
	}
	for {
		b.mu.Lock()
		if b.closed {
			b.mu.Unlock()
			return 0, net.ErrClosed
		}
		if b.n < len(b.queued) {
			break
		}
		// Full: another writer is about to send it.
		b.mu.Unlock()
		b.flush()
	}
	m := &b.queued[b.n]
	m.Buffers[0] = m.Buffers[0][:copy(m.Buffers[0][:batchMTU], p)]
	m.Addr = addr
	b.n++
	full := b.n == len(b.queued)
	if !full && b.holds.Load() == 0 && !b.armed {
		b.armed = true
		b.timer.Reset(b.interval)
	}
	b.mu.Unlock()
	if full {
		b.flush()
	}
	return len(p), nil
}

// hold marks the start of a fan-out: writes wait for its release.
func (b *batchConn) hold() { b.holds.Add(1) }

// release marks the end of a fan-out; the last one sends the batch.
func (b *batchConn) release() {
	if b.holds.Add(-1) == 0 {
		b.flush()
	}
}

// timeout sends what writes outside a fan-out queued.
func (b *batchConn) timeout() {
	b.mu.Lock()
	b.armed = false
	b.mu.Unlock()
	b.flush()
}

// flush sends the queued datagrams.
func (b *batchConn) flush() {
	b.sendMu.Lock()
	defer b.sendMu.Unlock()
	b.mu.Lock()
	n := b.n
	if n == 0 || b.closed {
		b.mu.Unlock()
		return
	}
	out := b.queued
	b.queued, b.spare, b.n = b.spare, out, 0
	b.mu.Unlock()
	for sent := 0; sent < n; {
		k, err := b.writer.WriteBatch(out[sent:n], 0)
		if err != nil {
			// Like a lost datagram: skip the one that failed (an
			// unreachable address, say), keep the rest.
			k = 1
		}
		sent += k
	}
	for i := range out[:n] {
		out[i].Addr = nil
	}
}

// Close sends what is queued and closes the socket.
func (b *batchConn) Close() error {
	b.timer.Stop()
	b.flush()
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	return b.UDPConn.Close()
}
