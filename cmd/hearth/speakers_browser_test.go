package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
	"github.com/hearth-meet/hearth/web/webtest"
)

// writeBursts writes a WAV file (48 kHz, mono, 16-bit PCM) for Chromium's
// fake microphone: a 440 Hz tone at peak amplitude amp (1 is full scale)
// in speech-like bursts: three of 1.2 s, 0.6 s apart, then a pause of
// 2.2 s (long enough to stop talking), 7.6 s in all (Chromium loops it);
// each burst faded in and out over 10 ms.
func writeBursts(t *testing.T, path string, amp float64) {
	t.Helper()
	const rate, on = 48000, 1.2
	var samples []int16
	for _, off := range []float64{0.6, 0.6, 2.2} {
		n, fade := int(on*rate), rate/100
		for i := range n {
			gain := math.Min(1, float64(min(i, n-1-i))/float64(fade))
			v := amp * gain * math.Sin(2*math.Pi*440*float64(i)/rate)
			samples = append(samples, int16(math.Round(v*32767)))
		}
		samples = append(samples, make([]int16, int(off*rate))...)
	}
	data := make([]byte, 44+2*len(samples))
	copy(data, "RIFF")
	binary.LittleEndian.PutUint32(data[4:], uint32(36+2*len(samples)))
	copy(data[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(data[16:], 16)     // fmt chunk size
	binary.LittleEndian.PutUint16(data[20:], 1)      // PCM
	binary.LittleEndian.PutUint16(data[22:], 1)      // mono
	binary.LittleEndian.PutUint32(data[24:], rate)   // sample rate
	binary.LittleEndian.PutUint32(data[28:], rate*2) // byte rate
	binary.LittleEndian.PutUint16(data[32:], 2)      // block align
	binary.LittleEndian.PutUint16(data[34:], 16)     // bits per sample
	copy(data[36:], "data")
	binary.LittleEndian.PutUint32(data[40:], uint32(2*len(samples)))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(data[44+2*i:], uint16(s))
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// watchTalking is run in a page: window.__talked records every tile
// marked talking (data-talking="true"), with the time (Unix ms), from
// now on; window.__since is now.
const watchTalking = `(() => {
  window.__since = Date.now();
  window.__talked = [];
  const note = (el) => {
    if (el.nodeType === 1 && el.getAttribute('data-talking') === 'true' && el.hasAttribute('data-tile-id')) {
      window.__talked.push([el.getAttribute('data-tile-id'), Date.now()]);
    }
  };
  new MutationObserver((muts) => {
    for (const m of muts) {
      note(m.target);
      for (const n of m.addedNodes) {
        if (n.nodeType !== 1) continue;
        note(n);
        n.querySelectorAll('[data-talking]').forEach(note);
      }
    }
  }).observe(document.body, { attributes: true, attributeFilter: ['data-talking'], childList: true, subtree: true });
  document.querySelectorAll('[data-talking]').forEach(note);
  return true;
})()`

// watchOnsets is run in the loud one's page: window.__onsets records,
// each time her microphone goes from quiet to loud (a burst starts: she
// starts to talk), when (Unix ms) and after how long a quiet (ms), read
// every 40 ms from the publishing connection's media-source statistics.
const watchOnsets = `(() => {
  window.__onsets = [];
  let quietSince = 0;
  setInterval(async () => {
    for (const pc of window.__hearthPCs || []) {
      if (pc.connectionState === 'closed') continue;
      (await pc.getStats()).forEach((r) => {
        if (r.type !== 'media-source' || r.kind !== 'audio' || typeof r.audioLevel !== 'number') return;
        const now = Date.now();
        if (quietSince && r.audioLevel > 0.1) { window.__onsets.push([now, now - quietSince]); quietSince = 0; }
        else if (!quietSince && r.audioLevel < 0.01) quietSince = now;
      });
    }
  }, 40);
  return true;
})()`

// talkingTile is a JS expression: the page marks the tile of id talking.
func talkingTile(id string) string {
	return fmt.Sprintf(`document.querySelector('[data-tile-id=%q][data-talking="true"]') !== null`, id)
}

// talkedSince is a JS expression: the times (Unix ms) at which the page
// marked the tile of id talking at or after since (Unix ms).
func talkedSince(id string, since int64) string {
	return fmt.Sprintf(`window.__talked.filter(([t, at]) => t === %q && at >= %d).map(([, at]) => at)`, id, since)
}

// firstHeard polls until the bot receives audio from the participant
// called name, and returns when that happened (Unix ms).
func firstHeard(ctx context.Context, b *signalingtest.Bot, name string) <-chan int64 {
	at := make(chan int64, 1)
	go func() {
		for ctx.Err() == nil {
			if id := idOf(b, name); id != "" && b.Bytes(id, "audio") > 0 {
				at <- time.Now().UnixMilli()
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return at
}

// Active speaker in real Chromium: three people join, one with a loud
// fake microphone (a tone in bursts, -9 dBov), two with very quiet ones
// (-80 dBov). Every page marks the loud one's tile talking within 2 s of
// her starting to talk after a pause (a burst's start, read from her
// page's own microphone statistics), and its Participants list says
// "talking"; no page ever marks the quiet ones. A facilitator mutes the loud one through the
// server: every page takes the mark away, and never puts it back while
// they are muted.
func TestBrowserActiveSpeaker(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	roomID, key := roomAndKey(ts.facilitatorLink)
	fac := signalingtest.NewBot(t, ctx, "ws://"+ts.addr.String()+"/ws", protocol.Join{Room: roomID, Name: "Facil", FacilitatorKey: key})

	dir := t.TempDir()
	people := []struct {
		name string
		amp  float64
	}{{"Loudia", 0.5}, {"Quentin", 0.0001}, {"Quieta", 0.0001}}
	heard := firstHeard(ctx, fac, people[0].name)
	pages := make([]*webtest.Page, len(people))
	ids := make([]string, len(people))
	since := make([]int64, len(people)) // when each page was in the meeting
	for i, who := range people {
		wav := filepath.Join(dir, who.name+".wav")
		writeBursts(t, wav, who.amp)
		b := webtest.NewBrowserWith(t, webtest.Options{Flags: map[string]any{"use-file-for-fake-audio-capture": wav}})
		pages[i] = joinPage(t, b, ts.memberLink, who.name)
		pages[i].WaitVisible(webtest.Button("Leave"))
		var ok bool
		pages[i].Eval(watchTalking, &ok)
		if i == 0 {
			pages[i].Eval(watchOnsets, &ok)
		}
		pages[i].Eval(`window.__since`, &since[i])
		signalingtest.WaitFor(t, 20*time.Second, who.name+"'s id", func() bool { ids[i] = idOf(fac, who.name); return ids[i] != "" })
	}
	var loudFrom int64 // when the loud one's voice first reached the server's other participants
	select {
	case loudFrom = <-heard:
	case <-ctx.Done():
		t.Fatal("the facilitator never heard the loud participant")
	}
	// She starts to talk after a pause (a burst begins after 2.2 s of
	// quiet, in which every page took the mark away) while everyone is in
	// the meeting and her voice reaches them. Each page marks her again
	// within 2 s of that start.
	var onset int64
	signalingtest.WaitFor(t, 20*time.Second, people[0].name+" starting to talk after a pause", func() bool {
		var onsets [][2]int64
		pages[0].Eval(`window.__onsets`, &onsets)
		for _, o := range onsets {
			if o[1] >= 1500 && o[0] >= max(loudFrom, slices.Max(since))+500 {
				onset = o[0]
				return true
			}
		}
		return false
	})
	for i, p := range pages {
		if !p.WaitFor(10*time.Second, fmt.Sprintf(`%s.length > 0`, talkedSince(ids[0], onset))) {
			t.Fatalf("%s's page does not mark %s talking again 10 s after she started to talk after a pause", people[i].name, people[0].name)
		}
		var at []int64
		p.Eval(talkedSince(ids[0], onset), &at)
		took := time.Duration(at[0]-onset) * time.Millisecond
		t.Logf("%s's page marked %s talking %v after she started to talk", people[i].name, people[0].name, took)
		if took > 2*time.Second {
			t.Errorf("%s's page marked %s talking %v after she started to talk, want within 2 s", people[i].name, people[0].name, took)
		}
		// The list says it while she talks: a page looked at late (after
		// the burst) says it again at her next burst.
		if !p.WaitFor(10*time.Second, entryHas(people[0].name, "talking")) {
			t.Errorf("%s's Participants list does not say %s is talking", people[i].name, people[0].name)
		}
	}
	time.Sleep(3 * time.Second) // the quiet ones go on murmuring
	if n := metric(t, "http://"+ts.addr.String()+"/metrics", "hearth_speaker_changes_total"); n < 1 {
		t.Errorf("hearth_speaker_changes_total = %v, want at least 1", n)
	}

	if err := fac.P.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: string(room.ActMute), Target: ids[0]}); err != nil {
		t.Fatal(err)
	}
	cleared := make([]int64, len(pages)) // when each page no longer marked them
	for i, p := range pages {
		if !p.WaitFor(10*time.Second, `!(`+talkingTile(ids[0])+`)`) {
			t.Errorf("%s's page still marks %s talking 10 s after the facilitator muted them", people[i].name, people[0].name)
		}
		p.Eval(`Date.now()`, &cleared[i])
	}
	time.Sleep(3 * time.Second) // the loud microphone goes on playing, muted
	for i, p := range pages {
		for _, q := range []int{1, 2} {
			var at []int64
			p.Eval(talkedSince(ids[q], 0), &at)
			if len(at) > 0 {
				t.Errorf("%s's page marked the quiet %s talking (%d times)", people[i].name, people[q].name, len(at))
			}
		}
		var at []int64
		p.Eval(talkedSince(ids[0], cleared[i]), &at)
		if len(at) > 0 {
			t.Errorf("%s's page marked %s talking again after they were muted", people[i].name, people[0].name)
		}
	}
}
