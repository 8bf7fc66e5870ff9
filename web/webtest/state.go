package webtest

import (
	"context"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// Cookies returns the cookies the browser holds for the page's URL, with
// their flags (HttpOnly, Secure, SameSite, Path) as the browser stored them.
func (p *Page) Cookies() []*network.Cookie {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		p.t.Fatalf("browser: get cookies: %v", err)
	}
	return res.Cookies
}

// AllowClipboard lets pages of origin (e.g. "http://127.0.0.1:8080") write
// and read the clipboard without asking, as a person who allowed it would.
func (p *Page) AllowClipboard(origin string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 30*time.Second)
	defer cancel()
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name},
			Setting:    browser.PermissionSettingGranted,
			Origin:     origin,
			// The test's own browser context, in a shared Chromium.
			BrowserContextID: chromedp.FromContext(p.ctx).BrowserContextID,
		})
		if err != nil {
			p.t.Fatalf("browser: allow %s: %v", name, err)
		}
	}
}
