package media

import (
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
)

// Sender reports (RFC 3550 section 6.4.1) for what the SFU sends.
//
// A subscriber needs a sender report for each stream it receives: it
// maps the stream's RTP timestamps to wall-clock time (browsers line
// audio and video up with it) and gives its statistics the packets and
// bytes sent. pion's sender report interceptor kept these under a mutex
// per stream and read the clock once per packet per subscriber; here the
// forwarding path only adds to atomic counters of the subscriber's
// binding, with the time it read once per incoming packet, and each
// subscriber's report loop makes the reports once a second.

// reportInterval is the time between two rounds of sender reports.
const reportInterval = time.Second

// timeShift turns unix nanoseconds into the units of the wall time kept
// beside a stream's last RTP timestamp (1.024 µs): 32 bits of them span
// 73 minutes, far more than the time between two reports.
const timeShift = 10

// sendStats are what one subscriber's stream (one binding, one SSRC) has
// sent: written by the forwarding path, read by the report loop.
type sendStats struct {
	// packets and octets sent (the report's counts, which wrap).
	packets, octets atomic.Uint32
	// last is the RTP timestamp of the newest frame sent (high 32 bits)
	// and the wall time its first packet was sent (low 32 bits, unix
	// nanoseconds >> timeShift).
	last atomic.Uint64

	// owned by the report loop: the last value of last it saw, and the
	// full wall time (unix nanoseconds) of its frame.
	seen   uint64
	seenAt int64
}

// sent counts one packet of size payload bytes with RTP timestamp ts,
// sent at now (unix nanoseconds). A frame's time is that of its first
// packet. It allocates nothing and takes no lock.
func (s *sendStats) sent(ts uint32, size int, now int64) {
	n := s.packets.Add(1)
	s.octets.Add(uint32(size))
	if n == 1 || uint32(s.last.Load()>>32) != ts {
		s.last.Store(uint64(ts)<<32 | uint64(uint32(now>>timeShift)))
	}
}

// resent counts a packet sent again on the stream's own SSRC: it counts,
// but says nothing new about the stream's timing.
func (s *sendStats) resent(size int) {
	s.packets.Add(1)
	s.octets.Add(uint32(size))
}

// report makes the stream's sender report at now, or returns false when
// it has sent nothing yet (RFC 3550: it is not a sender then).
func (s *sendStats) report(ssrc, clockRate uint32, now time.Time) (rtcp.SenderReport, bool) {
	packets := s.packets.Load()
	if packets == 0 {
		return rtcp.SenderReport{}, false
	}
	octets := s.octets.Load()
	last := s.last.Load()
	nowNS := now.UnixNano()
	if last != s.seen || s.seenAt == 0 {
		// A newer frame: its wall time is within 73 minutes of now.
		ago := int64(uint32(nowNS>>timeShift)-uint32(last)) << timeShift
		s.seen, s.seenAt = last, nowNS-ago
	}
	elapsed := nowNS - s.seenAt
	rtpTime := uint32(last>>32) + uint32(elapsed*int64(clockRate)/1e9)
	return rtcp.SenderReport{SSRC: ssrc, NTPTime: ntpTime(now), RTPTime: rtpTime,
		PacketCount: packets, OctetCount: octets}, true
}

// ntpTime is t as a 64-bit NTP timestamp (seconds since 1900 in the high
// 32 bits, the fraction of a second in the low 32).
func ntpTime(t time.Time) uint64 {
	const unixToNTP = 2208988800
	secs := uint64(t.Unix() + unixToNTP)
	frac := uint64(t.Nanosecond()) << 32 / 1e9
	return secs<<32 | frac
}

// reportsPerPacket bounds the sender reports sent in one compound RTCP
// packet (28 bytes each: 20 of them stay well under an MTU with SRTCP's
// overhead).
const reportsPerPacket = 20

// reportLoop sends the sender reports of the peer's subscriptions every
// reportInterval until the peer closes.
func (p *Peer) reportLoop() {
	tick := time.NewTicker(reportInterval)
	defer tick.Stop()
	var downs []*downTrack
	var pkts []rtcp.Packet
	for {
		select {
		case <-p.quit:
			return
		case <-tick.C:
		}
		downs = downs[:0]
		p.mu.Lock()
		for _, d := range p.downs {
			downs = append(downs, d)
		}
		p.mu.Unlock()
		now := time.Now()
		pkts = pkts[:0]
		for _, d := range downs {
			b := d.bound.Load()
			if b == nil {
				continue
			}
			sr, ok := b.stats.report(b.ssrc, d.track.codec.ClockRate, now)
			if !ok {
				continue
			}
			pkts = append(pkts, &sr)
			if len(pkts) == reportsPerPacket {
				p.writeReports(pkts)
				pkts = pkts[:0]
			}
		}
		if len(pkts) > 0 {
			p.writeReports(pkts)
		}
	}
}

// writeReports sends sender reports on the subscribe connection.
func (p *Peer) writeReports(pkts []rtcp.Packet) {
	if err := p.sub.WriteRTCP(pkts); err != nil {
		return // not connected yet, or closing: the next round tries again
	}
	p.sfu.stats.SenderReportsSent.Add(uint64(len(pkts)))
}
