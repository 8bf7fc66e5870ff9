package signaling

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// fakeClock is an admission clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 12, 1, 19, 0, 0, 0, time.UTC)} }

// The limits of one address: connections at once, and a bucket of joins
// that each new connection draws on and that refills with time.
func TestAdmissionPerAddress(t *testing.T) {
	clk := newClock()
	a := newAdmission(Admission{AddressConnections: 3, AddressJoinsPerMinute: 6, AddressJoinBurst: 4, Now: clk.now})
	home, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	var held []*entry
	for i := range 3 {
		e, no := a.open(home)
		if no != nil {
			t.Fatalf("connection %d refused: %s", i+1, no.msg)
		}
		held = append(held, e)
	}
	if _, no := a.open(home); no == nil || no.msg != msgAddressConnections {
		t.Fatalf("4th connection at once: %v, want %q", no, msgAddressConnections)
	}
	if _, no := a.open(other); no != nil {
		t.Fatalf("another address was refused: %s", no.msg)
	}
	a.close(nil, held[0])
	if _, no := a.open(home); no != nil {
		t.Fatalf("after one closed: %s", no.msg)
	}
	a.close(nil, held[1])
	if _, no := a.open(home); no == nil || no.msg != msgAddressJoins || no.after != 10*time.Second {
		t.Fatalf("6th join in the burst of 4 (+1 refused by count): %+v, want %q after 10s", no, msgAddressJoins)
	}
	clk.add(10 * time.Second) // one token at 6 a minute
	if _, no := a.open(home); no != nil {
		t.Fatalf("after 10 s: %s", no.msg)
	}
	r := a.refusals()
	t.Logf("refusals: %+v", r)
	if r.AddressConnections != 1 || r.AddressJoins != 1 {
		t.Errorf("refusals %+v, want one of each", r)
	}
}

// A zero Admission limits nothing and remembers nothing.
func TestAdmissionZeroLimitsNothing(t *testing.T) {
	a := newAdmission(Admission{})
	conn := new(websocket.Conn)
	for i := range 1000 {
		e, no := a.open(netip.MustParseAddr("192.0.2.1"))
		if no != nil {
			t.Fatalf("connection %d refused", i)
		}
		if msg := a.join(conn, room.NewRoomID(), false); msg != "" {
			t.Fatalf("join %d refused: %s", i, msg)
		}
		a.close(nil, e)
	}
	if n, r := a.tracked(); n != 0 || r != 0 {
		t.Errorf("remembers %d addresses, %d rooms", n, r)
	}
}

// The room's bucket: facilitator keys skip it; a connection's first join
// was paid for by its address when it opened, later ones pay again; a
// relay gives back what it took.
func TestAdmissionJoins(t *testing.T) {
	clk := newClock()
	a := newAdmission(Admission{AddressJoinsPerMinute: 60, AddressJoinBurst: 2,
		RoomJoinsPerMinute: 60, RoomJoinBurst: 2, Now: clk.now})
	id := room.NewRoomID()
	open := func(ip string) *websocket.Conn {
		t.Helper()
		e, no := a.open(netip.MustParseAddr(ip))
		if no != nil {
			t.Fatalf("open from %s: %s", ip, no.msg)
		}
		c := new(websocket.Conn)
		a.bind(c, e)
		return c
	}
	c1, c2, c3 := open("192.0.2.1"), open("192.0.2.2"), open("192.0.2.3")
	for i, tc := range []struct {
		conn *websocket.Conn
		fac  bool
		want string
	}{
		{c1, false, ""},
		{c2, false, ""},
		{c3, false, msgRoomJoins}, // the room's burst of 2 is used
		{c3, true, ""},            // a facilitator key skips the room's bucket
		{c1, false, msgRoomJoins}, // c1's second join: its address pays (2nd token), the room refuses
		{c1, true, msgAddressJoins},
	} {
		if got := a.join(tc.conn, id, tc.fac); got != tc.want {
			t.Errorf("join %d: %q, want %q", i, got, tc.want)
		}
	}
	clk.add(time.Second)
	if got := a.join(c3, id, false); got != "" {
		t.Errorf("after a second: %q", got)
	}
}

// A media relay from another instance, once its secret is checked, gives
// back its address's connection slot and join token.
func TestRelayIsExempt(t *testing.T) {
	srv := NewServer(Params{Log: zap.NewNop(), Admission: Admission{AddressConnections: 1, AddressJoinsPerMinute: 1, AddressJoinBurst: 1}})
	instance := netip.MustParseAddr("10.0.0.5")
	e, no := srv.admit.open(instance)
	if no != nil {
		t.Fatal(no.msg)
	}
	conn := new(websocket.Conn)
	srv.admit.bind(conn, e)
	if _, no := srv.admit.open(instance); no == nil {
		t.Fatal("a second connection from the address let in")
	}
	newSession(srv, conn).relayAccepted()
	e2, no := srv.admit.open(instance)
	if no != nil {
		t.Fatalf("after the first became a relay: %s", no.msg)
	}
	srv.admit.close(conn, e)
	srv.admit.close(nil, e2)
	if c := srv.admit.clients[instance]; c.conns != 0 {
		t.Errorf("%d connections counted after both closed", c.conns)
	}
}

// The address limits are kept under: the TCP peer; X-Forwarded-For only
// from a trusted proxy, read from the right; IPv6 by /64.
func TestAdmissionClientAddr(t *testing.T) {
	a := newAdmission(Admission{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}})
	for _, tc := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.7:5000", nil, "192.0.2.7"},
		{"192.0.2.7:5000", []string{"198.51.100.1"}, "192.0.2.7"}, // not a trusted proxy: header ignored
		{"10.1.2.3:5000", nil, "10.1.2.3"},
		{"10.1.2.3:5000", []string{"198.51.100.1"}, "198.51.100.1"},
		{"10.1.2.3:5000", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, "198.51.100.1"}, // spoofed left part ignored
		{"10.1.2.3:5000", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1"},         // two header lines
		{"10.1.2.3:5000", []string{"garbage, 10.9.9.9"}, "10.9.9.9"},                   // stops at the last proxy
		{"10.1.2.3:5000", []string{"10.4.4.4"}, "10.4.4.4"},                            // all proxies: the farthest
		{"[::1]:5000", []string{"2001:db8:1:2:3:4:5:6"}, "2001:db8:1:2::"},
		{"[2001:db8:a:b:1:2:3:4]:5000", nil, "2001:db8:a:b::"},
		{"[2001:db8:a:b:ffff::1]:5000", nil, "2001:db8:a:b::"},
		{"[fe80::1%eth0]:5000", nil, "fe80::"},
		{"[::ffff:192.0.2.7]:5000", nil, "192.0.2.7"},
		{"not an address", nil, "invalid IP"},
	} {
		r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
		for _, v := range tc.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		if got := a.clientAddr(r).String(); got != tc.want {
			t.Errorf("%s %q: %s, want %s", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// A spray of distinct addresses does not grow the table past its bound:
// idle addresses are forgotten (at O(1) each on average), and when every
// remembered address holds a connection, new ones are refused.
func TestAdmissionBoundedUnderSpray(t *testing.T) {
	clk := newClock()
	const bound = 4096
	a := newAdmission(Admission{AddressConnections: 5, AddressJoinsPerMinute: 1, AddressJoinBurst: 5, Now: clk.now})
	a.bound = bound
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}) }
	start := time.Now()
	const spray = 25 * bound
	for i := range spray {
		e, no := a.open(addr(i))
		if no != nil {
			t.Fatalf("address %d refused: %s", i, no.msg)
		}
		a.close(nil, e)
	}
	n, _ := a.tracked()
	t.Logf("%d distinct addresses opened and closed a connection in %v: %d remembered (bound %d)",
		spray, time.Since(start).Round(time.Millisecond), n, bound)
	if n > bound {
		t.Fatalf("%d addresses remembered", n)
	}
	// Every remembered address holds a connection: a new one is refused.
	a = newAdmission(Admission{AddressConnections: 5, Now: clk.now})
	a.bound = bound
	for i := range bound {
		if _, no := a.open(addr(i)); no != nil {
			t.Fatalf("live address %d refused: %s", i, no.msg)
		}
	}
	if _, no := a.open(addr(bound)); no == nil || no.msg != msgFull {
		t.Errorf("address past the bound with all live: %v, want %q", no, msgFull)
	}
	t.Logf("with %d live addresses, the next is refused (%d refusals counted)", bound, a.refusals().Full)
	// Rooms too.
	a = newAdmission(Admission{RoomJoinsPerMinute: 1, RoomJoinBurst: 3, Now: clk.now})
	a.bound = bound
	for range spray {
		a.join(nil, room.NewRoomID(), false)
	}
	if _, r := a.tracked(); r > bound {
		t.Errorf("%d rooms remembered", r)
	}
}

// Refused, a join is answered with rate_limited and a message a person
// can act on; it names no address.
func TestJoinRateLimitedTellsTheClient(t *testing.T) {
	srv := NewServer(Params{Log: zap.NewNop(), Admission: Admission{RoomJoinsPerMinute: 1, RoomJoinBurst: 1}})
	s := newSession(srv, new(websocket.Conn))
	id := room.NewRoomID()
	if s.joinRateLimited(id, false, json.RawMessage(`"j1"`)) {
		t.Fatal("first join refused")
	}
	if !s.joinRateLimited(id, false, json.RawMessage(`"j2"`)) {
		t.Fatal("second join let through")
	}
	var m protocol.Error
	if err := json.Unmarshal((<-s.link.out).data, &m); err != nil {
		t.Fatal(err)
	}
	if m.Code != protocol.CodeRateLimited || !strings.Contains(m.Message, "try again in a moment") || string(m.Re) != `"j2"` {
		t.Errorf("got %+v", m)
	}
	if got := fmt.Sprint(srv.Refusals()); got != "{0 0 1 0}" {
		t.Errorf("refusals %s", got)
	}
}
