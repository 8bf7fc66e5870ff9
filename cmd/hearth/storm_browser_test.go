package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/web/webtest"
)

// stormProbe is evaluated in a page before it joins: it counts the
// messages the page's WebSockets receive (window.__stormMsgs) and records
// every long task (over 50 ms) of the main thread (window.__stormLong:
// [startTime, duration] pairs, in ms of performance.now()).
const stormProbe = `(() => {
  window.__stormMsgs = 0;
  window.__stormLong = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__stormLong.push([e.startTime, e.duration]);
  }).observe({ type: 'longtask', buffered: true });
  const Orig = window.WebSocket;
  window.WebSocket = class extends Orig {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => { window.__stormMsgs++; });
    }
  };
  return true;
})()`

// stormFigures is what the probe saw between two moments of the page.
type stormFigures struct {
	Msgs    int       `json:"msgs"`
	Longest float64   `json:"longest"`
	Long    []float64 `json:"long"` // durations of the long tasks in the window
}

// readProbe returns the probe's figures since the page's time from (ms).
func readProbe(p *webtest.Page, from float64) stormFigures {
	var f stormFigures
	p.Eval(fmt.Sprintf(`(() => {
  const long = window.__stormLong.filter(([s]) => s >= %f).map(([, d]) => Math.round(d));
  return { msgs: window.__stormMsgs, longest: Math.max(0, ...long), long };
})()`, from), &f)
	return f
}

// stormRoom creates a room with a waiting room through the operators' API
// and, as a second facilitator, raises its waiting room's cap to hold
// every bot; it returns the room's links.
func stormRoom(t *testing.T, ctx context.Context, ts *testServer, ws string) (member, facilitator string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+ts.addr.String()+"/api/rooms", strings.NewReader(`{"name":"Storm group"}`))
	req.Header.Set("Authorization", "Bearer tok")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var links struct{ MemberLink, FacilitatorLink string }
	if err := json.NewDecoder(resp.Body).Decode(&links); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	roomID, key := roomAndKey(links.FacilitatorLink)
	c, err := client.DialConn(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if _, err := c.Join(ctx, protocol.Join{Room: roomID, Name: "Setter", FacilitatorKey: key}); err != nil {
		t.Fatal(err)
	}
	maxWaiting := 200
	if err := c.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "settings",
		Settings: &protocol.Settings{MaxWaiting: &maxWaiting}}); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == protocol.TypeEvent && strings.Contains(string(m.Raw), `"maxWaiting":200`) {
			break
		}
		if m.Type == protocol.TypeError {
			t.Fatalf("settings: %s", m.Raw)
		}
	}
	_ = c.Send(ctx, protocol.Leave{Type: protocol.TypeLeave})
	return links.MemberLink, links.FacilitatorLink
}

// stormBot joins the room's waiting room and, until end, toggles its
// camera and microphone about 50 times a second (the message rate limit);
// with rejoin it hangs up and joins again as a new person every 2 s, and
// so does any bot the server disconnects (a session that falls behind is
// cut off). It stays in the waiting room at the end; it counts the
// set_self sent and the disconnections.
func stormBot(ctx context.Context, ws, memberLink, name string, rejoin bool, end time.Time, sent, cut *atomic.Int64) (*client.Conn, error) {
	for {
		c, gone, err := joinWaiting(ctx, ws, memberLink, name)
		if err != nil {
			return nil, err
		}
		until := end
		if rejoin && time.Until(end) > 2*time.Second {
			until = time.Now().Add(2 * time.Second)
		}
		if toggle(ctx, c, gone, until, sent) {
			cut.Add(1)
			continue
		}
		if !time.Now().Before(end) {
			return c, nil
		}
		_ = c.Send(ctx, protocol.Leave{Type: protocol.TypeLeave})
		_ = c.Close()
	}
}

// toggle sends set_self every 20 ms until the time until; it reports
// whether the connection was lost before.
func toggle(ctx context.Context, c *client.Conn, gone <-chan struct{}, until time.Time, sent *atomic.Int64) (lost bool) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; time.Now().Before(until); i++ {
		select {
		case <-gone:
			return true
		case <-tick.C:
		}
		on := i%4 < 2
		msg := protocol.SetSelf{Type: protocol.TypeSetSelf, Camera: &on}
		if i%2 == 1 {
			msg = protocol.SetSelf{Type: protocol.TypeSetSelf, Muted: &on}
		}
		if c.Send(ctx, msg) == nil {
			sent.Add(1)
		}
	}
	return false
}

// joinWaiting joins as a new person (retrying refusals, e.g. a join rate
// limit, for up to 10 s) and drains what the server sends; gone is closed
// when the connection ends.
func joinWaiting(ctx context.Context, ws, memberLink, name string) (c *client.Conn, gone <-chan struct{}, err error) {
	var last error
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		c, err := client.DialConn(ctx, ws)
		if err != nil {
			last = err
			continue
		}
		w, err := c.Join(ctx, memberJoin(memberLink, name))
		if err == nil && w.Self.Status != "waiting" {
			err = fmt.Errorf("status %q, want waiting", w.Self.Status)
		}
		if err != nil {
			last = err
			_ = c.CloseNow()
			continue
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				if _, err := c.Recv(ctx); err != nil {
					return
				}
			}
		}()
		return c, done, nil
	}
	return nil, nil, errors.Join(errors.New("join the waiting room"), last)
}

// waitingNow joins as one more facilitator and returns how many people
// the server's welcome lists as waiting: the truth to check a page by.
func waitingNow(t *testing.T, ctx context.Context, ws, facLink string) int {
	t.Helper()
	roomID, key := roomAndKey(facLink)
	c, err := client.DialConn(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	w, err := c.Join(ctx, protocol.Join{Room: roomID, Name: "Observer", FacilitatorKey: key})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range w.Participants {
		if p.Status == "waiting" {
			n++
		}
	}
	_ = c.Send(ctx, protocol.Leave{Type: protocol.TypeLeave})
	return n
}

// Storm sizes: bots in the waiting room, how long they storm.
const (
	stormBots     = 60
	stormDuration = 8 * time.Second
)

// In real Chromium, a facilitator's page in a room with a waiting room
// while 60 scripted visitors join it and toggle camera and microphone as
// fast as the server lets them for 8 s (every third one hanging up and
// joining again as someone new every 2 s): the page has no main-thread
// task over 200 ms (a PerformanceObserver for long tasks), it receives a
// few updates a second per person waiting rather than one per toggle (the
// server coalesces them), and its waiting-room panel then shows the 60
// people waiting. Without coalescing the page received ~3,000 messages a
// second.
func TestBrowserWaitingRoomStorm(t *testing.T) {
	ts := startServer(t, append([]string{"--admin-token", "tok"}, noAdmissionLimits()...)...)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ws := "ws://" + ts.addr.String() + "/ws"
	memberLink, facLink := stormRoom(t, ctx, ts, ws)

	browser := webtest.NewBrowser(t)
	fac := browser.NewPage(t, facLink)
	fac.WaitVisible(webtest.Labelled("Your name"))
	var ok bool
	fac.Eval(stormProbe, &ok)
	fac.Type("Your name", "Philippa")
	fac.Click("Join")
	fac.WaitVisible(webtest.Button("Deny all"))

	var start float64
	fac.Eval(`performance.now()`, &start)
	before := readProbe(fac, start)
	sent, cut, stormed := storm(t, ctx, ws, memberLink)
	during := readProbe(fac, start)

	// What a facilitator would check: the panel counts everyone waiting.
	time.Sleep(time.Second)
	want := waitingNow(t, ctx, ws, facLink)
	count := `document.querySelectorAll('#waiting-list li').length`
	shown := fac.WaitFor(10*time.Second, fmt.Sprintf(`%s === %d`, count, want))
	var listed int
	fac.Eval(count, &listed)
	after := readProbe(fac, start)
	fac.Click("Leave")
	coalesced := awaitCoalesced(t, ts)

	msgs := during.Msgs - before.Msgs
	t.Logf("%d bots sent %d set_self in %v (the server cut off %d that fell behind; they joined again): "+
		"the facilitator's page received %d messages (%.0f/s); its longest task %.0f ms during the storm, %.0f ms until settled (long tasks, ms: %v); "+
		"the server coalesced %d events; the panel lists %d waiting, the server %d",
		stormBots, sent, stormed.Round(time.Millisecond), cut, msgs, float64(msgs)/stormed.Seconds(),
		during.Longest, after.Longest, after.Long, coalesced, listed, want)
	switch {
	case os.Getenv("HEARTH_TIMED") == "":
		t.Log("the 200 ms bound is not checked here: make test checks it in its quiet timed run (HEARTH_TIMED=1)")
	case after.Longest > 200:
		t.Errorf("the facilitator's page had a main-thread task of %.0f ms, want none over 200 ms", after.Longest)
	}
	// A few updates a second for each person waiting, not one per toggle.
	if limit := int(5 * stormBots * stormed.Seconds()); msgs > limit {
		t.Errorf("the facilitator's page received %d messages in %v, want at most %d (5 a second per person waiting)",
			msgs, stormed.Round(time.Millisecond), limit)
	}
	if !shown || want < stormBots/2 {
		t.Errorf("the waiting-room panel lists %d people; the server has %d waiting (of %d bots)", listed, want, stormBots)
	}
}

// storm runs the bots against the room of the member link for
// stormDuration; it returns how many set_self they sent, how often the
// server cut one off, and how long it took.
func storm(t *testing.T, ctx context.Context, ws, memberLink string) (sent, cut int64, took time.Duration) {
	t.Helper()
	began := time.Now()
	end := began.Add(stormDuration)
	var nSent, nCut atomic.Int64
	var wg sync.WaitGroup
	for i := range stormBots {
		wg.Go(func() {
			c, err := stormBot(ctx, ws, memberLink, fmt.Sprintf("Visitor%02d", i), i%3 == 0, end, &nSent, &nCut)
			if err != nil {
				t.Errorf("bot %d: %v", i, err)
				return
			}
			t.Cleanup(func() { _ = c.CloseNow() })
		})
	}
	wg.Wait()
	return nSent.Load(), nCut.Load(), time.Since(began)
}

// noAdmissionLimits returns the flags that turn off the limits on how
// fast people may arrive (per address and per room), when the server has
// them: this test is about what reaches a facilitator from people already
// waiting, however they got in.
func noAdmissionLimits() []string {
	flags := []string{"--join-rate", "0", "--address-connections", "0", "--address-join-rate", "0"}
	if _, err := parseConfig(flags, func(string) string { return "" }, io.Discard); err != nil {
		return nil
	}
	return flags
}

// awaitCoalesced waits for the facilitator's session to end and returns
// how many events about the waiting room its server held back and merged
// (the "participant left" log line's coalescedEvents).
func awaitCoalesced(t *testing.T, ts *testServer) int {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, l := range logLines(t, ts.logs.String()) {
			if n, ok := l["coalescedEvents"].(float64); ok && l["msg"] == "participant left" {
				return int(n)
			}
		}
	}
	return 0
}
