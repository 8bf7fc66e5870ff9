package media

import (
	"errors"
	"io"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// readRTCP reads the RTCP a publisher sends for one of its tracks until the
// receiver stops (its track ended or the peer closed). pion's report
// interceptor sees only what is read: the publisher's sender reports
// (RFC 3550, section 6.4.1) reach it here, and the receiver reports the
// server sends back then carry their timestamp and delay (LSR/DLSR), from
// which the publisher measures its round trip. It is one goroutine per
// receiver; it reuses one buffer and allocates nothing per packet itself
// (the interceptor parses what it reads). Like pion's examples it stops at
// the first error, which includes a packet the interceptor cannot parse:
// a publisher sending malformed RTCP loses only its own reports.
//
// A simulcast layer (rid set) reads its own RTCP with ReadSimulcast: a
// simulcast receiver's Read dereferences a track pion has not set up
// (a nil pointer: the server crashed when a browser published layers).
func (p *Peer) readRTCP(r *webrtc.RTPReceiver, rid string) {
	buf := make([]byte, 1500)
	for {
		var n int
		var err error
		if rid != "" {
			n, _, err = r.ReadSimulcast(buf, rid)
		} else {
			n, _, err = r.Read(buf)
		}
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrClosedPipe) {
				p.log.Debug("publisher RTCP read ended", zap.Error(err))
			}
			return
		}
		if srs := senderReports(buf[:n]); srs > 0 {
			p.sfu.stats.SenderReports.Add(srs)
		}
	}
}

// senderReports counts the sender reports in a compound RTCP packet
// (RFC 3550, section 6.1) by walking its headers, without allocating.
func senderReports(b []byte) uint64 {
	var (
		h rtcp.Header
		n uint64
	)
	for len(b) > 0 {
		if h.Unmarshal(b) != nil { // short, or not RTCP version 2
			break
		}
		size := (int(h.Length) + 1) * 4
		if size > len(b) {
			break
		}
		if h.Type == rtcp.TypeSenderReport {
			n++
		}
		b = b[size:]
	}
	return n
}
