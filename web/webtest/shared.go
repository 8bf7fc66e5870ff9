package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/remote"
)

// SharedEnv names the environment variable through which Main gives its
// package's tests the DevTools address (ws://127.0.0.1:PORT/...) of the
// shared Chromium.
const SharedEnv = "WEBTEST_SHARED_CHROMIUM"

// Main runs a test package's tests (m.Run) with one Chromium process that
// every NewBrowser of the package shares, each through a browser context
// of its own (DevTools' Target.createBrowserContext: its own cookies,
// storage and cache, isolated as a new profile is), and returns the exit
// code. A Chromium costs a second or more of CPU to start and stop, and
// a package's browser tests start tens of them. Call it from the
// package's TestMain: os.Exit(webtest.Main(m)). Without Chromium it just
// runs the tests (NewBrowser then skips or fails them).
func Main(m *testing.M) int {
	if _, err := os.Stat(ChromiumPath); err != nil || os.Getenv(SharedEnv) != "" {
		return m.Run()
	}
	url, stop, err := startShared()
	if err != nil {
		fmt.Fprintf(os.Stderr, "webtest: shared chromium: %v\n", err)
		return 1
	}
	defer stop()
	if err := os.Setenv(SharedEnv, url); err != nil {
		fmt.Fprintf(os.Stderr, "webtest: %v\n", err)
		return 1
	}
	return m.Run()
}

// startShared starts the shared Chromium with a DevTools port (on
// 127.0.0.1, Chromium's default) and returns its address and what stops it.
func startShared() (url string, stop func(), err error) {
	dir, err := os.MkdirTemp("", "webtest-chromium")
	if err != nil {
		return "", nil, err
	}
	opts := append(chromiumOptions(dir, Options{}), remote.WebSocket,
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// When the test process dies, the browser goes too.
			cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		}))
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	stop = func() {
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(dir)
		// Chromium's network service, which outlives the browser process
		// by a moment, can write its state there once more.
		time.Sleep(500 * time.Millisecond)
		_ = os.RemoveAll(dir)
	}
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return "", nil, err
	}
	// Chromium writes its port and the browser's path there.
	b, err := os.ReadFile(filepath.Join(dir, "DevToolsActivePort"))
	port, path, ok := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if err != nil || !ok {
		stop()
		return "", nil, fmt.Errorf("no DevTools address in %s: %v %q", dir, err, b)
	}
	return "ws://127.0.0.1:" + port + path, stop, nil
}
