package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/signaling/client"
)

// Shapes of the synthetic media.
const (
	audioInterval    = 20 * time.Millisecond // Opus frames of 20 ms: 50 packets/s
	audioPayload     = 120                   // bytes, a voice Opus packet at ~48 kbit/s
	audioClock       = 48000
	videoClock       = 90000
	maxVideoPayload  = 1100 // bytes per RTP packet
	keyframeInterval = 3 * time.Second
)

// bot is one participant of the load.
type bot struct {
	// static after construction
	index int // global, in join order
	room  int
	seat  int // in its room, in join order
	name  string
	url   string // signaling endpoint
	audio bool   // publishes audio
	video bool   // publishes video
	// facilitator: joins with the room's facilitator key and sets the
	// room up; setup then receives its events and errors.
	facilitator bool
	setup       chan client.Message

	// Set by the join goroutine, read after it ended.
	p         *client.Participant
	id        string
	dialStart time.Time
	welcomeAt time.Time
	readyAt   time.Time
	err       error
	audioTx   *sendTrack
	videoTx   *sendTrack
	layersTx  []*sendTrack // simulcast: the video's layers, lowest first

	// tile is the size at which the bot shows every camera (video_sizes);
	// 0×0 with --tile-sizes none: it sends no video_sizes.
	tile [2]int
	// viewMu guards shown, the cameras named in its video_sizes, and
	// viewConn and viewSelf, its connection and id once joined.
	viewMu   sync.Mutex
	shown    []string
	viewConn *client.Conn
	viewSelf string
	// cmd is the command waiting for its answer; chatsReceived counts
	// the run's chat messages the bot received.
	cmd           cmdWaiter
	chatsReceived atomic.Int64
}

// sendTrack is a webrtc.TrackLocal that writes pre-shaped RTP straight to
// the connection's write stream: no copy, no pool, no allocation per
// packet on this side.
type sendTrack struct {
	// static after construction
	kind     webrtc.RTPCodecType
	mime     string
	id       string
	streamID string
	// rid names the simulcast layer ("" without simulcast); tag is what
	// its packets carry after the send time: 1 + the layer's index, 0
	// without simulcast. keyHeader is its key frames' VP8 header (with
	// the layer's picture size).
	rid       string
	tag       byte
	keyHeader [10]byte
	// mid is the transceiver's media id, set after negotiation and
	// before the sending starts (simulcast: every packet names its mid
	// and rid in header extensions).
	mid string

	bound     atomic.Pointer[sendBinding]
	keyframe  atomic.Bool  // a PLI or FIR asked for a key frame
	plis      atomic.Int64 // keyframe requests received
	firstSent atomic.Int64 // Unix ns of the first packet written; 0: none
	sent      atomic.Int64 // packets written in the measuring window
}

type sendBinding struct {
	ssrc   uint32
	pt     uint8
	writer webrtc.TrackLocalWriter
	// midID and ridID are the negotiated ids of the mid and rid header
	// extensions (0: not negotiated).
	midID, ridID uint8
}

var _ webrtc.TrackLocal = (*sendTrack)(nil)

func newSendTrack(kind webrtc.RTPCodecType, streamID string) *sendTrack {
	mime := webrtc.MimeTypeOpus
	if kind == webrtc.RTPCodecTypeVideo {
		mime = webrtc.MimeTypeVP8
	}
	return &sendTrack{kind: kind, mime: mime, id: kind.String(), streamID: streamID, keyHeader: vp8KeyHeader(640, 360)}
}

// newLayerTrack is layer i (rid) of a simulcast video track whose top
// layer is 1280×720; each layer below is half the size of the next.
func newLayerTrack(streamID string, i, layers int, rid string) *sendTrack {
	t := newSendTrack(webrtc.RTPCodecTypeVideo, streamID)
	t.rid, t.tag = rid, byte(i+1)
	shift := layers - 1 - i
	t.keyHeader = vp8KeyHeader(1280>>shift, 720>>shift)
	return t
}

// Bind implements webrtc.TrackLocal.
func (s *sendTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, s.mime) {
			b := &sendBinding{ssrc: uint32(ctx.SSRC()), pt: uint8(c.PayloadType), writer: ctx.WriteStream()}
			for _, h := range ctx.HeaderExtensions() {
				switch h.URI {
				case sdp.SDESMidURI:
					b.midID = uint8(h.ID)
				case sdp.SDESRTPStreamIDURI:
					b.ridID = uint8(h.ID)
				}
			}
			s.bound.Store(b)
			return c, nil
		}
	}
	return webrtc.RTPCodecParameters{}, fmt.Errorf("the server does not accept %s", s.mime)
}

// Unbind implements webrtc.TrackLocal.
func (s *sendTrack) Unbind(webrtc.TrackLocalContext) error {
	s.bound.Store(nil)
	return nil
}

// ID implements webrtc.TrackLocal.
func (s *sendTrack) ID() string { return s.id }

// RID implements webrtc.TrackLocal.
func (s *sendTrack) RID() string { return s.rid }

// StreamID implements webrtc.TrackLocal.
func (s *sendTrack) StreamID() string { return s.streamID }

// Kind implements webrtc.TrackLocal.
func (s *sendTrack) Kind() webrtc.RTPCodecType { return s.kind }

// write sends one packet; it reports whether it went out (before the
// connection's DTLS handshake ended, pion drops packets silently).
func (s *sendTrack) write(hdr *rtp.Header, payload []byte, measuring *atomic.Int32) bool {
	b := s.bound.Load()
	if b == nil {
		return false
	}
	hdr.SSRC, hdr.PayloadType = b.ssrc, b.pt
	if s.rid != "" && !hdr.Extension {
		// A simulcast layer names its mid and rid in every packet (set
		// once: the header is reused).
		if b.midID == 0 || b.ridID == 0 {
			return false
		}
		if hdr.SetExtension(b.midID, []byte(s.mid)) != nil || hdr.SetExtension(b.ridID, []byte(s.rid)) != nil {
			return false
		}
	}
	n, err := b.writer.WriteRTP(hdr, payload)
	if err != nil || n == 0 {
		return false
	}
	if s.firstSent.Load() == 0 {
		s.firstSent.CompareAndSwap(0, time.Now().UnixNano())
	}
	if measuring.Load() == phaseMeasure {
		s.sent.Add(1)
	}
	return true
}

// readRTCP reads the sender's RTCP (a simulcast layer's own) until the
// connection closes and turns keyframe requests (PLI, FIR) into a flag
// the video loop picks up.
func (s *sendTrack) readRTCP(sender *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		var n int
		var err error
		if s.rid != "" {
			n, _, err = sender.ReadSimulcast(buf, s.rid)
		} else {
			n, _, err = sender.Read(buf)
		}
		if err != nil {
			return
		}
		if s.kind != webrtc.RTPCodecTypeVideo {
			continue
		}
		pkts, err := rtcp.Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.plis.Add(1)
				s.keyframe.Store(true)
			}
		}
	}
}

// maxCatchUp is the most packets (audio) or frames (video) a sender sends
// at once to catch up after its goroutine was not scheduled in time; a
// longer backlog is skipped.
const maxCatchUp = 5

// pacer tells how many packets or frames are due: one per interval since
// the start, so that a late wake-up is caught up rather than lost (a
// time.Ticker drops the ticks of a busy receiver).
type pacer struct {
	start    time.Time
	interval time.Duration
	done     int64
}

// due returns how many to send now.
func (p *pacer) due(now time.Time) int {
	n := int64(now.Sub(p.start)/p.interval) + 1 - p.done
	if n > maxCatchUp {
		p.done += n - maxCatchUp // skip the backlog
		n = maxCatchUp
	}
	p.done += max(n, 0)
	return int(max(n, 0))
}

// sendAudio writes an Opus-shaped packet every 20 ms until ctx ends.
func (s *sendTrack) sendAudio(ctx context.Context, phase *atomic.Int32) {
	hdr := rtp.Header{Version: 2, SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32()}
	payload := make([]byte, audioPayload)
	for i := range payload {
		payload[i] = byte(rand.Uint32())
	}
	tick := time.NewTicker(audioInterval)
	defer tick.Stop()
	pace := pacer{start: time.Now(), interval: audioInterval}
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for range pace.due(now) {
				binary.BigEndian.PutUint64(payload, uint64(time.Now().UnixNano()))
				if s.write(&hdr, payload, phase) {
					hdr.SequenceNumber++
				}
				hdr.Timestamp += audioClock * uint32(audioInterval/time.Millisecond) / 1000
			}
		}
	}
}

// videoShape is how a bitrate becomes frames and packets.
type videoShape struct {
	fps             int
	packetsPerFrame int
	payload         int // bytes per packet
}

func shapeVideo(kbps int) videoShape {
	fps := 30
	if kbps < 300 {
		fps = 15
	}
	perFrame := kbps * 1000 / 8 / fps
	n := (perFrame + maxVideoPayload - 1) / maxVideoPayload
	n = max(n, 1)
	return videoShape{fps: fps, packetsPerFrame: n, payload: max(perFrame/n, 24)}
}

// vp8InterHeader is an inter frame's VP8 frame header (RFC 6386 section
// 9.1: P = 1).
func vp8InterHeader() [3]byte { return [3]byte{0x11, 0x00, 0x00} }

// vp8KeyHeader is a key frame's VP8 frame header (P = 0, the start code,
// then width and height, 14 bits each, little-endian).
func vp8KeyHeader(width, height int) [10]byte {
	return [10]byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, byte(width), byte(width>>8) & 0x3f, byte(height), byte(height>>8) & 0x3f}
}

// sendVideo writes VP8-shaped frames at the shape's rate until ctx ends: a
// key frame every few seconds and after each keyframe request, every
// frame's packets back to back, the last one with the marker bit.
func (s *sendTrack) sendVideo(ctx context.Context, shape videoShape, phase *atomic.Int32) {
	hdr := rtp.Header{Version: 2, SequenceNumber: uint16(rand.Uint32()), Timestamp: rand.Uint32()}
	payload := make([]byte, shape.payload)
	for i := range payload {
		payload[i] = byte(rand.Uint32())
	}
	keyEvery := int(keyframeInterval.Seconds() * float64(shape.fps))
	interval := time.Second / time.Duration(shape.fps)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	pace := pacer{start: time.Now(), interval: interval}
	frame := 0
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for range pace.due(now) {
				s.sendFrame(&hdr, payload, shape, frame%keyEvery == 0, phase)
				hdr.Timestamp += uint32(videoClock / shape.fps)
				frame++
			}
		}
	}
}

// sendFrame sends one frame's packets back to back; key asks for a key
// frame, as does a pending keyframe request.
func (s *sendTrack) sendFrame(hdr *rtp.Header, payload []byte, shape videoShape, key bool, phase *atomic.Int32) {
	key = s.keyframe.Swap(false) || key
	for i := range shape.packetsPerFrame {
		off := 1
		if i == 0 {
			payload[0] = 0x10 // S = 1, partition 0: starts the frame
			if key {
				off += copy(payload[1:], s.keyHeader[:])
			} else {
				h := vp8InterHeader()
				off += copy(payload[1:], h[:])
			}
		} else {
			payload[0] = 0x00
		}
		binary.BigEndian.PutUint64(payload[off:], uint64(time.Now().UnixNano()))
		payload[off+8] = s.tag
		hdr.Marker = i == shape.packetsPerFrame-1
		if s.write(hdr, payload, phase) {
			hdr.SequenceNumber++
		} else if i == 0 && key {
			s.keyframe.Store(true) // not sent: try again next frame
		}
	}
}

// layerRIDs are the rids of the simulcast layers, lowest first, as the
// browser client names them (web/simulcast.js).
func layerRIDs() []string { return []string{"q", "h", "f"} }
