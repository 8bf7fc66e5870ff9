package signaling

import (
	"net/netip"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// The wrong passcodes of one address, with a zero Admission (the limit is
// always on): a join with a passcode holds a token while the room checks
// it; a wrong passcode spends it, anything else gives it back; parallel
// tries over many connections cannot pass 5; the bucket refills at 5 a
// minute; an address whose bucket is full is forgotten.
func TestAdmissionWrongPasscodes(t *testing.T) {
	clk := newClock()
	a := newAdmission(Admission{Now: clk.now})
	home, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	conn := func(addr netip.Addr) *websocket.Conn {
		e, no := a.open(addr)
		if no != nil {
			t.Fatalf("connection refused: %s", no.msg)
		}
		c := new(websocket.Conn)
		a.bind(c, e)
		return c
	}
	// Ten connections guess at once: five hold a token, the rest are refused.
	var holding []*websocket.Conn
	for range 10 {
		c := conn(home)
		if a.passcodeTry(c) {
			holding = append(holding, c)
		}
	}
	if len(holding) != wrongPasscodesPerMinute {
		t.Fatalf("%d parallel tries held a token, want %d", len(holding), wrongPasscodesPerMinute)
	}
	for _, c := range holding[1:] {
		a.passcodeDone(c, true)
	}
	a.passcodeDone(holding[0], false) // the right one: the token comes back
	c := conn(home)
	if !a.passcodeTry(c) {
		t.Fatal("the token given back is not there")
	}
	a.passcodeDone(c, true)
	if a.passcodeTry(c) {
		t.Fatal("a sixth wrong passcode within the minute let through")
	}
	if !a.passcodeTry(conn(other)) {
		t.Fatal("another address is refused")
	}
	clk.add(12 * time.Second) // one token at 5 a minute
	if !a.passcodeTry(c) {
		t.Fatal("no token after 12 s")
	}
	a.passcodeDone(c, false)
	clk.add(time.Minute)
	o := conn(other)
	a.passcodeTry(o)
	a.passcodeDone(o, false)
	c2 := conn(home)
	a.passcodeTry(c2)
	a.passcodeDone(c2, false)
	a.mu.Lock()
	n := len(a.wrong)
	a.mu.Unlock()
	if n != 0 {
		t.Errorf("remembers %d addresses whose buckets are full", n)
	}
}
