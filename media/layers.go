package media

import (
	"sync"
	"time"

	"github.com/pion/rtp"
)

// This file holds a subscriber's side of simulcast: which layer of a
// video track its copy carries. The subscriber's allocator (bwe.go) sets
// the layer it wants (downTrack.target); the layers' read loops switch
// to it at its next keyframe, and until then keep forwarding the layer
// the subscriber decodes, unless the wanted one is lower (video gives
// way at once). Sequence numbers and timestamps are rewritten per
// subscriber, so that the subscriber sees one continuous stream whatever
// layer it comes from: the first packet after a switch follows the last
// one sent, and its timestamp advances by the wall-clock time between
// them.

// noLayer: no layer (video paused, or not started).
const noLayer = -1

// videoClockRate is the RTP clock rate of every video codec the SFU
// takes (VP8 and H.264).
const videoClockRate = 90000

// selector is a video downTrack's layer state and its rewriting of
// sequence numbers and timestamps. Each layer's read loop writes under
// mu (one per subscription, never shared: no lock across tracks).
type selector struct {
	mu sync.Mutex
	// current is the layer being forwarded (noLayer: none).
	current int
	// started: a packet was sent; the fields below are valid.
	started bool
	// seqOffset and tsOffset are subtracted from the current layer's
	// sequence numbers and timestamps.
	seqOffset uint16
	tsOffset  uint32
	// lastSeq, lastTS, lastAt: the last packet sent (lastAt in unix
	// nanoseconds); endOfFrame: it ended a frame (marker bit).
	lastSeq    uint16
	lastTS     uint32
	lastAt     int64
	endOfFrame bool
	// firstSeq is the current layer's (incoming) sequence number of the
	// switch: older packets of it, arriving late, are not sent.
	firstSeq uint16
}

// initSelector readies a video downTrack: no layer wanted, none sent.
func (d *downTrack) initSelector() {
	d.target.Store(noLayer)
	d.sel.current = noLayer
}

// setTarget sets the layer the subscriber should receive and asks the
// publisher for a keyframe on it when that is not the layer sent now.
// It reports whether the target changed.
func (d *downTrack) setTarget(layer int) bool {
	if int(d.target.Swap(int32(layer))) == layer {
		return false
	}
	if layer != noLayer && layer != d.currentLayer() {
		d.track.requestLayerKeyframe(layer)
	}
	return true
}

// currentLayer is the layer the subscriber receives now (noLayer: none).
func (d *downTrack) currentLayer() int {
	d.sel.mu.Lock()
	defer d.sel.mu.Unlock()
	return d.sel.current
}

// requestKeyframe asks the publisher for a keyframe of the layer the
// subscriber is to receive (a subscriber's PLI or FIR, or its copy was
// just negotiated). Audio has none.
func (d *downTrack) requestKeyframe() {
	if l := int(d.target.Load()); l != noLayer {
		d.track.requestLayerKeyframe(l)
		return
	}
	if l := d.currentLayer(); l != noLayer {
		d.track.requestLayerKeyframe(l)
	}
}

// writeVideo offers the subscriber a packet of one layer (key: it starts
// a keyframe; now: unix nanoseconds; o: where it came from, for the
// subscriber's NACKs) and sends it, rewritten, if the subscriber is on
// that layer or switches to it here. Like write, it restores the packet's
// header before returning and allocates nothing.
func (d *downTrack) writeVideo(layer int, p *rtp.Packet, key bool, now int64, o *origin) writeResult {
	s := &d.sel
	s.mu.Lock()
	target := int(d.target.Load())
	switch {
	case layer != s.current:
		// A switch waits for a keyframe; the very first packet need
		// not (the subscriber's decoder asks for one itself).
		if layer != target || (!key && s.started) {
			s.mu.Unlock()
			return skipped
		}
		d.switchTo(layer, p, now)
	case target < s.current:
		// A lower layer, or none, is wanted: stop sending this one at
		// once rather than add to a congested link; the lower layer
		// starts at its keyframe.
		s.current = noLayer
		s.mu.Unlock()
		return skipped
	case int16(p.SequenceNumber-s.firstSeq) < 0:
		s.mu.Unlock()
		return skipped // from before the switch
	}
	seq, ts := p.SequenceNumber-s.seqOffset, p.Timestamp-s.tsOffset
	if int16(seq-s.lastSeq) > 0 {
		s.lastSeq, s.lastTS, s.lastAt, s.endOfFrame = seq, ts, now, p.Marker
	}
	if o.cache != nil {
		d.hist.note(seq, ts, o)
	}
	s.mu.Unlock()

	b := d.bound.Load()
	if b == nil {
		return undelivered
	}
	inSeq, inTS, ssrc, pt := p.SequenceNumber, p.Timestamp, p.SSRC, p.PayloadType
	p.SequenceNumber, p.Timestamp, p.SSRC, p.PayloadType = seq, ts, b.ssrc, b.pt
	_, err := b.writer.WriteRTP(&p.Header, p.Payload)
	p.SequenceNumber, p.Timestamp, p.SSRC, p.PayloadType = inSeq, inTS, ssrc, pt
	if err != nil {
		return undelivered
	}
	b.stats.sent(ts, len(p.Payload), now)
	return written
}

// switchTo makes layer the current one from p (a keyframe's first
// packet) on: p follows the last packet sent. Called with sel.mu held.
func (d *downTrack) switchTo(layer int, p *rtp.Packet, now int64) {
	s := &d.sel
	if s.started {
		s.seqOffset = p.SequenceNumber - (s.lastSeq + 1)
		ticks := (now - s.lastAt) * videoClockRate / 1e9
		if ticks < 1 {
			ticks = 1
		}
		s.tsOffset = p.Timestamp - (s.lastTS + uint32(ticks))
		d.track.sfu.stats.LayerSwitches.Add(1)
	} else {
		s.started = true
		s.seqOffset, s.tsOffset = 0, 0
		s.lastSeq = p.SequenceNumber - 1
	}
	s.current, s.firstSeq = layer, p.SequenceNumber
}

// maxPadding is the most padding one RTP packet carries (its last byte
// counts the padding bytes).
const maxPadding = 255

// pad sends the subscriber one packet of padding only (RFC 3550, section
// 5.1), between two frames of its video, to probe its link's capacity
// (bwe.go). It takes the next sequence number and shifts the ones after
// it. It reports whether it sent one: not in the middle of a frame,
// unless no layer is being sent (a video paused mid-frame waits for a
// keyframe anyway, and padding is all that probes a link whose videos
// are all paused). Before the first packet it starts the stream's
// numbering (the first media then waits for a keyframe, as after a
// pause).
func (d *downTrack) pad() bool {
	b := d.bound.Load()
	if b == nil {
		return false
	}
	s := &d.sel
	s.mu.Lock()
	if !s.started {
		s.started, s.endOfFrame = true, true
		s.lastSeq, s.lastTS, s.lastAt = uint16(b.ssrc), b.ssrc, time.Now().UnixNano()
	}
	if !s.endOfFrame && s.current != noLayer {
		s.mu.Unlock()
		return false
	}
	s.lastSeq++
	s.seqOffset--
	// Nothing to send again for it: a NACK for padding finds no packet.
	d.hist.note(s.lastSeq, s.lastTS, &origin{seq: s.lastSeq})
	h := rtp.Header{Version: 2, Padding: true, PaddingSize: maxPadding, PayloadType: b.pt,
		SequenceNumber: s.lastSeq, Timestamp: s.lastTS, SSRC: b.ssrc}
	s.mu.Unlock()
	if _, err := b.writer.WriteRTP(&h, nil); err != nil {
		return false
	}
	b.stats.resent(0)
	return true
}
