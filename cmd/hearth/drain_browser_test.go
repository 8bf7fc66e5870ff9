package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"

	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
	"github.com/hearth-meet/hearth/web/webtest"
)

// healthBalancer is a load balancer as an operator puts before several
// instances (Caddy's reverse_proxy with health_uri /readyz): requests,
// WebSocket upgrades included, go round-robin to the backends whose
// /readyz last answered OK; it checks them every 200 ms.
type healthBalancer struct {
	mu       sync.Mutex
	backends []*proctest.Instance
	healthy  []*proctest.Instance
	next     int
}

// newHealthBalancer checks the backends until the test ends.
func newHealthBalancer(t *testing.T) *healthBalancer {
	lb := &healthBalancer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	t.Cleanup(func() { cancel(); <-done })
	go func() {
		defer close(done)
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			lb.check()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return lb
}

// set gives the balancer its backends; it waits for their next check.
func (lb *healthBalancer) set(ins ...*proctest.Instance) {
	lb.mu.Lock()
	lb.backends = ins
	lb.mu.Unlock()
	lb.check()
}

func (lb *healthBalancer) check() {
	lb.mu.Lock()
	backends := lb.backends
	lb.mu.Unlock()
	var healthy []*proctest.Instance
	for _, in := range backends {
		if in.ReadyStatus() == http.StatusOK {
			healthy = append(healthy, in)
		}
	}
	lb.mu.Lock()
	lb.healthy = healthy
	lb.mu.Unlock()
}

func (lb *healthBalancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lb.mu.Lock()
	var in *proctest.Instance
	if len(lb.healthy) > 0 {
		in = lb.healthy[lb.next%len(lb.healthy)]
		lb.next++
	}
	lb.mu.Unlock()
	if in == nil {
		http.Error(w, "no healthy backend", http.StatusServiceUnavailable)
		return
	}
	target, _ := url.Parse(in.HTTP())
	httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
}

// Two instances on one Redis behind a health-checked load balancer. A
// facilitator and a member join in Chromium through it while it sends
// everything to instance A; a third person is on instance B. The member
// raises a hand and the facilitator mutes them. SIGTERM to A: its
// /readyz fails at once, and it moves its people: both pages come back
// through the balancer on B by themselves — the facilitator still a
// facilitator, the member's hand still raised and still muted by the
// facilitator — and the person on B sees them so; media flows again
// between all three. A exits once its participants are gone, long before
// its drain deadline.
func TestDrainMovesBrowsersToAnotherInstance(t *testing.T) {
	rs := redistest.Start(t)
	bin := proctest.Build(t)
	redisURL := "redis://" + rs.Addr() + "/0"
	a := proctest.StartWith(t, bin, "--redis-url", redisURL, "--drain-timeout", "5m")
	b := proctest.StartWith(t, bin, "--redis-url", redisURL, "--drain-timeout", "5m")
	lb := newHealthBalancer(t)
	lb.set(a)
	front := httptest.NewServer(lb)
	defer front.Close()

	roomID, key := roomAndKey(a.FacilitatorLink)
	_, mkey := roomAndKey(a.MemberLink)
	browser := webtest.NewBrowser(t)
	fac := joinPage(t, browser, front.URL+"/r/"+roomID+"#f="+key, "Fennimore")
	mem := joinPage(t, browser, front.URL+"/r/"+roomID+"#k="+mkey, "Marisol")
	other := joinPage(t, browser, b.HTTP()+"/r/"+roomID+"#k="+mkey, "Oriel")
	pages := map[string]*webtest.Page{"Fennimore": fac, "Marisol": mem, "Oriel": other}
	for _, p := range pages {
		p.WaitVisible(webtest.Button("Leave"))
	}
	if !press(mem, "Raise hand") || !fac.WaitFor(20*time.Second, entryHas("Marisol", "hand raised")) {
		t.Fatal("the facilitator does not see Marisol's hand")
	}
	if !press(fac, "Mute Marisol") || !fac.WaitFor(20*time.Second, entryHas("Marisol", "muted")) {
		var shown []string
		fac.Eval(`[...document.querySelectorAll('ul[aria-label="Participants"] li')].map(li => li.textContent).concat([...document.querySelectorAll('button')].map(b => b.textContent.trim() + (b.hidden ? ' (hidden)' : '')), [document.getElementById('status') ? document.getElementById('status').textContent : ''])`, &shown)
		t.Fatalf("the facilitator's Mute Marisol does not take: %q", shown)
	}
	var signalled time.Time
	moved := func(what string) {
		t.Helper()
		for who, p := range pages {
			if !p.WaitFor(20*time.Second, participantsHas("Fennimore")+" && "+participantsHas("Oriel")+" && "+
				entryHas("Marisol", "muted")+" && "+handsOrder+`.some(h => h.includes("Marisol"))`) {
				var shown []string
				p.Eval(`[...document.querySelectorAll('ul[aria-label="Participants"] li')].map(li => li.textContent).concat(`+handsOrder+`, [document.body.innerText.slice(0, 400)])`, &shown)
				t.Fatalf("%s, %s's page does not show the three, Marisol muted with her hand raised: %q", what, who, shown)
			}
		}
		if !signalled.IsZero() {
			t.Logf("%s: the three pages show everyone as before %v after SIGTERM", what, time.Since(signalled).Round(time.Millisecond))
		}
		if !fac.WaitFor(10*time.Second, `[...document.querySelectorAll('button')].some(b => b.textContent.trim() === "Ask Marisol to unmute")`) {
			t.Fatalf("%s, the facilitator's page has no facilitator's controls", what)
		}
		if !mem.WaitFor(10*time.Second, `[...document.querySelectorAll('button')].some(b => b.textContent.trim() === "Lower hand")`) {
			t.Fatalf("%s, Marisol's page does not show her hand raised", what)
		}
		// Marisol is muted: Oriel hears the facilitator and sees both.
		for start := time.Now(); ; {
			audio, video := other.ReceivingBytes(time.Second)
			if audio >= 1 && video >= 2 {
				break
			}
			if time.Since(start) > 20*time.Second {
				t.Fatalf("%s, Oriel's page receives %d audio and %d video tracks, want 1 and 2", what, audio, video)
			}
		}
	}
	moved("before the drain")
	lb.set(a, b)

	_ = a.Cmd.Process.Signal(syscall.SIGTERM)
	signalled = time.Now()
	signalingtest.WaitFor(t, time.Second, "A's /readyz to fail", func() bool { return a.ReadyStatus() == http.StatusServiceUnavailable })
	if !a.Exited(60 * time.Second) {
		t.Fatal("A did not exit within 60 s of SIGTERM: its participants did not move")
	}
	t.Logf("A moved its participants and exited %v after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	moved("after A drained")
	t.Logf("media flows again %v after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	logs := a.Logs.String()
	if !strings.Contains(logs, "moving participants to the other instances") {
		t.Errorf("A's logs do not say it moved its participants")
	}
	for _, secret := range []string{"Fennimore", "Marisol", "Oriel", "127.0.0.1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("A's logs contain %q", secret)
		}
	}
}

// press presses the page's button whose text is name, finding and
// clicking it in one step in the page (a list drawn again as events come
// replaces its buttons); it reports whether there was one within 10 s.
func press(p *webtest.Page, name string) bool {
	return p.WaitFor(10*time.Second, fmt.Sprintf(`(() => { const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === %q && !b.disabled); if (b) b.click(); return !!b; })()`, name))
}
