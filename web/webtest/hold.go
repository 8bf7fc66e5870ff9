package webtest

import (
	"sync"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// OpenHolding opens a new tab on url as NewPage does, except that every
// request whose address matches pattern (a wildcard pattern of Chromium's
// Fetch domain, e.g. "*/assets/ui.js") is held until release is called,
// as on a slow network that delivers the page before its script. It does
// not wait for the page to load: a page cannot finish loading while one
// of its scripts is held.
func (b *Browser) OpenHolding(t *testing.T, url, pattern string) (p *Page, release func()) {
	t.Helper()
	p = b.newTab(t, url)
	var (
		mu       sync.Mutex
		held     []fetch.RequestID
		released bool
	)
	cont := func(id fetch.RequestID) {
		// The tab may be gone by then; the test has its answer already.
		_, _ = chromedp.Call(p.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
	}
	if err := chromedp.Listen(p.ctx, func(ev any) {
		e, ok := ev.(*fetch.EventRequestPaused)
		if !ok {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if released {
			go cont(e.RequestID)
			return
		}
		held = append(held, e.RequestID)
	}); err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	if _, err := chromedp.Call(p.ctx, fetch.Enable, fetch.EnableParams{
		Patterns: []*fetch.RequestPattern{{URLPattern: pattern, RequestStage: fetch.RequestStageRequest}},
	}); err != nil {
		t.Fatalf("hold %s: %v", pattern, err)
	}
	if _, err := chromedp.Call(p.ctx, page.Navigate, page.NavigateParams{URL: url}); err != nil {
		t.Fatalf("open %s: %v", url, err)
	}
	release = func() {
		mu.Lock()
		ids := held
		held, released = nil, true
		mu.Unlock()
		for _, id := range ids {
			cont(id)
		}
	}
	return p, release
}
