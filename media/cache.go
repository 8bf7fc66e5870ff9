package media

import (
	"sync"

	"github.com/pion/rtp"
)

// Sizes of a packet cache. A slot holds one packet's payload; payloads
// larger than a slot (browsers send at most about 1,200 bytes a packet)
// are not cached. 512 slots hold two seconds of a 720p camera and far
// more of the lower layers, many round trips.
const (
	cacheSlots    = 512 // a power of two: a sequence number's slot is seq % cacheSlots
	cacheSlotSize = 1232
)

// packetCache keeps the last packets of one published video stream, as
// the publisher sent them (keyed by the publisher's sequence number), so
// that any subscriber that lost one can be sent it again (NACK -> RTX,
// RFC 4585 and RFC 4588). It is shared by all the stream's subscribers:
// one copy of each packet, not one per subscriber. The track's read loop
// puts each packet; subscribers' RTCP loops get them. Its memory is
// allocated once, when the track starts.
type packetCache struct {
	mu      sync.Mutex // guards entries, newest, started and data
	entries [cacheSlots]cacheEntry
	// newest is the highest sequence number put (in RTP's wrapping
	// order); started says one was.
	newest  uint16
	started bool
	data    []byte // cacheSlots * cacheSlotSize bytes: slot i's payload at i*cacheSlotSize
}

// cacheEntry describes the packet in one slot.
type cacheEntry struct {
	seq    uint16
	size   uint16 // payload bytes
	ts     uint32
	marker bool
	state  slotState
}

// slotState says what a slot holds.
type slotState uint8

const (
	slotEmpty  slotState = iota // no packet came for the slot yet
	slotHeld                    // the packet seq, size bytes
	slotTooBig                  // packet seq came, too large to keep
)

// cacheStatus is what get found for a sequence number.
type cacheStatus uint8

const (
	// cacheHeld: the packet, copied out.
	cacheHeld cacheStatus = iota
	// cacheGone: the packet came but is no longer there (newer packets
	// took its slot, or it was too large to keep), or it is newer than
	// any that came.
	cacheGone
	// cacheNotReceived: the packet never came, though newer ones did and
	// its slot still holds older ones: it was lost on the publisher's
	// way in. The publish connection's NACK generator asks for it again,
	// and the forwarder sends it on to subscribers when it comes.
	cacheNotReceived
)

// cached is a packet read back from a cache: its header fields as the
// publisher sent them and its payload (in the buffer given to get).
type cached struct {
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

func newPacketCache() *packetCache {
	return &packetCache{data: make([]byte, cacheSlots*cacheSlotSize)}
}

// put keeps a copy of a packet's payload and the header fields needed to
// send it again, in place of the packet cacheSlots sequence numbers
// before it. It allocates nothing.
func (c *packetCache) put(h *rtp.Header, payload []byte) {
	seq := h.SequenceNumber
	i := int(seq) % cacheSlots
	c.mu.Lock()
	if !c.started || int16(seq-c.newest) > 0 {
		c.newest, c.started = seq, true
	}
	e := &c.entries[i]
	if len(payload) > cacheSlotSize {
		// The slot's older packet is gone either way.
		*e = cacheEntry{seq: seq, state: slotTooBig}
		c.mu.Unlock()
		return
	}
	copy(c.data[i*cacheSlotSize:], payload)
	*e = cacheEntry{seq: seq, size: uint16(len(payload)), ts: h.Timestamp, marker: h.Marker, state: slotHeld}
	c.mu.Unlock()
}

// get copies the packet with the publisher's sequence number seq into
// buf (which must hold cacheSlotSize bytes) when the cache holds it, and
// says otherwise whether it is gone or never came.
func (c *packetCache) get(seq uint16, buf []byte) (cached, cacheStatus) {
	i := int(seq) % cacheSlots
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[i]
	switch {
	case e.state == slotHeld && e.seq == seq && len(buf) >= int(e.size):
		n := copy(buf, c.data[i*cacheSlotSize:i*cacheSlotSize+int(e.size)])
		return cached{seq: seq, ts: e.ts, marker: e.marker, payload: buf[:n]}, cacheHeld
	case e.state != slotEmpty && e.seq == seq:
		return cached{}, cacheGone // too large to keep
	}
	// Within the last cacheSlots numbers, the slot can only hold an
	// older packet (or none): seq never came.
	if behind := int16(c.newest - seq); c.started && behind > 0 && behind < cacheSlots &&
		(e.state == slotEmpty || int16(seq-e.seq) > 0) {
		return cached{}, cacheNotReceived
	}
	return cached{}, cacheGone
}
