package media

import (
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// Track is one track a peer publishes (a microphone or a camera). Its read
// loop forwards every packet to the track's subscribers while forwarding
// is on.
type Track struct {
	// static after construction
	sfu       *SFU
	publisher *Peer
	id        string
	streamID  string // the publishing participant's id
	kind      webrtc.RTPCodecType
	codec     webrtc.RTPCodecCapability
	codecKind codecKind
	done      chan struct{}
	// levelID is the id the publish connection negotiated for the audio
	// level extension (AudioLevelURI); 0 when it has none.
	levelID uint8
	// source says what the track carries.
	source Source

	// levels accumulates the audio levels of forwarded packets (see
	// addLevel); TakeAudioLevel reads and clears it.
	levels atomic.Uint64

	// forwarding is off while the track is muted.
	forwarding atomic.Bool
	// downs is the copy-on-write set of subscribers: the read loop loads
	// it per packet; changes replace the slice under mu.
	downs atomic.Pointer[[]*downTrack]
	// layers are the track's simulcast layers by index, lowest first (a
	// track sent without simulcast has one, at index 0). A layer is set
	// once, when pion reports its stream; see simulcast.go.
	layers [MaxLayers]atomic.Pointer[layer]
	// speaking is set while the track's publisher is talking: its video
	// comes first after audio when bandwidth is short.
	speaking atomic.Bool

	mu sync.Mutex // serialises changes to downs; guards closed and reading
	// reading counts the layers whose read loop runs.
	reading int
	// closed is set when the last read loop ended.
	closed bool
}

// trackID is the id of the Track a remote track of p belongs to (all
// simulcast layers of one track have the same).
func trackID(p *Peer, remote *webrtc.TrackRemote) (id, streamID string) {
	if p.params.Kind == RelayIn {
		// Ids as the instance of origin made them.
		return remote.ID(), remote.StreamID()
	}
	return p.id + "-" + remote.Kind().String() + "-" + remote.ID(), p.id
}

func newTrack(p *Peer, remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) *Track {
	id, streamID := trackID(p, remote)
	t := &Track{
		sfu:       p.sfu,
		publisher: p,
		id:        id,
		streamID:  streamID,
		kind:      remote.Kind(),
		codec:     remote.Codec().RTPCodecCapability,
		codecKind: codecOf(remote.Codec().MimeType),
		done:      make(chan struct{}),
	}
	if t.kind == webrtc.RTPCodecTypeAudio {
		for _, h := range receiver.GetParameters().HeaderExtensions {
			if h.URI == AudioLevelURI && h.ID > 0 && h.ID < 256 {
				t.levelID = uint8(h.ID)
			}
		}
	}
	t.source = sourceOf(t.kind, t.id, t.streamID)
	t.forwarding.Store(true)
	t.downs.Store(&[]*downTrack{})
	return t
}

// StreamID is the id of the participant who publishes the track.
func (t *Track) StreamID() string { return t.streamID }

// ID identifies the track among its publisher's tracks.
func (t *Track) ID() string { return t.id }

// Kind is audio or video.
func (t *Track) Kind() webrtc.RTPCodecType { return t.kind }

// Publisher is the peer that publishes the track.
func (t *Track) Publisher() *Peer { return t.publisher }

// Done is closed when the track has ended.
func (t *Track) Done() <-chan struct{} { return t.done }

// SetForwarding turns forwarding of the track's packets on or off. Packets
// that arrive while it is off are read and dropped: nothing reaches any
// subscriber, whatever the publisher keeps sending. Turning a video track
// back on asks its publisher for a keyframe.
func (t *Track) SetForwarding(on bool) {
	if t.forwarding.Swap(on) != on && on && t.kind == webrtc.RTPCodecTypeVideo {
		t.RequestKeyframe()
	}
}

// Forwarding reports whether the track's packets are forwarded.
func (t *Track) Forwarding() bool { return t.forwarding.Load() }

// RequestKeyframe asks the publisher for a keyframe (RFC 4585 PLI) on
// every simulcast layer of the track. It is throttled and coalesced per
// published stream (layer): the first request is sent at once, and all
// the requests made within Config.KeyframeInterval after it become one
// request sent when the interval ends. Subscribers' PLIs and FIRs, new
// subscribers and layer switches all come here (or to the one-layer
// requestLayerKeyframe), so none of them is lost and the publisher sends
// at most one keyframe an interval per layer. Audio tracks have no
// keyframes.
func (t *Track) RequestKeyframe() {
	for i := range t.layers {
		t.requestLayerKeyframe(i)
	}
}

// requestLayerKeyframe asks the publisher for a keyframe on one layer, at
// most once per Config.KeyframeInterval.
func (t *Track) requestLayerKeyframe(i int) {
	if t.kind != webrtc.RTPCodecTypeVideo || i < 0 || i >= MaxLayers {
		return
	}
	l := t.layers[i].Load()
	if l == nil {
		return
	}
	if l.keyframes.request(func() { l.sendPLI(t) }) {
		t.sfu.stats.KeyframeRequestsCoalesced.Add(1)
	}
}

// addDown adds a subscriber.
func (t *Track) addDown(d *downTrack) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return false
	}
	old := *t.downs.Load()
	next := make([]*downTrack, len(old), len(old)+1)
	copy(next, old)
	next = append(next, d)
	t.downs.Store(&next)
	return true
}

// removeDown removes a subscriber; it reports whether it was there.
func (t *Track) removeDown(d *downTrack) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.downs.Load()
	next := make([]*downTrack, 0, len(old))
	for _, x := range old {
		if x != d {
			next = append(next, x)
		}
	}
	t.downs.Store(&next)
	return len(next) != len(old)
}

// readLayer reads one layer's packets until its stream ends. When the
// last layer's loop ends, the track ends and is removed from every
// subscriber.
func (t *Track) readLayer(l *layer) {
	var f forwarder
	f.init(t, l)
	buf := make([]byte, 1500)
	for {
		n, _, err := l.remote.Read(buf)
		if err != nil {
			if !errors.Is(err, io.EOF) {
				t.sfu.log.Debug("track read ended", zap.Error(err), zap.String("track", t.id), zap.String("rid", l.rid))
			}
			break
		}
		f.forward(buf[:n])
	}
	l.keyframes.stop()
	t.mu.Lock()
	t.reading--
	if t.reading > 0 || t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	downs := *t.downs.Load()
	t.downs.Store(&[]*downTrack{})
	t.mu.Unlock()
	t.sfu.stats.Tracks.Add(-1)
	close(t.done)
	for _, d := range downs {
		d.subscriber.dropDown(d)
	}
}

// forwarder is the hot path: it parses one packet, counts its audio
// level, rewrites the sequence number so that packets dropped while muted
// (and padding the publisher sent to probe its uplink) leave no gap, and
// writes the packet to every subscriber, each of which takes it or not
// by the simulcast layer it is on (layers.go). It is owned by one layer's
// read loop and allocates nothing.
type forwarder struct {
	t   *Track
	l   *layer
	pkt rtp.Packet
	// seqOffset is subtracted from incoming sequence numbers.
	seqOffset uint16
	// lastOut is the sequence number of the last packet forwarded.
	lastOut uint16
	// started: a packet was forwarded; dropping: packets are being dropped.
	started, dropping bool
	// level holds the audio level extension's byte of the packet being
	// forwarded, for the subscribers' copies.
	level [1]byte
	// from is where the packet being forwarded came from.
	from origin
}

func (f *forwarder) init(t *Track, l *layer) { f.t, f.l = t, l }

func (f *forwarder) forward(b []byte) {
	if err := f.pkt.Unmarshal(b); err != nil {
		return
	}
	t := f.t
	if !t.forwarding.Load() {
		t.sfu.stats.PacketsMuted.Add(1)
		f.dropping = f.started
		return
	}
	now := time.Now().UnixNano()
	key := false
	if t.kind == webrtc.RTPCodecTypeVideo {
		if len(f.pkt.Payload) == 0 {
			// Padding only: the publisher probing its uplink. Nobody
			// needs it; the next packet closes the gap.
			f.dropping = f.started
			return
		}
		key = f.l.received(&f.pkt, t.codecKind, len(b), now)
		f.l.cache.put(&f.pkt.Header, f.pkt.Payload)
	}
	f.from = origin{cache: f.l.cache, seq: f.pkt.SequenceNumber, ts: f.pkt.Timestamp}
	if f.dropping {
		// Close the gap left by the dropped packets: the next packet out
		// follows the last one forwarded.
		f.seqOffset = f.pkt.SequenceNumber - f.lastOut - 1
		f.dropping = false
	}
	f.pkt.SequenceNumber -= f.seqOffset
	f.lastOut = f.pkt.SequenceNumber
	f.started = true
	var level []byte // the audio level, passed on with each subscriber's id for it
	if b, ok := readLevel(&f.pkt, t.levelID); ok {
		t.addLevel(b)
		f.level[0] = b
		level = f.level[:]
	}
	// Header extensions are negotiated per connection with their own ids;
	// the publisher's do not apply to the subscribers' connections.
	f.pkt.Extension = false
	f.pkt.Extensions = f.pkt.Extensions[:0]
	var sent, lost uint64
	downs := *t.downs.Load()
	for _, d := range downs {
		var r writeResult
		if t.kind == webrtc.RTPCodecTypeVideo {
			r = d.writeVideo(f.l.index, &f.pkt, key, now, &f.from)
		} else {
			r = d.write(&f.pkt, level, &f.from, now)
		}
		switch r {
		case written:
			sent++
		case undelivered:
			lost++
		}
	}
	if sent > 0 {
		t.sfu.stats.PacketsForwarded.Add(sent)
		t.sfu.stats.BytesForwarded.Add(sent * uint64(len(f.pkt.Payload)))
	}
	if lost > 0 {
		t.sfu.stats.PacketsUndelivered.Add(lost)
	}
}
