// Package labtest holds the network tests of the hearth binary: the real
// binary, real browsers and a real coturn in network namespaces of their
// own (internal/netlab, docs/testing.md). They are a package apart from
// cmd/hearth so that they run beside its tests, not after them.
package labtest

import (
	"net"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/internal/netlab"
	"github.com/hearth-meet/hearth/web/webtest"
)

// labServerURL is where a Star's hosts reach a hearth started by
// startLabHearth.
const labServerURL = "http://" + netlab.ServerIPv4 + ":8080"

// startLabHearth builds hearth and runs it in the Star's server namespace
// on 203.0.113.1:8080 (media on UDP 50000), with args added.
func startLabHearth(t *testing.T, s *netlab.Star, args ...string) *netlab.Hearth {
	t.Helper()
	bin := netlab.BuildHearth(t)
	base := []string{"--addr", net.JoinHostPort(netlab.ServerIPv4, "8080"), "--public-url", labServerURL,
		"--ice-udp-port", "50000", "--log-level", "debug", "--data-dir", t.TempDir()}
	return s.Server.StartHearth(bin, append(base, args...)...)
}

// labChromium starts Chromium inside the host's namespace, treating the
// lab server's plain-HTTP origin as secure (camera and microphone).
func labChromium(t *testing.T, h *netlab.Host, o webtest.Options) *webtest.Browser {
	t.Helper()
	o.Prefix = h.Exec()
	if o.Flags == nil {
		o.Flags = map[string]any{}
	}
	o.Flags["unsafely-treat-insecure-origin-as-secure"] = labServerURL
	return webtest.NewBrowserWith(t, o)
}

// joinAs opens link in the browser, joins under name and waits until in
// the meeting.
func joinAs(t *testing.T, b *webtest.Browser, link, name string) *webtest.Page {
	t.Helper()
	p := b.NewPage(t, link)
	p.WaitVisible(webtest.Labelled("Your name"))
	p.Type("Your name", name)
	p.Click("Join")
	p.WaitVisible(webtest.Button("Leave"))
	return p
}

// awaitFlowing waits (up to 20 s) until the page (Chromium's or
// Firefox's) decodes video and receives audio from want others, and fails
// the test otherwise.
func awaitFlowing(t *testing.T, p interface {
	Flowing(time.Duration) (int, int)
}, who string, want int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		audio, video := p.Flowing(time.Second)
		if audio >= want && video >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's page: %d audio and %d video tracks flowing, want %d and %d", who, audio, video, want, want)
		}
	}
}

// everyVideoInline is a JS expression: the page has video elements, and
// every one plays inline (Safari on iPhone otherwise plays it full screen)
// and autoplays.
const everyVideoInline = `(() => { const v = [...document.querySelectorAll('video')];
  return v.length > 0 && v.every(e => e.hasAttribute('playsinline') && e.autoplay); })()`

// A Firefox ESR page and a Chromium page, each in a namespace of its own,
// meet through hearth in a third: each decodes the other's video and
// receives the other's audio. Both pages' video elements play inline (as
// Safari on iPhone needs).
func TestLabFirefoxAndChromium(t *testing.T) {
	t.Parallel()
	s := netlab.NewStar(t)
	fox, chrome := s.Host("firefox"), s.Host("chromium")
	h := startLabHearth(t, s, "--ice-networks", netlab.StarNetworks)
	ff := webtest.NewFirefox(t, webtest.FirefoxOptions{Prefix: fox.Exec(), Dial: fox.DialContext, Prefs: map[string]any{
		// The lab's origin is plain HTTP on an address: let it use the
		// (fake) camera and microphone, as Chromium's flag does.
		"media.devices.insecure.enabled": true, "media.getusermedia.insecure.enabled": true}})
	ff.Open(h.MemberLink)
	ff.Type("Your name", "Florian")
	ff.Click("Join")
	if !ff.WaitFor(20*time.Second, `[...document.querySelectorAll('button')].some(b => b.textContent.trim() === 'Leave' && b.offsetParent !== null)`) {
		t.Fatal("Firefox's page did not enter the meeting in 20 s")
	}
	cp := joinAs(t, labChromium(t, chrome, webtest.Options{}), h.MemberLink, "Cordelia")
	awaitFlowing(t, cp, "Cordelia (Chromium)", 1)
	awaitFlowing(t, ff, "Florian (Firefox)", 1)
	var inline bool
	if cp.Eval(everyVideoInline, &inline); !inline {
		t.Error("Chromium's page has a video element without playsinline or autoplay")
	}
	if ff.Eval(everyVideoInline, &inline); !inline {
		t.Error("Firefox's page has a video element without playsinline or autoplay")
	}
}
