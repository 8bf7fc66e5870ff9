package media

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Loss recovery (RFC 4585 generic NACK, RFC 4588 RTX).
//
// A subscriber that loses a video packet sends a NACK naming the sequence
// numbers it missed, as it saw them. Its downTrack maps them back to the
// publisher's sequence numbers (seqHistory), reads the packets from the
// track's packetCache, which all its subscribers share, and sends them
// again on the subscriber's RTX stream: their own SSRC and the "rtx"
// payload type negotiated beside the codec ("apt"), with the original
// sequence number at the head of the payload, as browsers expect. A
// subscriber that negotiated no RTX gets the packet again as it was.
// pion's NACK responder, which keeps a copy of every packet per
// subscriber, is not used.

// rtxCodecs are the RTX payload types offered beside each video codec
// (RFC 4588 section 8.6): 97 for VP8 (96), 103 and 105 for the two H.264
// profiles (102, 104).
func rtxCodecs() []webrtc.RTPCodecParameters {
	out := make([]webrtc.RTPCodecParameters, 0, 3)
	for _, c := range videoCodecs() {
		out = append(out, webrtc.RTPCodecParameters{
			RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeRTX, ClockRate: 90000,
				SDPFmtpLine: "apt=" + strconv.Itoa(int(c.PayloadType))},
			PayloadType: c.PayloadType + 1,
		})
	}
	return out
}

// registerRTX registers the RTX payload types on a media engine whose
// video codecs are registered.
func registerRTX(me *webrtc.MediaEngine) error {
	for _, c := range rtxCodecs() {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("media: register %s %s: %w", c.MimeType, c.SDPFmtpLine, err)
		}
	}
	return nil
}

// rtxPayloadType finds, among a connection's negotiated codecs, the RTX
// payload type associated with pt (0 when there is none).
func rtxPayloadType(codecs []webrtc.RTPCodecParameters, pt webrtc.PayloadType) uint8 {
	for _, c := range codecs {
		if !strings.EqualFold(c.MimeType, webrtc.MimeTypeRTX) {
			continue
		}
		for _, param := range strings.Split(c.SDPFmtpLine, ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(param), "=")
			if n, err := strconv.Atoi(v); err == nil && strings.EqualFold(k, "apt") && n == int(pt) {
				return uint8(c.PayloadType)
			}
		}
	}
	return 0
}

// maxNACKsPerPacket bounds how many times a receiving connection asks
// for one lost packet (every 100 ms, pion's interval): half a second.
// pion's NACK generator reads the media stream only and never sees the
// packets repaired over RTX, so without a bound it asks again for a
// packet that came back until the packet leaves its 512-number log, and
// a sender that answers every NACK (another instance relaying to this
// one) sends it again some 25 times.
const maxNACKsPerPacket = 5

// registerInterceptors adds the RTCP interceptors of a connection. One
// that receives media (a publish connection, or a relay from another
// instance) has the NACK generator, which asks publishers (and other
// instances) for packets lost on the way in, and receiver reports (RFC
// 3550). One that sends media (a subscribe connection) has neither: it
// receives no RTP, answers NACKs itself (downTrack.rtcpLoop) from the
// shared cache, and sends its sender reports itself (report.go) without
// an interceptor on each packet.
func registerInterceptors(reg *interceptor.Registry, receives bool) error {
	if !receives {
		return nil
	}
	gen, err := nack.NewGeneratorInterceptor(nack.GeneratorMaxNacksPerPacket(maxNACKsPerPacket))
	if err != nil {
		return fmt.Errorf("media: nack generator: %w", err)
	}
	reg.Add(gen)
	rr, err := report.NewReceiverInterceptor()
	if err != nil {
		return fmt.Errorf("media: receiver reports: %w", err)
	}
	reg.Add(rr)
	return nil
}

// origin says where a packet being forwarded came from: the cache that
// holds it and its sequence number and timestamp as the publisher sent
// them. The forwarder fills one per packet; cache is nil for packets
// nobody will ask for again (audio).
type origin struct {
	cache *packetCache
	seq   uint16
	ts    uint32
}

// historyPoints is how many changes of mapping a downTrack remembers: a
// layer switch, the end of a mute, and each run of probing padding (and
// the media after it) start a new one. A bandwidth probe pads between
// most frames for a while, so this covers well over a second of them.
const historyPoints = 256

// seqPoint says how a run of a subscriber's outgoing packets relates to
// the publisher's: from outgoing sequence number out on, outgoing = the
// publisher's + dseq (and the same for timestamps with dts), and the
// packets are in cache.
type seqPoint struct {
	out   uint16
	dseq  uint16
	dts   uint32
	cache *packetCache
}

// seqHistory maps a subscriber's outgoing sequence numbers back to the
// publisher's. The forwarding path notes each packet (note), which costs
// a comparison unless the mapping changed; NACKs look numbers up.
type seqHistory struct {
	// owned by the track's read loop
	cur     seqPoint
	started bool

	mu sync.Mutex // guards points and next
	// points is the ring, made at the first note: only video copies
	// are noted (audio is never sent again), and 4 KiB for each of a
	// meeting's many audio copies was a tenth of a MiB per participant.
	points *[historyPoints]seqPoint
	next   int // where the next point goes (the ring's oldest)
	n      int // points recorded, at most historyPoints
}

// note records that the packet with outgoing sequence number out and
// timestamp ts came from o.
func (h *seqHistory) note(out uint16, ts uint32, o *origin) {
	p := seqPoint{out: out, dseq: out - o.seq, dts: ts - o.ts, cache: o.cache}
	if h.started && p.dseq == h.cur.dseq && p.dts == h.cur.dts && p.cache == h.cur.cache {
		return
	}
	h.cur, h.started = p, true
	h.mu.Lock()
	if h.points == nil {
		h.points = new([historyPoints]seqPoint) // once per copy, at its first packet
	}
	h.points[h.next] = p
	h.next = (h.next + 1) % historyPoints
	if h.n < historyPoints {
		h.n++
	}
	h.mu.Unlock()
}

// lookup returns the mapping in force when outgoing sequence number out
// was sent: the newest point at or before out. A point without a cache
// is a run of padding (downTrack.pad): nothing to read, padding to send.
func (h *seqHistory) lookup(out uint16) (seqPoint, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k := 1; k <= h.n; k++ {
		p := h.points[(h.next-k+historyPoints)%historyPoints]
		if int16(out-p.out) >= 0 {
			return p, true
		}
	}
	return seqPoint{}, false
}

// resendCopies is how many times a client's RTX stream gets a lost
// packet for one NACK, back to back, each under its own RTX sequence
// number (the client keeps the first that arrives). A client whose link
// lost the packet may lose the retransmission too, and browsers ask
// again only a round-trip time later, which a receive-only connection
// does not know (Chromium then waits 100 ms): with two copies a lost
// retransmission is rare (at 10 % random loss, 1 % rather than 10 %),
// for twice the retransmitted bytes, a small part of a stream's. Relays
// to other instances get one: pion's receiver asks again for packets
// repaired over RTX (see maxNACKsPerPacket).
const resendCopies = 2

// resendWindow is how many recent retransmissions a downTrack remembers,
// and resendPause the time within which it does not send the same packet
// again (a subscriber repeats its NACK until the packet arrives).
const (
	resendWindow = 64
	resendPause  = int64(10e6) // nanoseconds
	// unaskedAnswers is how long a packet sent again unasked (for
	// feedback, resendUnasked) answers the NACKs that come for it: a
	// browser that saw the loss before the retransmission arrived (a
	// queue on its link delays it) asks anyway, and on a congested link
	// a second copy would only add to the queue. If both copies were lost,
	// the browser asks again some 100 ms later and gets it then.
	unaskedAnswers = int64(100e6)
)

// resender answers one subscriber's NACKs for one track. It is owned by
// the downTrack's RTCP loop.
type resender struct {
	// buf holds an RTX payload: the original sequence number, then the
	// packet's payload.
	buf [2 + cacheSlotSize]byte
	// seq is the RTX stream's next sequence number.
	seq uint16
	// hdr is the header of the packet being sent (here, not on the
	// stack: the writer is an interface, and it would escape).
	hdr rtp.Header
	// recent are the outgoing sequence numbers resent lately, when
	// (unix nanoseconds), and whether unasked (for feedback, not a NACK).
	recent [resendWindow]struct {
		seq     uint16
		unasked bool
		at      int64
	}
}

// resender returns the track's resender, made at its first use.
// d.resMu is held.
func (d *downTrack) resender() *resender {
	if d.res == nil {
		d.res = &resender{seq: uint16(rand.Uint32())}
	}
	return d.res
}

// unaskedPause is how long after sending a packet again (for a NACK)
// the loss that feedback reports of it is taken as answered already. A
// browser asks at once for a packet it misses and feedback follows every
// 50 to 100 ms: a loss reported after that long, the packet not sent
// again meanwhile, is one whose NACK was lost too (or not sent yet).
const unaskedPause = int64(250e6) // nanoseconds

// resendUnasked sends again a packet the subscriber's transport-wide
// feedback reports lost, unless it went again lately (for a NACK). On a
// lossy link the NACK is lost as often as the packet, and a browser asks
// again only some 100 ms later; video freezes for that long. Feedback
// reports every loss, whether or not a NACK came.
func (d *downTrack) resendUnasked(seq uint16) {
	b := d.bound.Load()
	if b == nil {
		return
	}
	now := d.track.sfu.cfg.Now().UnixNano()
	d.resMu.Lock()
	defer d.resMu.Unlock()
	if d.resend(d.resender(), b, seq, now, true) == resentOK {
		d.track.sfu.stats.RTXFromFeedback.Add(1)
	}
}

// resendLost sends again the video packet with sequence number seq on the
// subscribe connection's SSRC ssrc, which the subscriber's feedback
// reported lost (see resendUnasked).
func (p *Peer) resendLost(ssrc uint32, seq uint16) {
	var d *downTrack
	p.mu.Lock()
	for _, x := range p.downs {
		if b := x.bound.Load(); b != nil && b.ssrc == ssrc {
			d = x
			break
		}
	}
	p.mu.Unlock()
	if d != nil {
		d.resendUnasked(seq)
	}
}

// handleNACK sends again each packet a NACK names that the cache still
// holds. It allocates nothing. d.resMu is held.
func (d *downTrack) handleNACK(r *resender, n *rtcp.TransportLayerNack) {
	b := d.bound.Load()
	if b == nil {
		return
	}
	stats := &d.track.sfu.stats
	now := d.track.sfu.cfg.Now().UnixNano()
	for _, pair := range n.Nacks {
		// The pair's first number, then one for each bit of its mask
		// (RFC 4585 section 6.2.1); pion's PacketList allocates.
		lost := uint32(pair.LostPackets)<<1 | 1
		for i := uint16(0); lost != 0; i, lost = i+1, lost>>1 {
			if lost&1 == 0 {
				continue
			}
			switch d.resend(r, b, pair.PacketID+i, now, false) {
			case resentMissing:
				stats.NACKMissed.Add(1)
			case resentNotReceived:
				stats.NACKNotReceived.Add(1)
			}
		}
	}
}

type resendResult int

const (
	resentOK resendResult = iota
	resentMissing
	// resentNotReceived: the SFU never got the packet from the
	// publisher (it forwards it when the publisher sends it again).
	resentNotReceived
	resentLately
	resentFailed
)

// resend sends the packet the subscriber knows as seq again, unless it
// went again lately; unasked when no NACK asked for it (resendUnasked).
// Each packet written is counted in Stats.RTXSent (each copy on an RTX
// stream).
func (d *downTrack) resend(r *resender, b *binding, seq uint16, now int64, unasked bool) resendResult {
	p, ok := d.hist.lookup(seq)
	if !ok {
		return resentMissing
	}
	var c cached
	if p.cache == nil {
		// Padding the subscriber lost: padding again, so that it stops
		// waiting for the number (its payload is empty either way).
		c = cached{seq: seq, payload: r.buf[2:2]}
	} else {
		var st cacheStatus
		switch c, st = p.cache.get(seq-p.dseq, r.buf[2:]); st {
		case cacheNotReceived:
			return resentNotReceived
		case cacheGone:
			return resentMissing
		}
	}
	slot := &r.recent[int(seq)%resendWindow]
	pause := resendPause
	switch {
	case unasked:
		pause = unaskedPause // a NACK got there first
	case slot.unasked:
		pause = unaskedAnswers
	}
	if slot.seq == seq && slot.at != 0 && now-slot.at < pause {
		return resentLately
	}
	slot.seq, slot.at, slot.unasked = seq, now, unasked
	h := &r.hdr
	*h = rtp.Header{Version: 2, Marker: c.marker, Timestamp: c.ts + p.dts, Extensions: h.Extensions[:0]}
	if p.cache == nil {
		h.Padding, h.PaddingSize = true, 4
	}
	payload := c.payload
	if b.rtxSSRC == 0 {
		h.SSRC, h.PayloadType, h.SequenceNumber = b.ssrc, b.pt, seq
		if _, err := b.writer.WriteRTP(h, payload); err != nil {
			return resentFailed
		}
		b.stats.resent(len(payload))
		d.track.sfu.stats.RTXSent.Add(1)
		return resentOK
	}
	h.SSRC, h.PayloadType = b.rtxSSRC, b.rtxPT
	binary.BigEndian.PutUint16(r.buf[:2], seq)
	payload = r.buf[:2+len(c.payload)]
	copies := 1
	if b.rtxTwice {
		copies = resendCopies
	}
	for range copies {
		h.SequenceNumber = r.seq
		r.seq++
		if _, err := b.writer.WriteRTP(h, payload); err != nil {
			return resentFailed
		}
		d.track.sfu.stats.RTXSent.Add(1)
	}
	return resentOK
}
