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
	mu      sync.Mutex // guards entries and data
	entries [cacheSlots]cacheEntry
	data    []byte // cacheSlots * cacheSlotSize bytes: slot i's payload at i*cacheSlotSize
}

// cacheEntry describes the packet in one slot.
type cacheEntry struct {
	seq    uint16
	size   uint16 // payload bytes
	ts     uint32
	marker bool
	ok     bool // the slot holds a packet
}

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
	i := int(h.SequenceNumber) % cacheSlots
	c.mu.Lock()
	e := &c.entries[i]
	if len(payload) > cacheSlotSize {
		e.ok = false // the slot's older packet is gone either way
		c.mu.Unlock()
		return
	}
	copy(c.data[i*cacheSlotSize:], payload)
	*e = cacheEntry{seq: h.SequenceNumber, size: uint16(len(payload)), ts: h.Timestamp, marker: h.Marker, ok: true}
	c.mu.Unlock()
}

// get copies the packet with the publisher's sequence number seq into
// buf (which must hold cacheSlotSize bytes) and reports whether the
// cache still had it.
func (c *packetCache) get(seq uint16, buf []byte) (cached, bool) {
	i := int(seq) % cacheSlots
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[i]
	if !e.ok || e.seq != seq || len(buf) < int(e.size) {
		return cached{}, false
	}
	n := copy(buf, c.data[i*cacheSlotSize:i*cacheSlotSize+int(e.size)])
	return cached{seq: seq, ts: e.ts, marker: e.marker, payload: buf[:n]}, true
}
