package webtest

import (
	"fmt"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Keys types keys at whatever has the focus (e.g. "\t", kb.Enter, "m").
func (p *Page) Keys(keys string) {
	p.t.Helper()
	p.Run(chromedp.KeyEvent(keys))
}

// focusedName is a JS expression: the accessible name of the focused
// element, as tests find controls: a button's text, or a field's label.
const focusedName = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return '';
  if (el.labels && el.labels.length > 0) return el.labels[0].textContent.trim();
  return (el.getAttribute('aria-label') || el.textContent || '').replace(/\s+/g, ' ').trim();
})()`

// Focused returns the accessible name of the focused element.
func (p *Page) Focused() string {
	p.t.Helper()
	var name string
	p.Eval(focusedName, &name)
	return name
}

// TabTo presses Tab (up to max times) until the focused element's
// accessible name is name, as a keyboard user moves through the page; it
// fails the test if it never gets there.
func (p *Page) TabTo(name string, max int) {
	p.t.Helper()
	var seen []string
	for i := 0; i < max; i++ {
		got := p.Focused()
		if got == name {
			return
		}
		seen = append(seen, got)
		p.Keys(kb.Tab)
	}
	if p.Focused() != name {
		p.t.Fatalf("Tab does not reach %q in %d presses; passed %q", name, max, seen)
	}
}

// Enter presses Enter on the focused element.
func (p *Page) Enter() {
	p.t.Helper()
	p.Keys(kb.Enter)
}

// ArrowDownTo presses the down arrow (in a menu) until the focused item's
// name is name.
func (p *Page) ArrowDownTo(name string, max int) {
	p.t.Helper()
	for i := 0; i < max && p.Focused() != name; i++ {
		p.Keys(kb.ArrowDown)
	}
	if got := p.Focused(); got != name {
		p.t.Fatalf("the arrow keys do not reach %q; focus is on %q", name, got)
	}
}

// String makes Rect printable in failures.
func (r Rect) String() string {
	return fmt.Sprintf("%.0fx%.0f at (%.0f,%.0f), seen: %v", r.Width, r.Height, r.X, r.Y, r.Seen)
}
