package media

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// downTrack is one subscriber's copy of a published track: a
// webrtc.TrackLocal added to the subscriber's subscribe connection. pion
// binds it once negotiation settles; until then packets are skipped.
type downTrack struct {
	// static after construction
	track      *Track
	subscriber *Peer
	sender     *webrtc.RTPSender

	// bound is set by Bind and cleared by Unbind.
	bound atomic.Pointer[binding]
	// hist maps the sequence numbers the subscriber sees back to the
	// publisher's, for answering its NACKs.
	hist seqHistory

	// target is the simulcast layer the subscriber's allocator wants it
	// to receive (noLayer: none); the layer read loops switch to it on
	// its next keyframe (layers.go).
	target atomic.Int32
	// sel is the video layer selection and the rewriting of sequence
	// numbers and timestamps that keeps the stream continuous across
	// switches; see layers.go.
	sel selector

	resMu sync.Mutex // guards res
	// res sends lost packets again (rtx.go), for the subscriber's NACKs
	// and for the losses its transport-wide feedback reports; made at
	// the first (most audio copies never need one).
	res *resender
}

type binding struct {
	ssrc   uint32
	pt     uint8
	writer webrtc.TrackLocalWriter
	// levelID is the subscribe connection's id for the audio level
	// extension (AudioLevelURI); 0 when it was not negotiated.
	levelID uint8
	// rtxSSRC and rtxPT are the subscriber's RTX stream (RFC 4588) for
	// the track; 0 when it negotiated none (lost packets are then sent
	// again as they were).
	rtxSSRC uint32
	rtxPT   uint8
	// rtxTwice: each lost packet goes out twice on the RTX stream (a
	// client's; see resendCopies).
	rtxTwice bool
	// stats count what was sent on ssrc, for the sender reports
	// (report.go).
	stats sendStats
}

var _ webrtc.TrackLocal = (*downTrack)(nil)

// Bind implements webrtc.TrackLocal.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, d.track.codec.MimeType) {
			b := &binding{ssrc: uint32(ctx.SSRC()), pt: uint8(c.PayloadType), writer: ctx.WriteStream()}
			if rtx := rtxPayloadType(ctx.CodecParameters(), c.PayloadType); rtx != 0 && ctx.SSRCRetransmission() != 0 {
				b.rtxSSRC, b.rtxPT = uint32(ctx.SSRCRetransmission()), rtx
				b.rtxTwice = d.subscriber != nil && d.subscriber.params.Kind == Client
			}
			for _, h := range ctx.HeaderExtensions() {
				if h.URI == AudioLevelURI && d.track.kind == webrtc.RTPCodecTypeAudio && h.ID > 0 && h.ID < 15 {
					b.levelID = uint8(h.ID)
				}
			}
			d.bound.Store(b)
			// Now the subscriber can receive it: ask for a keyframe.
			go d.requestKeyframe()
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, fmt.Errorf("media: subscriber does not accept %s", d.track.codec.MimeType)
}

// Unbind implements webrtc.TrackLocal.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.bound.Store(nil)
	return nil
}

// ID implements webrtc.TrackLocal.
func (d *downTrack) ID() string { return d.track.id }

// RID implements webrtc.TrackLocal.
func (d *downTrack) RID() string { return "" }

// StreamID implements webrtc.TrackLocal: the publisher's id, so that the
// client knows whose stream it receives; a shared screen goes to clients
// in a stream of its own, the publisher's id followed by
// ScreenStreamSuffix (a relay to another instance gets the publisher's
// id: the track's id says it is a screen).
func (d *downTrack) StreamID() string {
	if d.track.source == SourceScreen && d.subscriber != nil && d.subscriber.params.Kind == Client {
		return d.track.streamID + ScreenStreamSuffix
	}
	return d.track.streamID
}

// Kind implements webrtc.TrackLocal.
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.track.kind }

// writeResult is what became of a packet offered to a subscriber.
type writeResult uint8

const (
	// written: the subscriber got it.
	written writeResult = iota
	// undelivered: it was for the subscriber, who could not take it
	// (not negotiated yet, or the connection is closing).
	undelivered
	// skipped: it was not for the subscriber (another simulcast layer,
	// or video paused).
	skipped
)

// write sends one packet with this subscriber's SSRC and payload type,
// and its audio level (the extension's byte, or nil) under this
// subscriber's id for it; o says where the packet came from, so that the
// subscriber's NACKs for it can be answered; now is the time it was read
// (unix nanoseconds). p has no header extensions. write restores the
// packet's header fields before returning, so the caller can hand the
// same packet to the next subscriber; the extension slice keeps its
// capacity, so nothing is allocated.
func (d *downTrack) write(p *rtp.Packet, level []byte, o *origin, now int64) writeResult {
	b := d.bound.Load()
	if b == nil {
		return undelivered
	}
	if o.cache != nil {
		d.hist.note(p.SequenceNumber, p.Timestamp, o)
	}
	ssrc, pt := p.SSRC, p.PayloadType
	p.SSRC, p.PayloadType = b.ssrc, b.pt
	if b.levelID != 0 && level != nil {
		_ = p.SetExtension(b.levelID, level) // one byte under a one-byte id: cannot fail
	}
	_, err := b.writer.WriteRTP(&p.Header, p.Payload)
	p.SSRC, p.PayloadType = ssrc, pt
	p.Extension, p.Extensions = false, p.Extensions[:0]
	if err != nil {
		return undelivered
	}
	b.stats.sent(p.Timestamp, len(p.Payload), now)
	return written
}

// rtcpLoop reads the subscriber's RTCP for this track: it answers NACKs
// from the track's cache (see handleNACK) and passes keyframe requests on
// to the publisher.
func (d *downTrack) rtcpLoop() {
	buf := make([]byte, 1500)
	for {
		n, _, err := d.sender.Read(buf)
		if err != nil {
			return
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, pkt := range pkts {
			switch pkt := pkt.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				d.requestKeyframe()
			case *rtcp.TransportLayerNack:
				d.track.sfu.stats.NACKs.Add(1)
				d.resMu.Lock()
				d.handleNACK(d.resender(), pkt)
				d.resMu.Unlock()
			}
		}
	}
}
