package speakers

import (
	"testing"
	"time"
)

// run is a stretch of frames at one level; packets false means nothing
// was heard.
type run struct {
	frames, level int
	silent        bool // no packets at all
}

func frames(runs ...run) []Level {
	var out []Level
	for _, r := range runs {
		for range r.frames {
			if r.silent {
				out = append(out, Level{})
			} else {
				out = append(out, Level{Packets: 5, Level: r.level})
			}
		}
	}
	return out
}

func repeat(n int, runs ...run) []run {
	var out []run
	for range n {
		out = append(out, runs...)
	}
	return out
}

// Each case feeds one speaker's frames and says at which frame they start
// talking and at which they stop (-1: never).
func TestDetector(t *testing.T) {
	silence := run{frames: 20, level: 127}
	cases := []struct {
		name        string
		frames      []Level
		start, stop int
	}{
		{"speech after silence starts at the third voiced frame, stops after a second of quiet",
			frames(silence, run{30, 20, false}, silence), 22, 59},
		{"nothing heard is silence", frames(run{20, 0, true}, run{30, 20, false}, run{20, 0, true}), 22, 59},
		{"a cough (two loud frames) is not talking", frames(silence, run{2, 10, false}, silence), -1, -1},
		{"pauses between words do not stop it",
			frames(append(append([]run{silence}, repeat(5, run{4, 25, false}, run{3, 110, false})...), silence)...), 22, 61},
		{"a quiet microphone (-70 dBov) never talks", frames(silence, run{30, 70, false}, silence, run{30, 70, false}), -1, -1},
		{"a steady tone from the start is background", frames(run{200, 20, false}), -1, -1},
		{"speech over a loud background counts when it stands out",
			frames(run{20, 60, false}, run{20, 35, false}, run{20, 60, false}), 22, 49},
		{"speech that does not stand out from the background does not",
			frames(run{20, 40, false}, run{20, 35, false}, run{20, 40, false}), -1, -1},
		{"talking from the first frame starts after the first pause",
			frames(run{5, 20, false}, run{1, 90, false}, run{20, 20, false}, silence), 8, 35},
		{"a steady tone becomes background once the silence before it is 15 s old",
			frames(run{150, 127, false}, run{300, 20, false}), 152, 299},
	}
	for _, c := range cases {
		d := New[string](Config{})
		start, stop := -1, -1
		for i, l := range c.frames {
			talking := d.Observe("a", l)
			if talking != d.Talking("a") {
				t.Fatalf("%s: frame %d: Observe says %v, Talking %v", c.name, i, talking, d.Talking("a"))
			}
			switch {
			case talking && start == -1:
				start = i
			case !talking && start != -1 && stop == -1:
				stop = i
			case talking && stop != -1:
				t.Errorf("%s: talking again at frame %d after stopping at %d", c.name, i, stop)
			}
		}
		if start != c.start || stop != c.stop {
			t.Errorf("%s: started at frame %d, stopped at %d; want %d, %d", c.name, start, stop, c.start, c.stop)
		}
	}
}

// Speakers are independent; Remove forgets one, who starts afresh.
func TestDetectorSpeakersApartAndRemove(t *testing.T) {
	d := New[string](Config{})
	for range 10 {
		d.Observe("loud", Level{Packets: 5, Level: 127})
		d.Observe("quiet", Level{Packets: 5, Level: 127})
	}
	for range 5 {
		d.Observe("loud", Level{Packets: 5, Level: 15})
		d.Observe("quiet", Level{Packets: 5, Level: 80})
	}
	if !d.Talking("loud") || d.Talking("quiet") || d.Talking("nobody") {
		t.Fatalf("talking: loud %v, quiet %v, nobody %v; want true, false, false", d.Talking("loud"), d.Talking("quiet"), d.Talking("nobody"))
	}
	seen := map[string]bool{}
	d.Each(func(id string, talking bool) { seen[id] = talking })
	if len(seen) != 2 || !seen["loud"] || seen["quiet"] {
		t.Errorf("Each saw %v", seen)
	}
	d.Remove("loud")
	if d.Talking("loud") {
		t.Error("a removed speaker is still talking")
	}
	if d.Observe("loud", Level{Packets: 5, Level: 15}) {
		t.Error("a removed speaker talks again at their first frame")
	}
}

// The pacer lets a set out only when it changed, at most once per
// interval; a change that came too soon goes at the next offer after it.
func TestPacer(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	p := NewPacer[string](250 * time.Millisecond)
	steps := []struct {
		ms   int
		set  []string
		want bool
	}{
		{0, nil, false},                  // nobody talks, as before
		{100, []string{"a"}, true},       // changed
		{200, []string{"a", "b"}, false}, // too soon
		{300, []string{"a", "b"}, false}, // still too soon (100 + 250)
		{350, []string{"b", "a"}, true},  // due; order does not matter
		{700, []string{"a", "b"}, false}, // the same set
		{800, nil, true},                 // nobody
		{900, []string{"a"}, false},      // too soon
		{1000, nil, false},               // back to what was sent: nothing to send
	}
	for _, s := range steps {
		if pending := p.Pending(s.set); pending != (s.want || s.ms == 200 || s.ms == 300 || s.ms == 900) {
			t.Errorf("at %d ms: Pending(%v) = %v", s.ms, s.set, pending)
		}
		if got := p.Offer(s.set, at(s.ms)); got != s.want {
			t.Errorf("at %d ms: Offer(%v) = %v, want %v", s.ms, s.set, got, s.want)
		}
	}
}
