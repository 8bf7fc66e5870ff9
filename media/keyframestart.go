package media

import "encoding/binary"

// This file tells, from one RTP payload and without allocating, whether a
// packet starts a keyframe: a subscriber can switch to another simulcast
// layer only there. VP8 keyframes also give the layer's picture size.

// codecKind is the video codec of a track, as the forwarding path needs
// to know it.
type codecKind uint8

const (
	codecOther codecKind = iota
	codecVP8
	codecH264
)

// keyframeStart reports whether payload is the first packet of a
// keyframe.
func keyframeStart(c codecKind, payload []byte) bool {
	switch c {
	case codecVP8:
		_, ok := vp8Keyframe(payload)
		return ok
	case codecH264:
		return h264KeyframeStart(payload)
	}
	return false
}

// vp8Keyframe reports whether a VP8 payload (RFC 7741) starts a
// keyframe, and returns the offset of its VP8 payload header.
func vp8Keyframe(p []byte) (int, bool) {
	if len(p) < 1 {
		return 0, false
	}
	// Payload descriptor: X R N S R PID; S set and PID 0 start a frame.
	if p[0]&0x10 == 0 || p[0]&0x07 != 0 {
		return 0, false
	}
	i := 1
	if p[0]&0x80 != 0 { // X: extension byte I L T K
		if len(p) < 2 {
			return 0, false
		}
		x := p[1]
		i = 2
		if x&0x80 != 0 { // I: picture id, 7 or 15 bits
			if len(p) <= i {
				return 0, false
			}
			if p[i]&0x80 != 0 {
				i++
			}
			i++
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			i++
		}
		if x&0x30 != 0 { // T or K: TID/Y/KEYIDX
			i++
		}
	}
	// VP8 payload header: P (bit 0) is 0 for a keyframe.
	if len(p) <= i || p[i]&0x01 != 0 {
		return 0, false
	}
	return i, true
}

// vp8Size returns the picture size a VP8 keyframe's first packet gives
// (RFC 6386, section 9.1), or zeros.
func vp8Size(p []byte) (width, height int) {
	i, ok := vp8Keyframe(p)
	if !ok || len(p) < i+10 || p[i+3] != 0x9d || p[i+4] != 0x01 || p[i+5] != 0x2a {
		return 0, 0
	}
	w := binary.LittleEndian.Uint16(p[i+6:]) & 0x3fff
	h := binary.LittleEndian.Uint16(p[i+8:]) & 0x3fff
	return int(w), int(h)
}

// H.264 NAL unit types (RFC 6184).
const (
	nalIDR   = 5
	nalSPS   = 7
	nalSTAPA = 24
	nalFUA   = 28
)

// h264KeyframeStart reports whether an H.264 payload (RFC 6184) starts a
// keyframe: it carries a sequence parameter set (browsers send one, with
// the picture parameter set, just before each IDR picture), or is the
// first fragment of an IDR picture or an IDR picture by itself.
func h264KeyframeStart(p []byte) bool {
	if len(p) < 1 {
		return false
	}
	switch t := p[0] & 0x1f; t {
	case nalSPS, nalIDR:
		return true
	case nalSTAPA:
		for i := 1; i+2 < len(p); {
			size := int(binary.BigEndian.Uint16(p[i:]))
			i += 2
			if i >= len(p) || size == 0 {
				return false
			}
			if nt := p[i] & 0x1f; nt == nalSPS || nt == nalIDR {
				return true
			}
			i += size
		}
	case nalFUA:
		return len(p) > 1 && p[1]&0x80 != 0 && p[1]&0x1f == nalIDR
	}
	return false
}
