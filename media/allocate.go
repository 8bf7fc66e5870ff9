package media

// This file holds how a subscriber's bandwidth is shared among the video
// tracks it receives (audio is served first, before this is called): the
// talking publishers' video first, as high as it wants and fits, then
// every other video its lowest layer, then the others one layer up at a
// time, round by round. A video that does not fit even at its lowest
// layer is paused. It is pure: bwe.go feeds it and applies the result.

// upgradeMargin is the share of the budget a layer above the one a
// subscriber receives now must fit in (in percent), so that a budget
// wavering around a layer's rate does not switch back and forth.
const upgradeMargin = 90

// wish is one video track as the allocator sees it.
type wish struct {
	// speaking: its publisher is talking.
	speaking bool
	// max is the highest layer wanted (by the size the subscriber shows
	// it at); noLayer when it is not shown at all.
	max int
	// current is the layer the subscriber receives now (noLayer: none).
	current int
	// rates are the layers' bit rates, 0 for a layer that sends nothing.
	rates [MaxLayers]int
	// got is the layer given (noLayer: paused or not wanted); limited
	// is set when a higher wanted layer did not fit.
	got     int
	limited bool
}

// cost is what layer l of w takes from the budget: a layer above the
// current one counts a little more (upgradeMargin).
func (w *wish) cost(l int) int {
	if l == noLayer {
		return 0
	}
	if l > w.current {
		return w.rates[l] * 100 / upgradeMargin
	}
	return w.rates[l]
}

// next is the lowest sending layer above l up to max, or noLayer.
func (w *wish) next(l int) int {
	for i := l + 1; i <= w.max && i < MaxLayers; i++ {
		if w.rates[i] > 0 {
			return i
		}
	}
	return noLayer
}

// raise gives w its next layer if the budget allows; it reports whether
// it did, and marks w limited when it did not.
func (w *wish) raise(budget *int) bool {
	n := w.next(w.got)
	if n == noLayer {
		return false
	}
	delta := w.cost(n) - w.cost(w.got)
	if delta > *budget {
		w.limited = true
		return false
	}
	*budget -= delta
	w.got = n
	return true
}

// allocate shares budget (bits per second) among ws, setting each one's
// got and limited, and returns what is left.
func allocate(budget int, ws []wish) int {
	for i := range ws {
		ws[i].got, ws[i].limited = noLayer, false
	}
	// The talking publishers' video first, as high as it fits.
	for i := range ws {
		if ws[i].speaking {
			for ws[i].raise(&budget) {
			}
		}
	}
	// Then the others' lowest layer, then one layer up at a time.
	for i := range ws {
		if !ws[i].speaking {
			ws[i].raise(&budget)
		}
	}
	for raised := true; raised; {
		raised = false
		for i := range ws {
			if !ws[i].speaking && ws[i].got != noLayer && ws[i].raise(&budget) {
				raised = true
			}
		}
	}
	return budget
}

// Sizes assumed for layers whose picture size is not known yet (no VP8
// keyframe seen): Hearth's client sends its top layer at 720 lines and
// each lower one at half the size of the next.
const assumedTopHeight = 720

// maxLayerFor is the lowest layer of t whose picture covers a tile shown
// at width x height (device pixels, within a quarter), or the highest
// layer when none does; noLayer when the tile is not shown.
func maxLayerFor(t *Track, width, height int) int {
	if width <= 0 || height <= 0 {
		return noLayer
	}
	top := noLayer
	for i := range t.layers {
		if t.layers[i].Load() != nil {
			top = i
		}
	}
	for i := 0; i <= top; i++ {
		l := t.layers[i].Load()
		if l == nil {
			continue
		}
		lw, lh := int(l.width.Load()), int(l.height.Load())
		if lw == 0 || lh == 0 {
			lh = assumedTopHeight >> (top - i)
			lw = lh * 16 / 9
		}
		if lw*4 >= width*3 && lh*4 >= height*3 {
			return i
		}
	}
	return top
}
