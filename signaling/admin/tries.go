package admin

import (
	"math"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// This file limits wrong admin tokens per client address, so that the
// token cannot be guessed through the sign-in form or the API. Addresses
// live only in memory, in a bounded table, and are never logged.

// WrongTokensPerMinute is how many wrong admin tokens one client address
// may try a minute (also its burst).
const WrongTokensPerMinute = 5

// maxTries bounds the addresses remembered; when the table is full of
// addresses that tried recently, the others share one entry.
const maxTries = 4096

const msgTooManyTries = "Too many wrong tokens from your network. Try again in a minute."

// wrongTries is the table of addresses and their buckets of tries. Safe
// for concurrent use.
type wrongTries struct {
	// static after construction
	now  func() time.Time
	addr func(*http.Request) netip.Addr

	mu    sync.Mutex
	table map[netip.Addr]*tries // guarded by mu
}

// tries is one address's token bucket: WrongTokensPerMinute tokens,
// refilled at that rate.
type tries struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// refill brings the bucket up to now.
func (b *tries) refill(now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = math.Min(WrongTokensPerMinute, b.tokens+d.Minutes()*WrongTokensPerMinute)
		b.at = now
	}
}

func newWrongTries(now func() time.Time, addr func(*http.Request) netip.Addr) *wrongTries {
	if now == nil {
		now = time.Now
	}
	if addr == nil {
		addr = peerAddr
	}
	return &wrongTries{now: now, addr: addr, table: map[netip.Addr]*tries{}}
}

// peerAddr is the request's TCP peer.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// try is one attempt holding a token of its address's bucket.
type try struct {
	w    *wrongTries
	addr netip.Addr
}

// begin takes a token for r's address; ok is false when none is left.
// The token stays taken unless the attempt is forgiven (the token was
// right), so that parallel guesses cannot get past the limit.
func (w *wrongTries) begin(r *http.Request) (t try, ok bool) {
	addr := w.addr(r)
	now := w.now()
	w.mu.Lock()
	defer w.mu.Unlock()
	b, addr := w.bucket(addr, now)
	b.refill(now)
	if b.tokens < 1 {
		return try{}, false
	}
	b.tokens--
	return try{w: w, addr: addr}, true
}

// forgive gives the attempt's token back.
func (t try) forgive() {
	now := t.w.now()
	t.w.mu.Lock()
	defer t.w.mu.Unlock()
	if b, ok := t.w.table[t.addr]; ok {
		b.refill(now)
		b.tokens = math.Min(WrongTokensPerMinute, b.tokens+1)
	}
}

// bucket returns addr's bucket and the address it is kept under, making
// one if needed. Called with mu held.
func (w *wrongTries) bucket(addr netip.Addr, now time.Time) (*tries, netip.Addr) {
	if b, ok := w.table[addr]; ok {
		return b, addr
	}
	if len(w.table) >= maxTries {
		for a, b := range w.table { // forget addresses whose bucket refilled
			if b.refill(now); b.tokens >= WrongTokensPerMinute {
				delete(w.table, a)
			}
		}
		if len(w.table) >= maxTries {
			addr = netip.Addr{}
			if b, ok := w.table[addr]; ok {
				return b, addr
			}
		}
	}
	b := &tries{tokens: WrongTokensPerMinute, at: now}
	w.table[addr] = b
	return b, addr
}
