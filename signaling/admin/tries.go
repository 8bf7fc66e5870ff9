package admin

import (
	"net/http"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// This file limits wrong admin tokens per client address, so that the
// token cannot be guessed through the sign-in form. Addresses live only in
// memory, in a bounded table, and are never logged.

// WrongTokensPerMinute is how many wrong admin tokens one client address
// may try a minute (also its burst).
const WrongTokensPerMinute = 5

// maxTries bounds the addresses remembered; when the table is full of
// addresses that tried recently, the others share one entry.
const maxTries = 4096

const msgTooManyTries = "Too many wrong tokens from your network. Try again in a minute."

// wrongTries is the table of addresses and their buckets. Safe for
// concurrent use.
type wrongTries struct {
	// static after construction
	now  func() time.Time
	addr func(*http.Request) netip.Addr

	mu    sync.Mutex
	table map[netip.Addr]*rate.Limiter // guarded by mu
}

func newWrongTries(now func() time.Time, addr func(*http.Request) netip.Addr) *wrongTries {
	if now == nil {
		now = time.Now
	}
	if addr == nil {
		addr = peerAddr
	}
	return &wrongTries{now: now, addr: addr, table: map[netip.Addr]*rate.Limiter{}}
}

// peerAddr is the request's TCP peer.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// try is one sign-in attempt holding a token of its address's bucket.
type try struct {
	w   *wrongTries
	res *rate.Reservation
}

// begin takes a token for r's address; ok is false when none is left.
// The token stays taken unless the attempt is forgiven (the token was
// right), so that parallel guesses cannot get past the limit.
func (w *wrongTries) begin(r *http.Request) (t try, ok bool) {
	now := w.now()
	lim := w.limiter(w.addr(r), now)
	res := lim.ReserveN(now, 1)
	if !res.OK() || res.DelayFrom(now) > 0 {
		res.CancelAt(now)
		return try{}, false
	}
	return try{w: w, res: res}, true
}

// forgive gives the attempt's token back.
func (t try) forgive() { t.res.CancelAt(t.w.now()) }

// limiter returns addr's bucket, making one if needed.
func (w *wrongTries) limiter(addr netip.Addr, now time.Time) *rate.Limiter {
	w.mu.Lock()
	defer w.mu.Unlock()
	if lim, ok := w.table[addr]; ok {
		return lim
	}
	if len(w.table) >= maxTries {
		for a, lim := range w.table { // forget addresses whose bucket refilled
			if lim.TokensAt(now) >= WrongTokensPerMinute {
				delete(w.table, a)
			}
		}
		if len(w.table) >= maxTries {
			addr = netip.Addr{}
			if lim, ok := w.table[addr]; ok {
				return lim
			}
		}
	}
	lim := rate.NewLimiter(rate.Every(time.Minute/WrongTokensPerMinute), WrongTokensPerMinute)
	w.table[addr] = lim
	return lim
}
