package media

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// This file holds simulcast on the publishing side: a browser sends its
// camera as up to three encodings of one track (RFC 8853), each with its
// own SSRC and restriction identifier (rid); pion reports each as a
// TrackRemote of its own, and the SFU keeps them as the layers of one
// Track. Which layer each subscriber gets is layers.go's and bwe.go's.

// MaxLayers is the most simulcast layers a track has.
const MaxLayers = 3

// layerIndex is the index of a layer by its rid (Hearth's clients name
// their layers, lowest first, "q", "h" and "f": a quarter, half and full
// resolution, as LiveKit's do): "q", "h", "f" (or "0",
// "1", "2") are 0, 1, 2; a track without simulcast has one layer, 0;
// -1 for any other rid.
func layerIndex(rid string) int {
	switch rid {
	case "", "q", "0":
		return 0
	case "h", "1":
		return 1
	case "f", "2":
		return 2
	}
	return -1
}

// layer is one simulcast encoding of a track.
type layer struct {
	// static after construction
	index  int
	rid    string
	remote *webrtc.TrackRemote
	ssrc   uint32

	// cache keeps the layer's last packets for subscribers that lost
	// some (video only; nil for audio, which is not sent again).
	cache *packetCache
	// keyframes throttles and coalesces keyframe requests.
	keyframes *keyframeGate
	// bytes counts the bytes received (with an allowance for the IP, UDP
	// and SRTP overhead), lastAt the unix nanotime of the last packet.
	bytes  atomic.Uint64
	lastAt atomic.Int64
	// width and height are the picture size the last VP8 keyframe gave
	// (0 until one came).
	width, height atomic.Int32

	mu sync.Mutex // guards the rate sample below
	// sampledAt and sampledBytes are the last sample; rate the bit rate
	// measured between the last two.
	sampledAt    int64
	sampledBytes uint64
	rate         int
}

// packetOverhead approximates the bytes each packet takes on the wire
// beside the RTP packet: IPv4 and UDP headers and the SRTP tag.
const packetOverhead = 20 + 8 + 10

// received counts a packet of the layer (n bytes, at now) and reports
// whether it starts a keyframe, noting a VP8 keyframe's picture size. It
// runs on the layer's read loop and allocates nothing.
func (l *layer) received(p *rtp.Packet, c codecKind, n int, now int64) bool {
	l.bytes.Add(uint64(n + packetOverhead))
	l.lastAt.Store(now)
	if !keyframeStart(c, p.Payload) {
		return false
	}
	if c == codecVP8 {
		if w, h := vp8Size(p.Payload); w > 0 && h > 0 {
			l.width.Store(int32(w))
			l.height.Store(int32(h))
		}
	}
	return true
}

// rateStale is how long a layer may send nothing before it counts as
// stopped (a browser drops its top layers when its own uplink is short).
const rateStale = 1500 * 1e6 // nanoseconds

// bitrate is the layer's recent bit rate in bits per second, 0 when it
// sends nothing. Subscribers' allocators call it several times a second;
// a new sample is taken when the last is 500 ms old.
func (l *layer) bitrate(now int64) int {
	if now-l.lastAt.Load() > rateStale {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if d := now - l.sampledAt; d >= 500e6 {
		b := l.bytes.Load()
		r := int(float64(b-l.sampledBytes) * 8 * 1e9 / float64(d))
		if l.sampledAt == 0 {
			r = 0
		}
		if l.rate == 0 {
			l.rate = r
		} else {
			l.rate = (l.rate + r) / 2
		}
		l.sampledAt, l.sampledBytes = now, b
	}
	return l.rate
}

// codecOf is the codecKind of a MIME type.
func codecOf(mime string) codecKind {
	switch {
	case strings.EqualFold(mime, webrtc.MimeTypeVP8):
		return codecVP8
	case strings.EqualFold(mime, webrtc.MimeTypeH264):
		return codecH264
	}
	return codecOther
}

// SetSpeaking marks the track's publisher as talking (or not): a
// subscriber short of bandwidth gives a talking publisher's video its
// share before the others'.
func (t *Track) SetSpeaking(on bool) { t.speaking.Store(on) }

// Layers is how many simulcast layers the track has now.
func (t *Track) Layers() int {
	n := 0
	for i := range t.layers {
		if t.layers[i].Load() != nil {
			n++
		}
	}
	return n
}

// addLayer adds a remote stream to the track as the layer its rid names
// and starts reading it. It reports false when the track has ended or
// already has that layer (the stream is then the caller's to drain).
func (t *Track) addLayer(remote *webrtc.TrackRemote) bool {
	i := layerIndex(remote.RID())
	t.mu.Lock()
	if i < 0 {
		// An unknown rid takes the first free place.
		for j := range t.layers {
			if t.layers[j].Load() == nil {
				i = j
				break
			}
		}
	}
	if t.closed || i < 0 || t.layers[i].Load() != nil {
		t.mu.Unlock()
		return false
	}
	l := &layer{index: i, rid: remote.RID(), remote: remote, ssrc: uint32(remote.SSRC()),
		keyframes: newKeyframeGate(t.sfu.cfg.KeyframeInterval, t.sfu.cfg.Now)}
	if t.kind == webrtc.RTPCodecTypeVideo {
		l.cache = newPacketCache()
	}
	t.layers[i].Store(l)
	t.reading++
	first := t.reading == 1
	t.mu.Unlock()
	if first {
		t.sfu.stats.Tracks.Add(1)
	}
	t.sfu.log.Debug("layer published", zap.String("track", t.id), zap.String("rid", l.rid), zap.Int("layer", i))
	go t.readLayer(l)
	// Subscribers waiting for a layer may want this one.
	t.requestLayerKeyframe(i)
	return true
}

// drain reads a remote stream that is not forwarded until it ends.
func drain(remote *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := remote.Read(buf); err != nil {
			return
		}
	}
}

// sendPLI sends the publisher a picture loss indication for the layer.
func (l *layer) sendPLI(t *Track) {
	t.sfu.stats.KeyframeRequests.Add(1)
	pli := []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: l.ssrc}}
	_ = t.publisher.pub.Load().WriteRTCP(pli) // fails only when the connection is closing
}
