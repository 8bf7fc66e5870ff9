// Package webtest drives the browser client in real headless Chromium
// (Debian's /usr/bin/chromium, fake camera and microphone) for tests. It
// finds elements by their accessible names, as a person using a screen
// reader would, and reads what each page receives from its
// RTCPeerConnections' statistics.
package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// ChromiumPath is where Debian's chromium package puts the browser.
const ChromiumPath = "/usr/bin/chromium"

// Browser is one headless Chromium process.
type Browser struct {
	ctx       context.Context
	rtcConfig string // JSON merged into every RTCPeerConnection's configuration
}

// NewBrowser starts Chromium for the test, or skips the test when Chromium
// is not installed and HEARTH_REQUIRE_BROWSER is not set (make test sets
// it, so CI never skips).
func NewBrowser(t *testing.T) *Browser {
	t.Helper()
	return NewBrowserWith(t, Options{})
}

// requireBrowser skips the test when the browser at path is not
// installed, or fails it when HEARTH_REQUIRE_BROWSER is set (make test
// sets it, so CI never skips).
func requireBrowser(t *testing.T, path, pkg string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("HEARTH_REQUIRE_BROWSER") != "" {
			t.Fatalf("%s is required: %v", pkg, err)
		}
		t.Skipf("no %s (install the %s package; make test does)", path, pkg)
	}
}

// Options change how NewBrowserWith starts Chromium.
type Options struct {
	// Prefix runs Chromium through another command, e.g. netlab's
	// NS.Exec() ("ip netns exec NAME") to run it inside a network
	// namespace. Chromium is driven through a pipe, so it needs no port
	// the test could not reach.
	Prefix []string
	// Flags are more command-line switches (name without dashes: value,
	// or true), e.g. "unsafely-treat-insecure-origin-as-secure":
	// "http://203.0.113.1:8080" or "ignore-certificate-errors": true.
	Flags map[string]any
	// RTCConfig, a JSON object, is merged into the configuration of every
	// RTCPeerConnection the pages create, e.g. {"iceTransportPolicy":
	// "relay"}.
	RTCConfig string
}

// NewBrowserWith starts Chromium as NewBrowser does, changed by o. When
// the test runs under Main and o has no Prefix and no Flags, it opens a
// browser context of the package's shared Chromium instead (a browser of
// its own all the same: its own cookies, storage and cache, as a new
// profile has); with a Prefix or Flags it starts a Chromium of its own.
func NewBrowserWith(t *testing.T, o Options) *Browser {
	t.Helper()
	requireBrowser(t, ChromiumPath, "chromium")
	var allocCtx context.Context
	var cancelAlloc context.CancelFunc
	var ctxOpts []chromedp.ContextOption
	if url := os.Getenv(SharedEnv); url != "" && len(o.Prefix) == 0 && len(o.Flags) == 0 {
		allocCtx, cancelAlloc = remote.NewAllocator(context.Background(), url, remote.NoModifyURL)
		ctxOpts = append(ctxOpts, chromedp.WithNewBrowserContext())
	} else {
		allocCtx, cancelAlloc = chromedp.NewExecAllocator(context.Background(), chromiumOptions(t.TempDir(), o)...)
	}
	ctx, cancel := chromedp.NewContext(allocCtx, ctxOpts...)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancel(); cancelAlloc() })
	return &Browser{ctx: ctx, rtcConfig: o.RTCConfig}
}

// chromiumOptions are the allocator options that start Chromium with its
// user data in dir, changed by o's Prefix and Flags.
func chromiumOptions(dir string, o Options) []chromedp.ExecAllocatorOption {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(ChromiumPath),
		chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.WindowSize(800, 700),
	)
	for name, v := range o.Flags {
		opts = append(opts, chromedp.Flag(name, v))
	}
	if len(o.Prefix) > 0 {
		prefix := o.Prefix
		opts = append(opts, chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			cmd.Args = append(append([]string{}, prefix...), cmd.Args...)
			cmd.Path = prefix[0]
			if lp, err := exec.LookPath(prefix[0]); err == nil {
				cmd.Path = lp
			}
			// When the test process dies, the browser goes too.
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		}))
	}
	return opts
}

// initScript is what every page runs before its own scripts.
func (b *Browser) initScript() string {
	if b.rtcConfig == "" {
		return statsScript
	}
	return "window.__hearthRTCConfig = " + b.rtcConfig + ";\n" + statsScript
}

// Page is one browser tab.
type Page struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	console []string // what the page wrote to its console
	thrown  []string // uncaught exceptions
	// requests maps the page's requests in flight to their addresses;
	// failed is "address: error" for each that failed (a script that
	// did not arrive leaves no exception), for failure messages.
	requests map[network.RequestID]string
	failed   []string
}

// statsScript keeps every RTCPeerConnection the page creates in
// window.__hearthPCs, so that the test can read their statistics, and
// merges window.__hearthRTCConfig (Options.RTCConfig) into their
// configuration, and keeps every camera and microphone track the page
// opens in window.__hearthTracks.
const statsScript = `(() => {
  const Orig = window.RTCPeerConnection;
  window.__hearthPCs = [];
  window.RTCPeerConnection = function(config, ...rest) {
    const pc = new Orig(Object.assign({}, config || {}, window.__hearthRTCConfig || {}), ...rest);
    window.__hearthPCs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Orig.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Orig);
  window.__hearthTracks = [];
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = async (c) => {
      const s = await gum(c);
      window.__hearthTracks.push(...s.getTracks());
      return s;
    };
  }
})();`

// LiveTracks is a JS expression: how many camera ("video") or microphone
// ("audio") tracks the page opened and has not stopped.
func LiveTracks(kind string) string {
	return fmt.Sprintf(`window.__hearthTracks.filter(t => t.kind === %q && t.readyState === 'live').length`, kind)
}

// NewPage opens a new tab on url.
func (b *Browser) NewPage(t *testing.T, url string) *Page {
	t.Helper()
	p := b.newTab(t, url)
	p.do("open "+url, chromedp.Navigate(url))
	return p
}

// newTab opens a blank tab that will report its exceptions (those of
// url, what it is opened for) and runs the init script on every document.
func (b *Browser) newTab(t *testing.T, url string) *Page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx)
	t.Cleanup(cancel)
	p := &Page{t: t, ctx: ctx, requests: map[network.RequestID]string{}}
	if err := chromedp.Do(ctx); err != nil { // opens the tab
		t.Fatalf("open tab: %v", err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			p.console = append(p.console, string(e.Type))
		case *network.EventRequestWillBeSent:
			p.requests[e.RequestID] = e.Request.URL
		case *network.EventLoadingFinished:
			delete(p.requests, e.RequestID)
		case *network.EventLoadingFailed:
			p.failed = append(p.failed, p.requests[e.RequestID]+": "+e.ErrorText)
			delete(p.requests, e.RequestID)
		case *runtime.EventExceptionThrown:
			msg := e.ExceptionDetails.Text
			if x := e.ExceptionDetails.Exception; x != nil {
				msg += " " + x.Description
			}
			p.thrown = append(p.thrown, msg)
		}
	}); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	t.Cleanup(func() {
		if ex := p.Exceptions(); len(ex) > 0 {
			t.Errorf("the page at %s threw: %q", url, ex)
		}
	})
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
		page.AddScriptToEvaluateOnNewDocumentParams{Source: b.initScript()}); err != nil {
		t.Fatalf("add init script: %v", err)
	}
	return p
}

// Run runs chromedp actions on the page, failing the test on error (and
// reporting the page's uncaught exceptions, if any).
func (p *Page) Run(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	p.do("", actions...)
}

// do is Run for a step the failure names (what), e.g. "wait for
// //button[.='Join']": a test that fails in a helper then says which step
// stalled and what the page showed.
func (p *Page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		if what != "" {
			what = " (" + what + ")"
		}
		p.t.Fatalf("browser%s: %v (page exceptions: %q; the page: %s)", what, err, p.Exceptions(), p.describe())
	}
}

// describe says, for a failure message, where the page is and what it
// shows: its address, load state, status line and the start of its text.
func (p *Page) describe() string {
	ctx, cancel := context.WithTimeout(p.ctx, 3*time.Second)
	defer cancel()
	const expr = `JSON.stringify({url: location.href, readyState: document.readyState,
  status: document.querySelector('[role="status"]')?.textContent,
  focus: document.activeElement?.id || document.activeElement?.tagName,
  text: (document.body?.innerText || '').slice(0, 600)})`
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		s = "unreadable: " + err.Error()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.failed) > 0 {
		s += fmt.Sprintf("; requests that failed: %q", p.failed)
	}
	return s
}

// Eval evaluates a JavaScript expression (awaiting a promise) into out,
// which is a pointer.
func (p *Page) Eval(expr string, out any) {
	p.t.Helper()
	p.EvalWithin(30*time.Second, expr, out)
}

// EvalWithin is Eval with its own time limit (e.g. for a slow script).
func (p *Page) EvalWithin(limit time.Duration, expr string, out any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, limit)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[json.RawMessage](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("browser: evaluate: %v", err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		p.t.Fatalf("browser: decode %s: %v", raw, err)
	}
}

// Button returns the XPath of the button whose accessible name (its text)
// is name.
func Button(name string) string {
	return fmt.Sprintf(`//button[normalize-space(.)=%s]`, xpathString(name))
}

// Labelled returns the XPath of the form control labelled label.
func Labelled(label string) string {
	return fmt.Sprintf(`//*[@id=//label[normalize-space(.)=%s]/@for]`, xpathString(label))
}

func xpathString(s string) string {
	b, _ := json.Marshal(s) // names in tests have no double quotes
	return string(b)
}

// menuOpener is a JS function of an XPath: when the button there is an
// item of a closed menu, it returns the id of the menu, whose button
// (aria-controls) opens it; otherwise "". It opens a closed disclosure
// (details) the button is in, as a person would, by its summary.
const menuOpener = `((xp) => {
  const b = document.evaluate(xp, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue;
  for (let d = b && b.closest('details:not([open])'); d; d = d.parentElement && d.parentElement.closest('details:not([open])')) {
    if (!d.hidden) d.querySelector(':scope > summary').click();
  }
  const menu = b && b.closest('[role="menu"]');
  return menu && menu.hidden ? menu.id : '';
})`

// Click presses the button with the accessible name. A button that is an
// item of a closed menu (e.g. "Mute Ana" under "Actions for Ana"), or in a
// closed disclosure ("Facilitator controls"), is pressed as a person
// would: its menu (disclosure) is opened first.
func (p *Page) Click(name string) {
	p.t.Helper()
	xp := Button(name)
	p.do("find "+xp, chromedp.WaitReady(xp))
	var menu string
	p.Eval(menuOpener+"("+xpathString(xp)+")", &menu)
	if menu != "" {
		p.Run(chromedp.Click(fmt.Sprintf(`//*[@aria-controls=%s]`, xpathString(menu)), chromedp.NodeVisible))
	}
	// As a person does, it waits until the button can be pressed. It asks
	// the page: chromedp's NodeEnabled let a click through to a button
	// the page had not enabled yet (the click went to no button at all).
	if !p.WaitFor(30*time.Second, `!document.evaluate(`+xpathString(xp)+`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue?.disabled`) {
		p.t.Fatalf("browser: the button %q stays disabled (the page: %s)", name, p.describe())
	}
	p.do("click "+xp, chromedp.Click(xp, chromedp.NodeVisible))
}

// Type types text into the field labelled label.
func (p *Page) Type(label, text string) {
	p.t.Helper()
	p.do("type into "+Labelled(label), chromedp.SendKeys(Labelled(label), text, chromedp.NodeVisible))
}

// WaitVisible waits for the element at the XPath to be visible.
func (p *Page) WaitVisible(xpath string) {
	p.t.Helper()
	p.do("wait for "+xpath, chromedp.WaitVisible(xpath))
}

// WaitFor polls the JavaScript boolean expression until it is true or the
// timeout passes; it reports whether it became true.
func (p *Page) WaitFor(timeout time.Duration, expr string) bool {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		var ok bool
		p.Eval(expr, &ok)
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Inbound is one inbound-rtp statistics entry of a page.
type Inbound struct {
	Kind          string  `json:"kind"`
	Track         string  `json:"trackIdentifier"`
	Bytes         float64 `json:"bytesReceived"`
	FramesDecoded float64 `json:"framesDecoded"`
	Width         float64 `json:"frameWidth"`
}

// InboundStats returns the inbound-rtp entries of every peer connection of
// the page, keyed by kind and track identifier.
func (p *Page) InboundStats() map[string]Inbound {
	p.t.Helper()
	return inboundStats(p)
}

// Flowing samples the page's inbound statistics twice, interval apart,
// and returns how many audio tracks received more bytes and how many video
// tracks decoded more frames in between. It looks again every 200 ms and
// ends early once every track did: the full interval could not count
// more.
func (p *Page) Flowing(interval time.Duration) (audio, video int) {
	p.t.Helper()
	return flowing(p, interval)
}

// evaluator is a page of either browser.
type evaluator interface {
	Eval(expr string, out any)
}

// inboundStatsJS lists the inbound-rtp entries of the page's peer
// connections.
const inboundStatsJS = `(async () => {
  const out = [];
  for (const pc of window.__hearthPCs || []) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    stats.forEach(s => { if (s.type === 'inbound-rtp') out.push({
      kind: s.kind, trackIdentifier: s.trackIdentifier || '', bytesReceived: s.bytesReceived || 0,
      framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0 }); });
  }
  return out;
})()`

func inboundStats(e evaluator) map[string]Inbound {
	var list []Inbound
	e.Eval(inboundStatsJS, &list)
	m := make(map[string]Inbound, len(list))
	for _, s := range list {
		m[s.Kind+"/"+s.Track] = s
	}
	return m
}

// flowPoll is how often flowing and ReceivingBytes look again within
// their interval.
const flowPoll = 200 * time.Millisecond

// sampleUntil takes the page's inbound statistics, then takes them again
// every flowPoll until interval has passed or count (of the first and the
// latest statistics) says every track of the first has moved: counts
// only grow as the interval goes on (bytes and frames only go up, and a
// track that moved stays counted), so the full interval could not give
// more; it returns the last counts.
func sampleUntil(e evaluator, interval time.Duration, count func(a, b map[string]Inbound) (audio, video int)) (audio, video int) {
	a := inboundStats(e)
	var total [2]int // audio, video tracks in a
	for _, s := range a {
		if s.Kind == "audio" {
			total[0]++
		} else {
			total[1]++
		}
	}
	end := time.Now().Add(interval)
	for {
		time.Sleep(min(flowPoll, time.Until(end)))
		audio, video = count(a, inboundStats(e))
		if !time.Now().Before(end) || (audio == total[0] && video == total[1]) {
			return audio, video
		}
	}
}

// flowing counts the audio tracks that received more bytes and the video
// tracks that decoded more frames (and have a size) within interval,
// ending as soon as every track did.
func flowing(e evaluator, interval time.Duration) (audio, video int) {
	return sampleUntil(e, interval, Moved)
}

// Moved counts, between two readings of a page's inbound statistics
// (InboundStats), the audio tracks that received more bytes and the
// video tracks that decoded more frames and have a size: media a person
// hears and sees (a video's bytes alone may be the server's padding).
func Moved(before, after map[string]Inbound) (audio, video int) {
	for k, s := range after {
		b, ok := before[k]
		if !ok {
			continue
		}
		switch s.Kind {
		case "audio":
			if s.Bytes > b.Bytes {
				audio++
			}
		case "video":
			if s.FramesDecoded > b.FramesDecoded && s.Width > 0 {
				video++
			}
		}
	}
	return audio, video
}

// Reload reloads the page (its sessionStorage stays, as in a browser).
func (p *Page) Reload() {
	p.t.Helper()
	p.Run(chromedp.Reload())
}

// ReceivingBytes samples the page's inbound statistics twice, interval
// apart, and returns how many audio and video tracks received more bytes
// in between (whether or not the page can decode them). Like Flowing, it
// ends early once every track did.
func (p *Page) ReceivingBytes(interval time.Duration) (audio, video int) {
	p.t.Helper()
	return sampleUntil(p, interval, func(a, b map[string]Inbound) (audio, video int) {
		for k, s := range b {
			if before, ok := a[k]; ok && s.Bytes > before.Bytes {
				if s.Kind == "audio" {
					audio++
				} else {
					video++
				}
			}
		}
		return audio, video
	})
}

// Path is how one of a page's peer connections reaches the server: its
// selected candidate pair's local candidate.
type Path struct {
	Type          string `json:"candidateType"` // host, srflx, prflx, relay
	Protocol      string `json:"protocol"`      // udp, tcp
	RelayProtocol string `json:"relayProtocol"` // for relay: udp, tcp, tls
}

// Paths returns the local side of the selected candidate pair of every
// connected peer connection of the page.
func (p *Page) Paths() []Path {
	p.t.Helper()
	var out []Path
	p.Eval(`(async () => {
  const out = [];
  for (const pc of window.__hearthPCs || []) {
    if (pc.connectionState !== 'connected') continue;
    const stats = await pc.getStats();
    let pair = null;
    stats.forEach(s => { if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId); });
    if (!pair) stats.forEach(s => { if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s; });
    const local = pair && stats.get(pair.localCandidateId);
    if (local) out.push({ candidateType: local.candidateType || '', protocol: local.protocol || '', relayProtocol: local.relayProtocol || '' });
  }
  return out;
})()`, &out)
	return out
}

// SentBytes returns how many bytes the page's peer connections have sent
// of kind ("audio" or "video") so far, over all outbound RTP streams.
func (p *Page) SentBytes(kind string) float64 {
	p.t.Helper()
	var n float64
	p.Eval(fmt.Sprintf(`(async () => {
  let n = 0;
  for (const pc of window.__hearthPCs || []) {
    if (pc.connectionState === 'closed') continue;
    const stats = await pc.getStats();
    stats.forEach(s => { if (s.type === 'outbound-rtp' && s.kind === %q) n += s.bytesSent || 0; });
  }
  return n;
})()`, kind), &n)
	return n
}

// Console returns the kinds of the console calls the page made so far
// (e.g. "log", "error"); the client makes none.
func (p *Page) Console() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.console...)
}

// Exceptions returns the page's uncaught exceptions so far.
func (p *Page) Exceptions() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.thrown...)
}
