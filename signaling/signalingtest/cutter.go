package signalingtest

import (
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// Cutter is a TCP proxy on 127.0.0.1 in front of a server, which a test
// uses to cut clients off as a lost network would: Cut drops every
// connection it carries (a reset to both sides, no WebSocket close
// frame) and refuses new ones until Restore.
type Cutter struct {
	// Addr is the proxy's address, 127.0.0.1:port.
	Addr   string
	target string
	ln     net.Listener

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	cut   bool
}

// NewCutter starts a proxy to target (host:port) until the test ends.
func NewCutter(t testing.TB, target string) *Cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &Cutter{Addr: ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	go c.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		c.Cut()
	})
	return c
}

// Cut drops every connection and refuses new ones until Restore.
func (c *Cutter) Cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = true
	for conn := range c.conns {
		reset(conn)
	}
	clear(c.conns)
}

// Restore lets connections through again.
func (c *Cutter) Restore() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cut = false
}

// CutFor cuts, waits d, and restores.
func (c *Cutter) CutFor(d time.Duration) {
	c.Cut()
	time.Sleep(d)
	c.Restore()
}

// reset closes conn with a TCP reset rather than an orderly close.
func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (c *Cutter) accept() {
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		go c.serve(in)
	}
}

// track adds conns to those carried, unless the proxy is cut.
func (c *Cutter) track(conns ...net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cut {
		return false
	}
	for _, conn := range conns {
		c.conns[conn] = struct{}{}
	}
	return true
}

func (c *Cutter) serve(in net.Conn) {
	out, err := net.Dial("tcp", c.target)
	if err != nil {
		reset(in)
		return
	}
	if !c.track(in, out) {
		reset(in)
		reset(out)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if err == nil || errors.Is(err, net.ErrClosed) {
			_ = dst.Close()
		}
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	<-done
	c.mu.Lock()
	delete(c.conns, in)
	delete(c.conns, out)
	c.mu.Unlock()
}
