package media

import (
	"fmt"
	"testing"
)

func TestAllocate(t *testing.T) {
	three := [MaxLayers]int{150_000, 500_000, 1_500_000}
	for _, c := range []struct {
		name   string
		budget int
		ws     []wish
		want   string // got per wish
	}{
		{"plenty: everyone's top", 10_000_000,
			[]wish{{max: 2, rates: three}, {max: 2, rates: three}}, "[2 2]"},
		{"size limits", 10_000_000,
			[]wish{{max: 0, rates: three}, {max: 1, rates: three}, {max: noLayer, rates: three}}, "[0 1 -1]"},
		{"tight: lowest layers first", 400_000,
			[]wish{{max: 2, rates: three}, {max: 2, rates: three}}, "[0 0]"},
		{"too tight: paused", 100_000,
			[]wish{{max: 2, rates: three}}, "[-1]"},
		{"speaker first, as high as fits", 2_000_000,
			[]wish{{max: 2, rates: three}, {speaking: true, max: 2, rates: three}, {max: 2, rates: three}}, "[0 2 0]"},
		{"others one layer up at a time", 1_700_000,
			[]wish{{max: 2, rates: three}, {max: 2, rates: three}, {max: 2, rates: three}}, "[1 1 1]"},
		{"a layer not sending is skipped", 10_000_000,
			[]wish{{max: 2, rates: [MaxLayers]int{150_000, 500_000, 0}}}, "[1]"},
		{"upgrade needs a margin", 550_000,
			[]wish{{max: 2, current: 0, rates: three}}, "[0]"},
		{"staying needs none", 500_000,
			[]wish{{max: 2, current: 1, rates: three}}, "[1]"},
	} {
		ws := append([]wish(nil), c.ws...)
		for i := range ws {
			if ws[i].current == 0 && c.name != "upgrade needs a margin" {
				ws[i].current = noLayer
			}
		}
		allocate(c.budget, ws)
		got := make([]int, len(ws))
		for i, w := range ws {
			got[i] = w.got
		}
		if fmt.Sprint(got) != c.want {
			t.Errorf("%s: layers %v, want %s", c.name, got, c.want)
		}
	}
}

func TestMaxLayerFor(t *testing.T) {
	tr := &Track{}
	for i := range MaxLayers {
		tr.layers[i].Store(&layer{index: i})
	}
	tr.layers[1].Load().width.Store(640)
	tr.layers[1].Load().height.Store(360)
	for _, c := range []struct{ w, h, want int }{
		{0, 0, noLayer}, {160, 90, 0}, {300, 200, 0}, {600, 450, 1}, {640, 360, 1}, {1280, 720, 2}, {4000, 3000, 2},
	} {
		if got := maxLayerFor(tr, c.w, c.h); got != c.want {
			t.Errorf("tile %dx%d: layer %d, want %d", c.w, c.h, got, c.want)
		}
	}
}
