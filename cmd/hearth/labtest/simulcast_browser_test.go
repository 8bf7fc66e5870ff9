package labtest

import (
	"os"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/internal/netlab"
	"github.com/hearth-meet/hearth/web/webtest"
)

// inStats is a JS expression: the inbound-rtp entries of the page's
// subscribe connections, audio and video, with what a member would see
// (frame width, frames decoded) and the audio's losses.
const inStats = `(async () => {
  const out = [];
  for (const pc of window.__hearthPCs || []) {
    if (pc.connectionState === 'closed') continue;
    (await pc.getStats()).forEach(s => {
      if (s.type === 'inbound-rtp') out.push({ kind: s.kind, track: s.trackIdentifier || '',
        framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0,
        packetsReceived: s.packetsReceived || 0, packetsLost: s.packetsLost || 0 });
    });
  }
  return out;
})()`

type inStat struct {
	Kind, Track                  string
	FramesDecoded, FrameWidth    float64
	PacketsReceived, PacketsLost float64
}

func inbound(t *testing.T, p *webtest.Page) []inStat {
	t.Helper()
	var list []inStat
	p.Eval(inStats, &list)
	return list
}

// widths returns the frame width of each video the page decoded in the
// last second (0 for one that decoded nothing).
func widths(t *testing.T, p *webtest.Page) []float64 {
	t.Helper()
	before := map[string]float64{}
	for _, s := range inbound(t, p) {
		before[s.Track] = s.FramesDecoded
	}
	time.Sleep(time.Second)
	var out []float64
	for _, s := range inbound(t, p) {
		if s.Kind != "video" {
			continue
		}
		w := 0.0
		if s.FramesDecoded > before[s.Track] {
			w = s.FrameWidth
		}
		out = append(out, w)
	}
	return out
}

// audioCounts sums the page's incoming audio packets received and lost.
func audioCounts(t *testing.T, p *webtest.Page) (received, lost float64) {
	t.Helper()
	for _, s := range inbound(t, p) {
		if s.Kind == "audio" {
			received += s.PacketsReceived
			lost += s.PacketsLost
		}
	}
	return received, lost
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// Alma publishes her camera in three simulcast layers; Bruno and Carlos
// watch in desktop-sized windows (1280x800: a tile large enough to want
// the 640-wide layer). Carlos, on a good link, decodes her 640 pixels
// wide or more; Bruno, whose link is held to 300 kbit/s (tbf on the way
// to his namespace), decodes a lower layer and, once his estimate has
// come down (8 s), loses under 2 % of his audio while the limit holds;
// when it is lifted, his layer rises within 10 s. On a machine so starved
// that Carlos himself does not decode 640 wide or loses 1 % of his audio,
// the test is skipped, except in make test's quiet timed run.
func TestLabSimulcastUnderLimit(t *testing.T) {
	s := netlab.NewStar(t)
	alma, bruno, carlos := s.Host("alma"), s.Host("bruno"), s.Host("carlos")
	h := startLabHearth(t, s, "--ice-networks", netlab.StarNetworks)
	joinAs(t, labChromium(t, alma, webtest.Options{}), h.MemberLink, "Alma")
	bp := joinAs(t, labChromium(t, bruno, webtest.Options{}), h.MemberLink, "Bruno")
	cp := joinAs(t, labChromium(t, carlos, webtest.Options{}), h.MemberLink, "Carlos")
	// Layers follow the size each page shows a video at: a desktop's
	// window, so that a tile is large enough to want more than the
	// lowest layer.
	bp.Emulate(webtest.Desktop)
	cp.Emulate(webtest.Desktop)
	awaitFlowing(t, bp, "Bruno", 2)
	awaitFlowing(t, cp, "Carlos", 2)
	t.Logf("before the limit: Bruno decodes %v pixels wide, Carlos %v", widths(t, bp), widths(t, cp))

	// Bruno's downlink: what the server's side of his link sends him.
	s.Server.LimitRate(bruno.Link.AName, "300kbit")
	time.Sleep(8 * time.Second) // his estimate comes down
	r0, l0 := audioCounts(t, bp)
	cr0, cl0 := audioCounts(t, cp)
	deadline := time.Now().Add(20 * time.Second)
	var bw, cw []float64
	for time.Now().Before(deadline) {
		bw, cw = widths(t, bp), widths(t, cp)
		if b := maxOf(bw); b > 0 && b < maxOf(cw) && maxOf(cw) >= 640 {
			break
		}
	}
	time.Sleep(10 * time.Second)
	r1, l1 := audioCounts(t, bp)
	cr1, cl1 := audioCounts(t, cp)
	received, lost := r1-r0, l1-l0
	loss, carlosLoss := lost/max(received+lost, 1), (cl1-cl0)/max(cr1-cr0+cl1-cl0, 1)
	t.Logf("Bruno at 300 kbit/s: audio %v packets received, %v lost (%.1f %%; Carlos %.1f %%); video widths %v (Carlos: %v); %v probes, %v videos paused",
		received, lost, 100*loss, 100*carlosLoss, bw, cw, labMetric(t, h, "hearth_bandwidth_probes_total"), labMetric(t, h, "hearth_video_paused"))
	// Carlos, on a free link, shows what the machine allows: starved of
	// CPU (beside the full suite's browsers), pages, servers and even the
	// kernel's links drop and hold packets with no limit to blame (seen:
	// Carlos losing 3 % of his audio and decoding nothing for 20 s). What
	// Bruno gets then says nothing of the limit: the test is skipped, and
	// make test's quiet timed run (HEARTH_TIMED=1) checks it all.
	if (maxOf(cw) < 640 || carlosLoss >= 0.01) && os.Getenv("HEARTH_TIMED") == "" {
		t.Skipf("the machine is starved: Carlos on a free link decodes videos %v pixels wide and loses %.1f %% of his audio; left to the quiet timed run", cw, 100*carlosLoss)
	}
	if maxOf(cw) < 640 {
		t.Errorf("Carlos on a good link decodes videos %v pixels wide, want one at 640 or more", cw)
	}
	if b := maxOf(bw); b <= 0 || b >= maxOf(cw) {
		t.Errorf("Bruno at 300 kbit/s decodes videos %v pixels wide, want a lower layer than Carlos's %v", bw, cw)
	}
	if received < 100 || loss >= 0.02 {
		t.Errorf("Bruno's audio under the limit: %v received, %v lost (%.1f %%; Carlos on a free link %.1f %%), want under 2 %% lost",
			received, lost, 100*loss, 100*carlosLoss)
	}

	s.Server.LimitRate(bruno.Link.AName, "100mbit")
	lifted := time.Now()
	before := maxOf(bw)
	for {
		if w := maxOf(widths(t, bp)); w > before {
			t.Logf("Bruno's layer rose %v after the limit was lifted (%v -> %v pixels)", time.Since(lifted).Round(100*time.Millisecond), before, w)
			break
		}
		if time.Since(lifted) > 10*time.Second {
			t.Fatalf("Bruno's video still %v pixels wide 10 s after the limit was lifted, want wider", widths(t, bp))
		}
	}
}
