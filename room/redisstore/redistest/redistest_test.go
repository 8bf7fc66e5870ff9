package redistest

import (
	"net"
	"testing"
)

// A stopped server's port stays taken, so that no other test's
// redis-server starts there and takes its place for the clients that
// reconnect; Start gets it back.
func TestStoppedServerKeepsItsPort(t *testing.T) {
	s := Start(t)
	s.Stop()
	if ln, err := net.Listen("tcp", s.Addr()); err == nil {
		ln.Close()
		t.Fatalf("the port of a stopped server could be taken by another process")
	}
	if reply, err := send(s.Addr(), "PING"); err == nil && reply == "+PONG" {
		t.Fatalf("something answers PING on a stopped server's port")
	}
	s.Start()
	if reply, err := send(s.Addr(), "PING"); err != nil || reply != "+PONG" {
		t.Fatalf("after Start, PING answered %q, %v", reply, err)
	}
}
