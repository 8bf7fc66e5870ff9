package main

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
	p := joinPage(t, b, link, name)
	p.WaitVisible(webtest.Button("Leave"))
	return p
}

// awaitFlowing waits (up to 20 s) until the page decodes video and
// receives audio from want others, and fails the test otherwise.
func awaitFlowing(t *testing.T, p *webtest.Page, who string, want int) {
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

// Two Chromium pages, each in a namespace of its own, meet through a
// hearth in a third namespace over documentation-range addresses (no
// loopback anywhere): each decodes the other's video and receives the
// other's audio, over UDP host candidates.
func TestLabBrowsersMeet(t *testing.T) {
	s := netlab.NewStar(t)
	alice, bob := s.Host("alice"), s.Host("bob")
	h := startLabHearth(t, s)
	pa := joinAs(t, labChromium(t, alice, webtest.Options{}), h.MemberLink, "Aurelio")
	pb := joinAs(t, labChromium(t, bob, webtest.Options{}), h.MemberLink, "Brigida")
	awaitFlowing(t, pa, "Aurelio", 1)
	awaitFlowing(t, pb, "Brigida", 1)
}
