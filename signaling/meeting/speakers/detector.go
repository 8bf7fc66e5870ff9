// Package speakers decides who in a meeting is talking, from the audio
// levels their microphones' packets carry (RFC 6464: each packet's
// loudness in -dBov, 0 the loudest, 127 silence). It is pure: the
// meeting's owner feeds it one observation per participant per frame
// (Frame, 100 ms) and asks who is talking; a Pacer lets the answer out
// only when it changed and at most a few times a second.
//
// The algorithm, a simpler cousin of Jitsi's dominant speaker
// identification (Volfin and Cohen), works per speaker on three time
// scales:
//
//   - a frame (100 ms) is voiced when its mean level is loud enough in
//     absolute terms (Config.MaxLevel, -50 dBov) and stands out from the
//     speaker's background by Config.Margin (10 dB). The background is the
//     quietest frame of the last Config.FloorSeconds (15 s): a humming fan
//     or a steady tone becomes background, speech, which pauses, does not;
//   - a speaker starts talking when at least StartVoiced of their last
//     StartFrames frames were voiced (3 of 5: 300 ms of voice within half
//     a second), so that a cough or a click does not count;
//   - a speaker stops talking after StopFrames frames without a voiced one
//     (10: a second of quiet), so that the pauses between words and
//     sentences do not make the highlight flicker.
//
// Anyone may be talking at once; nobody is ranked. Muting is the caller's
// business: it stops observing a muted speaker and calls Remove.
package speakers

import (
	"math/bits"
	"time"
)

// Frame is the stretch of audio one observation covers: the caller
// observes every speaker once per Frame.
const Frame = 100 * time.Millisecond

// Level is what one speaker's audio said during one frame.
type Level struct {
	// Packets is how many packets carried a level; 0 means nothing was
	// heard (no audio, or a publisher that sends no level).
	Packets int
	// Level is their mean level in -dBov: 0 is the loudest, 127 silence.
	Level int
}

// Config tunes a Detector. The zero value of a field takes its default.
type Config struct {
	// MaxLevel: a voiced frame is louder than -MaxLevel dBov (default 50).
	MaxLevel int
	// Margin: a voiced frame is at least Margin dB louder than the
	// speaker's background (default 10).
	Margin int
	// FloorFrames: the background is the quietest frame of the last
	// FloorFrames (default 150: 15 s).
	FloorFrames int
	// StartFrames and StartVoiced: a speaker starts talking when
	// StartVoiced of their last StartFrames frames were voiced (default 3
	// of 5). StartFrames is at most 64.
	StartFrames, StartVoiced int
	// StopFrames: a speaker stops talking after StopFrames frames without
	// a voiced one (default 10: a second).
	StopFrames int
}

func (c *Config) setDefaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxLevel, 50)
	def(&c.Margin, 10)
	def(&c.FloorFrames, 150)
	def(&c.StartFrames, 5)
	def(&c.StartVoiced, 3)
	def(&c.StopFrames, 10)
	c.StartFrames = min(c.StartFrames, 64)
	c.StartVoiced = min(c.StartVoiced, c.StartFrames)
}

// floorBuckets is how many stretches the background window is kept in:
// the floor is the minimum of the buckets' minimums.
const floorBuckets = 15

// speaker is what the detector keeps of one speaker.
type speaker struct {
	// voiced holds one bit per frame, the newest in bit 0.
	voiced uint64
	// quiet counts the frames since the last voiced one.
	quiet int
	// talking is the speaker's state.
	talking bool
	// mins holds the quietest level (highest -dBov) of each stretch of
	// FloorFrames/floorBuckets frames, mins[cur] the current one's.
	mins   [floorBuckets]int
	cur    int // the current bucket
	filled int // frames in the current bucket
	seen   int // buckets in use
}

// Detector decides who is talking. It is not safe for concurrent use:
// one meeting's owner holds it.
type Detector[K comparable] struct {
	cfg      Config
	speakers map[K]*speaker
}

// New returns a detector with no speakers.
func New[K comparable](cfg Config) *Detector[K] {
	cfg.setDefaults()
	return &Detector[K]{cfg: cfg, speakers: map[K]*speaker{}}
}

// Observe records one frame of id's audio and reports whether id is
// talking after it.
func (d *Detector[K]) Observe(id K, l Level) bool {
	s := d.speakers[id]
	if s == nil {
		s = &speaker{}
		d.speakers[id] = s
	}
	level := 127
	if l.Packets > 0 {
		level = min(max(l.Level, 0), 127)
	}
	floor := s.floor(level, d.cfg.FloorFrames)
	voiced := l.Packets > 0 && level <= d.cfg.MaxLevel && floor-level >= d.cfg.Margin
	s.voiced <<= 1
	if voiced {
		s.voiced |= 1
		s.quiet = 0
	} else {
		s.quiet++
	}
	window := s.voiced
	if d.cfg.StartFrames < 64 {
		window &= 1<<d.cfg.StartFrames - 1
	}
	switch {
	case !s.talking && bits.OnesCount64(window) >= d.cfg.StartVoiced:
		s.talking = true
	case s.talking && s.quiet >= d.cfg.StopFrames:
		s.talking = false
	}
	return s.talking
}

// floor records a frame's level and returns the speaker's background:
// the quietest level (as -dBov, the highest number) of the last
// frames frames, this one included.
func (s *speaker) floor(level, frames int) int {
	per := max(frames/floorBuckets, 1)
	if s.seen == 0 || s.filled == per {
		if s.seen > 0 {
			s.cur = (s.cur + 1) % floorBuckets
		}
		s.seen = min(s.seen+1, floorBuckets)
		s.mins[s.cur], s.filled = level, 0
	}
	s.filled++
	s.mins[s.cur] = max(s.mins[s.cur], level)
	quietest := 0
	for i := range s.seen {
		quietest = max(quietest, s.mins[(s.cur-i+floorBuckets)%floorBuckets])
	}
	return quietest
}

// Talking reports whether id is talking now.
func (d *Detector[K]) Talking(id K) bool {
	s := d.speakers[id]
	return s != nil && s.talking
}

// Remove forgets id: muted, gone, or no longer sending audio. Observed
// again, they start afresh.
func (d *Detector[K]) Remove(id K) { delete(d.speakers, id) }

// Each calls f for each speaker the detector knows.
func (d *Detector[K]) Each(f func(id K, talking bool)) {
	for id, s := range d.speakers {
		f(id, s.talking)
	}
}
