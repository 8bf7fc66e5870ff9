package media

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
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
	interval time.Duration
	// out sends a batch (batch_linux.go: sendmmsg).
	out sender

	// holds counts the forwarding loops between hold and release.
	holds atomic.Int32

	// sendMu serialises sending: batches leave in the order they filled.
	sendMu sync.Mutex

	mu sync.Mutex // guards the fields below
	// queued are the datagrams waiting; spare is the other batch, being
	// sent or empty.
	queued, spare []datagram
	n             int
	timer         *time.Timer
	armed         bool
	closed        bool
}

// batchMTU is the largest datagram a batch slot holds; larger writes are
// sent at once.
const batchMTU = 1500

// datagram is one queued datagram.
type datagram struct {
	buf  [batchMTU]byte
	n    int
	addr *net.UDPAddr
}

func newBatchConn(c *net.UDPConn, size int, interval time.Duration) *batchConn {
	b := &batchConn{UDPConn: c, interval: interval, out: newSender(c, size),
		queued: make([]datagram, size), spare: make([]datagram, size)}
	b.timer = time.AfterFunc(time.Hour, b.timeout)
	b.timer.Stop()
	return b
}

// WriteTo queues one datagram. It allocates nothing.
func (b *batchConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if len(p) > batchMTU || !ok {
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
	d := &b.queued[b.n]
	d.n = copy(d.buf[:], p)
	d.addr = ua
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
	b.out.send(out[:n])
	for i := range out[:n] {
		out[i].addr = nil
	}
}

// Close sends what is queued and closes the socket.
func (b *batchConn) Close() error {
	b.timer.Stop()
	b.flush()
	b.sendMu.Lock() // no send in flight on the descriptor
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.sendMu.Unlock()
	return b.UDPConn.Close()
}
