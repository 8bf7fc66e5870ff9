package media

import (
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Transport-wide congestion control on subscribe connections: the
// estimator's writer numbers every packet a connection sends (the
// transport-wide sequence number header extension) and notes it; the
// subscriber's feedback reports which arrived, when, and which were
// lost. What the feedback says of the link is judged in estimator.go;
// the video packets it reports lost are sent again (rtx.go,
// resendUnasked).

// transportCCURI names the transport-wide sequence number extension.
const transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"

// sentPacket is what the estimator remembers of a packet sent.
type sentPacket struct {
	seq uint16 // transport-wide
	// rtpSeq and ssrc: the media packet it was, when it can be sent
	// again (video with a payload, on its own SSRC); ssrc is 0 otherwise
	// (audio, padding, a retransmission).
	rtpSeq uint16
	size   int32
	ssrc   uint32
	at     int64 // unix nanoseconds
}

// maxUnasked bounds the packets one feedback can have sent again
// (feedback reports some tens of packets).
const maxUnasked = 64

// lostPacket is a media packet a feedback reported lost.
type lostPacket struct {
	ssrc uint32
	seq  uint16
}

// AddStream implements cc.BandwidthEstimator: it numbers each packet the
// stream sends with the connection's next transport-wide sequence number
// (the header extension) and notes it. pion's header extension
// interceptor (twcc.HeaderExtensionInterceptor) allocates the
// extension's two bytes for each packet; this writer allocates nothing.
func (e *estimator) AddStream(info *interceptor.StreamInfo, w interceptor.RTPWriter) interceptor.RTPWriter {
	var id uint8
	for _, x := range info.RTPHeaderExtensions {
		if x.URI == transportCCURI && x.ID > 0 && x.ID < 256 {
			id = uint8(x.ID)
		}
	}
	if id == 0 {
		return w
	}
	// A video stream's packets can be sent again (rtx.go); media is its
	// own SSRC (its retransmissions go out through this writer too).
	media := uint32(0)
	if strings.HasPrefix(strings.ToLower(info.MimeType), "video/") {
		media = info.SSRC
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		seq := uint16(e.nextSeq.Add(1) - 1)
		// The extension's two bytes stay in e.seqBytes until the packet
		// is written (encrypted, synchronously, below): a slot is used
		// again only 256 packets later.
		ext := e.seqBytes[seq%uint16(len(e.seqBytes))][:]
		binary.BigEndian.PutUint16(ext, seq)
		if err := h.SetExtension(id, ext); err != nil {
			return 0, err
		}
		var ssrc uint32
		if media != 0 && h.SSRC == media && len(payload) > 0 {
			ssrc = h.SSRC
		}
		e.noteSent(seq, h.MarshalSize()+len(payload)+int(h.PaddingSize)+packetOverhead, ssrc, h.SequenceNumber)
		return w.Write(h, payload, a)
	})
}

// noteSent records a packet sent with transport-wide number seq; ssrc
// and rtpSeq name it when it can be sent again (ssrc 0: it cannot).
func (e *estimator) noteSent(seq uint16, size int, ssrc uint32, rtpSeq uint16) {
	at := e.now().UnixNano()
	e.mu.Lock()
	e.sent[int(seq)%sentRing] = sentPacket{seq: seq, at: at, size: int32(size), ssrc: ssrc, rtpSeq: rtpSeq}
	e.mu.Unlock()
}

// setOnLost sets what is given the media packets feedback reports lost.
func (e *estimator) setOnLost(f func(ssrc uint32, seq uint16)) {
	e.mu.Lock()
	e.onLost = f
	e.mu.Unlock()
}

// WriteRTCP implements cc.BandwidthEstimator: it reads transport-wide
// feedback.
func (e *estimator) WriteRTCP(pkts []rtcp.Packet, _ interceptor.Attributes) error {
	for _, p := range pkts {
		if fb, ok := p.(*rtcp.TransportLayerCC); ok {
			e.feedback(fb)
		}
	}
	return nil
}

// feedback takes one transport-wide feedback packet, then gives onLost
// the resendable packets it reports lost.
func (e *estimator) feedback(fb *rtcp.TransportLayerCC) {
	var lost [maxUnasked]lostPacket
	e.mu.Lock()
	e.judgeFeedback(fb)
	onLost, n := e.onLost, copy(lost[:], e.lostPkts[:e.nLost])
	e.nLost = 0
	e.mu.Unlock()
	if onLost == nil {
		return
	}
	for _, l := range lost[:n] {
		onLost(l.ssrc, l.seq)
	}
}

// configureCongestionControl registers transport-wide congestion control
// on a subscribe API: the header extension on every packet sent, the
// feedback asked of the subscriber, and an estimator per connection,
// handed to NewPeer through s.nextEstimator.
func (s *SFU) configureCongestionControl(me *webrtc.MediaEngine, reg *interceptor.Registry) error {
	f, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) { return newEstimator(s.cfg.Now), nil })
	if err != nil {
		return fmt.Errorf("media: congestion controller: %w", err)
	}
	// Called while newSubscribeConn holds estimatorMu, on its goroutine.
	f.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) { s.nextEstimator = e })
	reg.Add(f)
	// The estimator numbers the packets itself (AddStream): no header
	// extension interceptor.
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: transportCCURI}, k); err != nil {
			return fmt.Errorf("media: twcc header extension: %w", err)
		}
	}
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
		me.RegisterFeedback(webrtc.RTCPFeedback{Type: webrtc.TypeRTCPFBTransportCC}, k)
	}
	return nil
}
