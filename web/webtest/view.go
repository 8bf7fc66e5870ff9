package webtest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Size is a viewport to emulate.
type Size struct {
	Name          string // "desktop", "phone": used in screenshot file names
	Width, Height int64
	Mobile        bool // a phone: mobile emulation and touch
}

// The two sizes the meeting page is tried at.
var (
	Desktop = Size{Name: "desktop", Width: 1280, Height: 800}
	Phone   = Size{Name: "phone", Width: 390, Height: 844, Mobile: true}
)

// Emulate gives the page the viewport of size (Chromium's device metrics
// override; for a phone also touch input and a device scale of 3), and
// returns once the page is laid out at that size.
func (p *Page) Emulate(size Size) {
	p.t.Helper()
	scale := 1.0
	if size.Mobile {
		scale = 3
	}
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: size.Width, Height: size.Height, DeviceScaleFactor: scale, Mobile: size.Mobile,
	}); err != nil {
		p.t.Fatalf("browser: emulate %s: %v", size.Name, err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{
		Enabled: size.Mobile,
	}); err != nil {
		p.t.Fatalf("browser: touch: %v", err)
	}
	// The page lays itself out at the new size before Emulate returns:
	// its viewport is that size, and two frames were drawn since (the
	// ResizeObserver callbacks that lay the stage out run before a frame
	// is drawn). A fixed pause after Emulate was outlasted by a loaded
	// machine. The frames are awaited at most 2 s: a page that draws
	// none (hidden) is laid out all the same.
	if !p.WaitFor(10*time.Second, fmt.Sprintf(`innerWidth === %d && innerHeight === %d`, size.Width, size.Height)) {
		var got string
		p.Eval(`innerWidth + "x" + innerHeight`, &got)
		p.t.Fatalf("browser: emulate %s: the page's viewport is %s, want %dx%d", size.Name, got, size.Width, size.Height)
	}
	var drawn bool
	p.Eval(`new Promise((done) => { requestAnimationFrame(() => requestAnimationFrame(() => done(true))); setTimeout(() => done(false), 2000); })`, &drawn)
}

// Rect is an element's bounding box in CSS pixels of the viewport.
type Rect struct {
	X, Y, Width, Height float64
	Found               bool
	// Seen: the element is what the page shows at the box's centre (not
	// clipped away by a scrolling panel, not covered).
	Seen bool
}

// Box returns the bounding box of the first element the JavaScript
// expression (e.g. a querySelector) yields.
func (p *Page) Box(expr string) Rect {
	p.t.Helper()
	var r Rect
	p.Eval(`(() => { const el = `+expr+`; if (!el) return { Found: false };
  const b = el.getBoundingClientRect();
  const top = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);
  return { X: b.x, Y: b.y, Width: b.width, Height: b.height, Found: true, Seen: !!top && (top === el || el.contains(top)) }; })()`, &r)
	return r
}

// ButtonBox returns the bounding box of the button with the accessible name.
func (p *Page) ButtonBox(name string) Rect {
	p.t.Helper()
	return p.Box(fmt.Sprintf(`document.evaluate(%s, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue`, xpathString(Button(name))))
}

// InViewport reports whether r is wholly inside a viewport of size, and
// seen there.
func (r Rect) InViewport(size Size) bool {
	return r.Found && r.Seen && r.Width > 0 && r.Height > 0 && r.X >= 0 && r.Y >= 0 &&
		r.X+r.Width <= float64(size.Width)+0.5 && r.Y+r.Height <= float64(size.Height)+0.5
}

// ScreenshotDir is where screenshots go: $HEARTH_SCREENSHOTS, or
// hearth-screenshots under the system's temporary directory.
func ScreenshotDir() string {
	if d := os.Getenv("HEARTH_SCREENSHOTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "hearth-screenshots")
}

// Screenshot writes a PNG of the viewport to ScreenshotDir()/name.png and
// returns its path.
func (p *Page) Screenshot(name string) string {
	p.t.Helper()
	dir := ScreenshotDir()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		p.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		p.t.Fatalf("browser: screenshot: %v", err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		p.t.Fatal(err)
	}
	p.t.Logf("screenshot: %s", path)
	return path
}

// AxeSource returns axe-core's script: $HEARTH_AXE (a path to axe.min.js),
// or the copy `make deps` installs with npm under the user's cache
// directory. Without it the test is skipped, or fails when
// HEARTH_REQUIRE_BROWSER is set.
func AxeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("HEARTH_AXE")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			cache = os.TempDir()
		}
		path = filepath.Join(cache, "hearth", "axe", "node_modules", "axe-core", "axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("HEARTH_REQUIRE_BROWSER") != "" {
			t.Fatalf("axe-core is required (make deps installs it): %v", err)
		}
		t.Skipf("no axe-core at %s (make deps installs it with npm)", path)
	}
	return string(src)
}

// Violation is one rule axe-core finds broken, with where.
type Violation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

func (v Violation) String() string {
	return fmt.Sprintf("%s (%s): %s at %s", v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", "))
}

// Axe runs axe-core (source from AxeSource) on the page as it is and
// returns the serious and critical violations.
func (p *Page) Axe(source string) []Violation {
	p.t.Helper()
	var loaded bool
	p.Eval(`(() => { if (!window.axe) { (0, eval)(`+jsString(source)+`); } return !!window.axe; })()`, &loaded)
	if !loaded {
		p.t.Fatal("axe-core did not load")
	}
	var out []Violation
	// axe-core takes seconds on a busy machine.
	p.EvalWithin(3*time.Minute, `(async () => {
  const r = await axe.run(document, { resultTypes: ['violations'] });
  return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => ({
    id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' ')) }));
})()`, &out)
	return out
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
