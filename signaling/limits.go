package signaling

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// This file holds admission: how fast people may arrive, per client
// address (connections and joins, refused with HTTP 429 before the
// WebSocket upgrade) and per room (joins, refused with rate_limited).
// A public member link is how newcomers find a recovery group, so it is
// also how bots find it; these limits keep a script from filling a room
// before a facilitator can act. Client addresses live only in memory, in
// a bounded map, and are never logged. Wrong passcodes are limited per
// address too (wrongPasscodesPerMinute), so that a room's passcode cannot
// be guessed through its public member link.

// Admission bounds how fast people may arrive. A zero field turns its
// limit off, so the zero value limits nothing.
type Admission struct {
	// AddressConnections is how many WebSocket connections one client
	// address may hold at once.
	AddressConnections int
	// AddressJoinsPerMinute and AddressJoinBurst are the token bucket of
	// joins per client address. Each connection takes a token when it is
	// opened (its first join is paid for); a further join attempt over the
	// same connection takes another.
	AddressJoinsPerMinute float64
	AddressJoinBurst      int
	// RoomJoinsPerMinute and RoomJoinBurst are the token bucket of joins
	// per room on this instance. Joins presenting a facilitator key are
	// exempt (a wrong key is refused by the room anyway).
	RoomJoinsPerMinute float64
	RoomJoinBurst      int
	// TrustedProxies are the reverse proxies whose X-Forwarded-For header
	// names the client; from any other peer the header is ignored.
	TrustedProxies []netip.Prefix
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Refusals counts what admission refused since the server started.
type Refusals struct {
	// Connections refused because their address held too many already.
	AddressConnections uint64
	// Joins (and the connections that would carry them) refused by the
	// bucket of their address.
	AddressJoins uint64
	// Joins refused by the bucket of their room.
	RoomJoins uint64
	// Connections refused because the table of addresses was full of
	// addresses with live connections.
	Full uint64
}

// maxTracked bounds the addresses and the rooms admission remembers. An
// entry carries only an address (or room id), a count and a bucket, so
// the bound is a few MiB.
const maxTracked = 1 << 16

// Messages of refusals; they name no address.
const (
	msgAddressConnections = "too many connections from your network; close another tab or try again later"
	msgAddressJoins       = "too many joins from your network; try again in a minute"
	msgRoomJoins          = "many people are joining this meeting right now; try again in a moment"
	msgFull               = "the server is busy; try again in a minute"
	msgWrongPasscodes     = "too many wrong passcodes from your network; try again in a minute"
)

// wrongPasscodesPerMinute is how many wrong passcodes one client address
// may try a minute (also its burst); always on. A join that brings a
// passcode holds one of its address's tokens while the room checks it,
// and gives it back unless the passcode was wrong, so that parallel
// guesses cannot get past the limit.
const wrongPasscodesPerMinute = 5

// admission enforces Admission. Its methods are safe for concurrent use.
type admission struct {
	// static after construction
	cfg   Admission
	now   func() time.Time
	bound int // addresses (and rooms) remembered at most: maxTracked

	// counters, atomic
	refusedConns, refusedAddrJoins, refusedRoomJoins, refusedFull atomic.Uint64

	mu      sync.Mutex
	swept   time.Time                  // guarded by mu; when idle addresses were last forgotten
	clients map[netip.Addr]*client     // guarded by mu; addresses never leave memory
	rooms   map[room.RoomID]*bucket    // guarded by mu
	conns   map[*websocket.Conn]*entry // guarded by mu; live connections
	wrong   map[netip.Addr]*bucket     // guarded by mu; wrong passcodes per address
}

// client is what admission keeps about one address.
type client struct {
	conns int // live connections
	joins bucket
}

// entry is one live connection's admission: its address, and whether its
// first join was paid for when it was opened.
type entry struct {
	addr    netip.Addr
	tracked bool // counted in clients[addr].conns
	prepaid bool
	// passcode: a join over the connection holds a token of wrong[addr].
	passcode bool
}

func newAdmission(cfg Admission) *admission {
	a := &admission{cfg: cfg, now: cfg.Now, bound: maxTracked, clients: map[netip.Addr]*client{},
		rooms: map[room.RoomID]*bucket{}, conns: map[*websocket.Conn]*entry{},
		wrong: map[netip.Addr]*bucket{}}
	if a.now == nil {
		a.now = time.Now
	}
	// A bucket that refills holds at least one token.
	if cfg.AddressJoinsPerMinute > 0 && cfg.AddressJoinBurst < 1 {
		a.cfg.AddressJoinBurst = 1
	}
	if cfg.RoomJoinsPerMinute > 0 && cfg.RoomJoinBurst < 1 {
		a.cfg.RoomJoinBurst = 1
	}
	return a
}

// perAddress reports whether connections are opened and bound to their
// address (open, bind): always, since wrong passcodes are limited per
// address whatever the configuration.
func (a *admission) perAddress() bool { return true }

// addressLimits reports whether connections or joins are limited per
// address.
func (a *admission) addressLimits() bool {
	return a.cfg.AddressConnections > 0 || a.cfg.AddressJoinsPerMinute > 0
}

// refusals returns the counters.
func (a *admission) refusals() Refusals {
	return Refusals{AddressConnections: a.refusedConns.Load(), AddressJoins: a.refusedAddrJoins.Load(),
		RoomJoins: a.refusedRoomJoins.Load(), Full: a.refusedFull.Load()}
}

// tracked returns how many addresses and rooms admission remembers.
func (a *admission) tracked() (addresses, rooms int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.clients), len(a.rooms)
}

// refusal is a connection admission turned away: the message for the
// client and how long it should wait.
type refusal struct {
	msg   string
	after time.Duration
}

// open admits a new connection from addr before its upgrade, taking one
// connection slot and one join token; it returns the entry to bind to
// the connection, or why not.
func (a *admission) open(addr netip.Addr) (*entry, *refusal) {
	e := &entry{addr: addr}
	if !a.addressLimits() {
		return e, nil
	}
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.clients[addr]
	if c == nil {
		if !a.makeRoom(now) {
			a.refusedFull.Add(1)
			return nil, &refusal{msgFull, time.Minute}
		}
		c = &client{joins: bucket{tokens: float64(a.cfg.AddressJoinBurst), at: now}}
		a.clients[addr] = c
	}
	if n := a.cfg.AddressConnections; n > 0 && c.conns >= n {
		a.refusedConns.Add(1)
		return nil, &refusal{msgAddressConnections, time.Minute}
	}
	if r := a.cfg.AddressJoinsPerMinute; r > 0 {
		if !c.joins.take(now, r, a.cfg.AddressJoinBurst) {
			a.refusedAddrJoins.Add(1)
			return nil, &refusal{msgAddressJoins, c.joins.wait(r)}
		}
		e.prepaid = true
	}
	c.conns++
	e.tracked = true
	return e, nil
}

// bind records that conn was opened with e.
func (a *admission) bind(conn *websocket.Conn, e *entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.conns[conn] = e
}

// close releases what the connection held (e, bound to conn if conn is
// not nil).
func (a *admission) close(conn *websocket.Conn, e *entry) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if conn != nil {
		delete(a.conns, conn)
	}
	a.untrack(e)
}

// ended gives back the slot of a connection that ended while its
// session goes on (see session.dropLink); the later close does nothing more.
func (a *admission) ended(conn *websocket.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.conns[conn]; e != nil {
		delete(a.conns, conn)
		a.untrack(e)
	}
}

// untrack gives back e's connection slot. Called with mu held.
func (a *admission) untrack(e *entry) {
	if !e.tracked {
		return
	}
	e.tracked = false
	if c := a.clients[e.addr]; c != nil && c.conns > 0 {
		c.conns--
	}
}

// relay exempts conn, a media relay another instance authenticated with
// the cluster's secret, from its address's limits: it gives back its
// connection slot and, if its join was paid for, the token.
func (a *admission) relay(conn *websocket.Conn) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.conns[conn]
	if e == nil {
		return
	}
	c := a.clients[e.addr]
	if e.prepaid && c != nil {
		c.joins.tokens = math.Min(c.joins.tokens+1, float64(a.cfg.AddressJoinBurst))
	}
	e.prepaid = false
	a.untrack(e)
}

// join decides on a join attempt over conn into id; it returns "" to let
// it go on, or the message of the refusal. The address pays first (the
// connection's first join was paid for when it opened), then the room,
// unless the joiner presents a facilitator key.
func (a *admission) join(conn *websocket.Conn, id room.RoomID, facilitatorKey bool) string {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if e := a.conns[conn]; e != nil && a.cfg.AddressJoinsPerMinute > 0 {
		if e.prepaid {
			e.prepaid = false
		} else if c := a.clients[e.addr]; c != nil && !c.joins.take(now, a.cfg.AddressJoinsPerMinute, a.cfg.AddressJoinBurst) {
			a.refusedAddrJoins.Add(1)
			return msgAddressJoins
		}
	}
	r := a.cfg.RoomJoinsPerMinute
	if facilitatorKey || r <= 0 {
		return ""
	}
	b := a.rooms[id]
	if b == nil {
		if len(a.rooms) >= a.bound {
			a.sweepRooms(now)
		}
		b = &bucket{tokens: float64(a.cfg.RoomJoinBurst), at: now}
		a.rooms[id] = b
	}
	if !b.take(now, r, a.cfg.RoomJoinBurst) {
		a.refusedRoomJoins.Add(1)
		return msgRoomJoins
	}
	return ""
}

// passcodeTry takes a token of the wrong passcodes of conn's address
// before a join that brings a passcode; it reports whether there was one.
func (a *admission) passcodeTry(conn *websocket.Conn) bool {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.conns[conn]
	if e == nil || e.passcode {
		return true // not opened through ServeHTTP (tests); or holds one already
	}
	b := a.wrong[e.addr]
	if b == nil {
		if len(a.wrong) >= a.bound {
			a.sweepWrong(now)
		}
		b = &bucket{tokens: wrongPasscodesPerMinute, at: now}
		a.wrong[e.addr] = b
	}
	if !b.take(now, wrongPasscodesPerMinute, wrongPasscodesPerMinute) {
		return false
	}
	e.passcode = true
	return true
}

// passcodeDone settles the token passcodeTry took for conn: a wrong
// passcode spends it; any other outcome gives it back, and an address
// whose bucket is full again is forgotten.
func (a *admission) passcodeDone(conn *websocket.Conn, wrong bool) {
	now := a.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	e := a.conns[conn]
	if e == nil || !e.passcode {
		return
	}
	e.passcode = false
	b := a.wrong[e.addr]
	if wrong || b == nil {
		return
	}
	b.tokens = math.Min(b.tokens+1, wrongPasscodesPerMinute)
	if b.full(now, wrongPasscodesPerMinute, wrongPasscodesPerMinute) {
		delete(a.wrong, e.addr)
	}
}

// sweepWrong forgets addresses whose bucket of wrong passcodes is full,
// then, if that freed less than an eighth of the table, addresses at
// random. Called with mu held.
func (a *admission) sweepWrong(now time.Time) {
	for k, b := range a.wrong {
		if b.full(now, wrongPasscodesPerMinute, wrongPasscodesPerMinute) {
			delete(a.wrong, k)
		}
	}
	for k := range a.wrong {
		if len(a.wrong) <= a.bound-a.bound/8 {
			break
		}
		delete(a.wrong, k)
	}
}

// makeRoom makes sure one more address fits, reporting whether it does.
// Addresses with no live connection and a full bucket are forgotten (they
// carry nothing a fresh entry would not), at least once a minute and
// whenever the table is full; if that leaves less than an eighth of the
// table free, idle addresses are forgotten at random (their buckets
// refill early) so that a spray of addresses costs O(1) each on average.
// Called with mu held.
func (a *admission) makeRoom(now time.Time) bool {
	if len(a.clients) >= a.bound || now.Sub(a.swept) >= time.Minute {
		a.swept = now
		for k, c := range a.clients {
			if c.conns == 0 && c.joins.full(now, a.cfg.AddressJoinsPerMinute, a.cfg.AddressJoinBurst) {
				delete(a.clients, k)
			}
		}
	}
	if len(a.clients) < a.bound {
		return true
	}
	for k, c := range a.clients {
		if len(a.clients) <= a.bound-a.bound/8 {
			break
		}
		if c.conns == 0 {
			delete(a.clients, k)
		}
	}
	return len(a.clients) < a.bound
}

// sweepRooms forgets rooms whose bucket is full, then, if that freed less
// than an eighth of the table, rooms at random (their buckets refill
// early). Called with mu held.
func (a *admission) sweepRooms(now time.Time) {
	for k, b := range a.rooms {
		if b.full(now, a.cfg.RoomJoinsPerMinute, a.cfg.RoomJoinBurst) {
			delete(a.rooms, k)
		}
	}
	for k := range a.rooms {
		if len(a.rooms) <= a.bound-a.bound/8 {
			break
		}
		delete(a.rooms, k)
	}
}

// bucket is a token bucket refilled at a rate per minute up to a burst.
type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

func (b *bucket) refill(now time.Time, perMinute float64, burst int) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+d.Minutes()*perMinute)
		b.at = now
	}
}

// take takes a token if there is one.
func (b *bucket) take(now time.Time, perMinute float64, burst int) bool {
	b.refill(now, perMinute, burst)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// full reports whether the bucket is full at now.
func (b *bucket) full(now time.Time, perMinute float64, burst int) bool {
	b.refill(now, perMinute, burst)
	return b.tokens >= float64(burst)
}

// wait is how long until the next token, after a refill.
func (b *bucket) wait(perMinute float64) time.Duration {
	return time.Duration((1 - b.tokens) / perMinute * float64(time.Minute))
}

// clientAddr is the address a request's limits are kept under: the TCP
// peer, or, when the peer is a trusted proxy, the nearest address in
// X-Forwarded-For that is not a trusted proxy. IPv6 addresses are kept by
// their /64, the block one household or host usually holds.
func (a *admission) clientAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{} // all such requests share one entry
	}
	addr := ap.Addr().Unmap()
	if a.trusted(addr) {
		addr = a.forwarded(addr, r.Header.Values("X-Forwarded-For"))
	}
	return key(addr)
}

// forwarded walks X-Forwarded-For from the right (the hop nearest to us)
// past trusted proxies; a malformed entry stops the walk at the last
// proxy that vouched for it.
func (a *admission) forwarded(peer netip.Addr, headers []string) netip.Addr {
	hops := strings.Split(strings.Join(headers, ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		h, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer
		}
		peer = h.Unmap()
		if !a.trusted(peer) {
			return peer
		}
	}
	return peer
}

func (a *admission) trusted(addr netip.Addr) bool {
	for _, p := range a.cfg.TrustedProxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// key is the entry an address is counted under.
func key(addr netip.Addr) netip.Addr {
	if addr.Is6() {
		if p, err := addr.WithZone("").Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return addr
}

// refuse answers a refused upgrade with 429 Too Many Requests (RFC 6585
// section 4) and a Retry-After in seconds.
func refuse(w http.ResponseWriter, r *refusal) {
	secs := int(math.Ceil(r.after.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	http.Error(w, r.msg, http.StatusTooManyRequests)
}

// ClientAddr is the address admission keeps r's limits under: the TCP
// peer, or behind a trusted proxy the client it names (IPv6 by its /64).
// Other limits per client (the admin page's wrong tokens) use it too.
func (s *Server) ClientAddr(r *http.Request) netip.Addr { return s.admit.clientAddr(r) }

// Refusals returns how many connections and joins admission refused.
func (s *Server) Refusals() Refusals { return s.admit.refusals() }

// TrackedAddresses returns how many client addresses admission holds in
// memory (bounded; an address is forgotten once it holds no connection
// and its bucket has refilled).
func (s *Server) TrackedAddresses() int {
	n, _ := s.admit.tracked()
	return n
}

// joinRateLimited reports whether a join into roomID is refused by the
// admission limits; if it is, the client is told rate_limited. handleJoin
// calls it once the room id is parsed, before taking a seat.
func (s *session) joinRateLimited(roomID room.RoomID, facilitatorKey bool, re json.RawMessage) bool {
	msg := s.srv.admit.join(s.link.conn, roomID, facilitatorKey)
	if msg == "" {
		return false
	}
	s.sendError(protocol.CodeRateLimited, msg, re)
	return true
}

// passcodeLimited reports whether a join that brings a passcode (and no
// facilitator key) is refused because its address tried too many wrong
// passcodes in the last minute; if it is, the client is told
// rate_limited. Otherwise the join holds a token until passcodeChecked.
// handleJoin calls it before joining.
func (s *session) passcodeLimited(m *protocol.Join, re json.RawMessage) bool {
	if m.Passcode == "" || m.FacilitatorKey != "" || s.srv.admit.passcodeTry(s.link.conn) {
		return false
	}
	s.sendError(protocol.CodeRateLimited, msgWrongPasscodes, re)
	return true
}

// passcodeChecked settles the token passcodeLimited took, once the room
// answered the join with err (nil: joined).
func (s *session) passcodeChecked(err error) {
	s.srv.admit.passcodeDone(s.link.conn, errors.Is(err, room.ErrBadPasscode))
}

// relayAccepted exempts the session's connection, now a media relay
// authenticated by the cluster's secret, from its address's limits.
// handleRelay calls it once the secret is checked.
func (s *session) relayAccepted() { s.srv.admit.relay(s.link.conn) }
