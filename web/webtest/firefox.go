package webtest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// FirefoxPath is the Firefox ESR of Debian's firefox-esr package.
const FirefoxPath = "/usr/bin/firefox-esr"

// FirefoxOptions change how NewFirefox starts Firefox.
type FirefoxOptions struct {
	// Prefix runs Firefox through another command, e.g. netlab's
	// NS.Exec() to run it inside a network namespace.
	Prefix []string
	// Dial connects to Firefox's WebDriver BiDi port; it must reach the
	// network Firefox runs in (netlab's NS.DialContext for a namespace).
	// Nil dials from the test process.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Prefs are more preferences (user.js), e.g. to treat an origin as
	// secure.
	Prefs map[string]any
}

// Firefox is a headless Firefox driven over WebDriver BiDi
// (https://w3c.github.io/webdriver-bidi/), with a fake camera and
// microphone. It has one page.
type Firefox struct {
	t    *testing.T
	conn *websocket.Conn
	ctx  context.Context // ends with the test

	mu      sync.Mutex // guards nextID and waiting
	nextID  int
	waiting map[int]chan bidiReply

	context string // the browsing context (tab) pages open in
}

type bidiReply struct {
	Type   string          `json:"type"`
	ID     int             `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  string          `json:"error"`
	Msg    string          `json:"message"`
}

// NewFirefox starts Firefox ESR for the test, or skips the test when it
// is not installed and HEARTH_REQUIRE_BROWSER is not set.
func NewFirefox(t *testing.T, o FirefoxOptions) *Firefox {
	t.Helper()
	requireBrowser(t, FirefoxPath, "firefox-esr")
	u := startFirefox(t, o, writeProfile(t, o))
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	hc := &http.Client{Transport: &http.Transport{DialContext: o.Dial}}
	dctx, dcancel := context.WithTimeout(ctx, 20*time.Second)
	defer dcancel()
	conn, _, err := websocket.Dial(dctx, strings.TrimRight(u, "/")+"/session", &websocket.DialOptions{HTTPClient: hc})
	if err != nil {
		t.Fatalf("connect to firefox: %v", err)
	}
	conn.SetReadLimit(16 << 20)
	t.Cleanup(func() { _ = conn.CloseNow() })
	f := &Firefox{t: t, conn: conn, ctx: ctx, waiting: map[int]chan bidiReply{}}
	go f.read()
	f.call("session.new", map[string]any{"capabilities": map[string]any{}}, nil)
	var tree struct {
		Contexts []struct{ Context string } `json:"contexts"`
	}
	f.call("browsingContext.getTree", map[string]any{}, &tree)
	if len(tree.Contexts) == 0 {
		t.Fatal("firefox has no browsing context")
	}
	f.context = tree.Contexts[0].Context
	f.call("script.addPreloadScript", map[string]any{"functionDeclaration": "() => { " + statsScript + " }"}, nil)
	return f
}

// writeProfile makes a Firefox profile for the test: fake media devices
// without asking, autoplay allowed, nothing fetched from the network by
// Firefox itself, and o.Prefs.
func writeProfile(t *testing.T, o FirefoxOptions) string {
	t.Helper()
	profile := t.TempDir()
	prefs := map[string]any{
		"media.navigator.streams.fake":               true,
		"media.navigator.permission.disabled":        true,
		"media.autoplay.default":                     0,
		"media.autoplay.blocking_policy":             0,
		"browser.shell.checkDefaultBrowser":          false,
		"app.update.enabled":                         false,
		"datareporting.policy.dataSubmissionEnabled": false,
		"toolkit.telemetry.enabled":                  false,
		"network.captive-portal-service.enabled":     false,
		"network.connectivity-service.enabled":       false,
		"extensions.update.enabled":                  false,
		"media.gmp-manager.updateEnabled":            false,
	}
	for k, v := range o.Prefs {
		prefs[k] = v
	}
	var userJS strings.Builder
	for k, v := range prefs {
		b, _ := json.Marshal(v)
		fmt.Fprintf(&userJS, "user_pref(%q, %s);\n", k, b)
	}
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(userJS.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return profile
}

// startFirefox starts headless Firefox on the profile (killed when the
// test ends) and returns its WebDriver BiDi address.
func startFirefox(t *testing.T, o FirefoxOptions, profile string) string {
	t.Helper()
	argv := append(append([]string{}, o.Prefix...), FirefoxPath, "--headless", "--no-remote",
		"--profile", profile, "--remote-debugging-port", "0", "about:blank")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Env = append(os.Environ(), "MOZ_HEADLESS=1", "HOME="+profile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start firefox: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	wsURL := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				wsURL <- m[1]
			}
		}
	}()
	var u string
	select {
	case u = <-wsURL:
	case <-time.After(60 * time.Second):
		t.Fatal("firefox did not open its WebDriver BiDi port in 60 s")
	}
	return u
}

// read hands every reply to its caller; events are ignored.
func (f *Firefox) read() {
	for {
		_, data, err := f.conn.Read(f.ctx)
		if err != nil {
			return
		}
		var r bidiReply
		if json.Unmarshal(data, &r) != nil || r.ID == 0 {
			continue
		}
		f.mu.Lock()
		ch := f.waiting[r.ID]
		delete(f.waiting, r.ID)
		f.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// call sends a command and decodes its result into out (if not nil),
// failing the test on error.
func (f *Firefox) call(method string, params any, out any) {
	f.t.Helper()
	f.mu.Lock()
	f.nextID++
	id := f.nextID
	ch := make(chan bidiReply, 1)
	f.waiting[id] = ch
	f.mu.Unlock()
	msg, _ := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	ctx, cancel := context.WithTimeout(f.ctx, 90*time.Second)
	defer cancel()
	if err := f.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		f.t.Fatalf("firefox: %s: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Type == "error" {
			f.t.Fatalf("firefox: %s: %s: %s", method, r.Error, r.Msg)
		}
		if out != nil {
			if err := json.Unmarshal(r.Result, out); err != nil {
				f.t.Fatalf("firefox: %s: decode %s: %v", method, r.Result, err)
			}
		}
	case <-ctx.Done():
		f.t.Fatalf("firefox: %s: no answer in 90 s", method)
	}
}

// Open navigates the page to url and waits until it has loaded.
func (f *Firefox) Open(url string) {
	f.t.Helper()
	f.call("browsingContext.navigate", map[string]any{"context": f.context, "url": url, "wait": "complete"}, nil)
}

// Eval evaluates a JavaScript expression (awaiting a promise) into out,
// which is a pointer.
func (f *Firefox) Eval(expr string, out any) {
	f.t.Helper()
	var r struct {
		Type   string `json:"type"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		Exception struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	f.call("script.evaluate", map[string]any{
		"expression":   "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":       map[string]any{"context": f.context},
		"awaitPromise": true,
	}, &r)
	if r.Type != "success" {
		f.t.Fatalf("firefox: evaluate %.80s: %s", expr, r.Exception.Text)
	}
	if err := json.Unmarshal([]byte(r.Result.Value), out); err != nil {
		f.t.Fatalf("firefox: decode %q: %v", r.Result.Value, err)
	}
}

// WaitFor polls the JavaScript boolean expression until it is true or the
// timeout passes; it reports whether it became true.
func (f *Firefox) WaitFor(timeout time.Duration, expr string) bool {
	f.t.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(100 * time.Millisecond) {
		var ok bool
		f.Eval(expr, &ok)
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// Type puts text into the field labelled label, as typing would.
func (f *Firefox) Type(label, text string) {
	f.t.Helper()
	q, _ := json.Marshal(label)
	v, _ := json.Marshal(text)
	var ok bool
	f.Eval(fmt.Sprintf(`(() => {
  const l = [...document.querySelectorAll('label')].find(l => l.textContent.trim() === %s);
  const el = l && document.getElementById(l.htmlFor);
  if (!el || el.offsetParent === null) return false;
  el.focus(); el.value = %s;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  return true;
})()`, q, v), &ok)
	if !ok {
		f.t.Fatalf("firefox: no visible field labelled %q", label)
	}
}

// Click presses the visible button whose accessible name (its text) is
// name, once it is enabled (the Join button is, once the page's script
// has run).
func (f *Firefox) Click(name string) {
	f.t.Helper()
	q, _ := json.Marshal(name)
	if !f.WaitFor(10*time.Second, fmt.Sprintf(`(() => {
  const b = [...document.querySelectorAll('button')].find(b => b.textContent.trim() === %s && b.offsetParent !== null && !b.disabled);
  if (b) b.click();
  return !!b;
})()`, q)) {
		f.t.Fatalf("firefox: no visible, enabled button %q in 10 s", name)
	}
}

// Flowing samples the page's inbound statistics twice, interval apart,
// and returns how many audio tracks received more bytes and how many video
// tracks decoded more frames in between, ending early once every track
// did (as Page.Flowing).
func (f *Firefox) Flowing(interval time.Duration) (audio, video int) {
	f.t.Helper()
	return flowing(f, interval)
}
