package media

import (
	"sync/atomic"

	"github.com/pion/webrtc/v4"
)

// candidateTypes are the remote candidate types connections are counted
// by (RFC 8445 5.1.1.1; prflx: an address learnt from the client's
// connectivity checks, e.g. a relay or NAT address it signalled late).
func candidateTypes() [4]webrtc.ICECandidateType {
	return [4]webrtc.ICECandidateType{webrtc.ICECandidateTypeHost,
		webrtc.ICECandidateTypeSrflx, webrtc.ICECandidateTypePrflx, webrtc.ICECandidateTypeRelay}
}

// transports are the transports connections are counted by.
func transports() [2]webrtc.ICEProtocol {
	return [2]webrtc.ICEProtocol{webrtc.ICEProtocolUDP, webrtc.ICEProtocolTCP}
}

// ICEStats count the ICE outcomes of participants' peer connections.
type ICEStats struct {
	// connected counts connections that reached "connected", by the
	// selected pair's remote candidate type and transport.
	connected [4][2]atomic.Uint64
	// Failures counts connections that reached "failed".
	Failures atomic.Uint64
}

// Connected returns how many connections were established over a
// remote candidate of type typ ("host", "srflx", "prflx", "relay") and
// transport ("udp", "tcp"), calling f for each pair.
func (s *ICEStats) Connected(f func(typ, transport string, n uint64)) {
	for i, c := range candidateTypes() {
		for j, t := range transports() {
			f(c.String(), t.String(), s.connected[i][j].Load())
		}
	}
}

// count records the connection's selected pair.
func (s *ICEStats) count(pair *webrtc.ICECandidatePair) {
	if pair == nil || pair.Remote == nil || pair.Local == nil {
		return
	}
	for i, c := range candidateTypes() {
		for j, t := range transports() {
			if pair.Remote.Typ == c && pair.Local.Protocol == t {
				s.connected[i][j].Add(1)
			}
		}
	}
}

// watchICE counts pc's ICE outcomes in the SFU's stats: the selected
// candidate pair each time it connects (again after an ICE restart), and
// failures.
func (s *SFU) watchICE(pc *webrtc.PeerConnection) {
	pc.OnConnectionStateChange(func(st webrtc.PeerConnectionState) {
		switch st {
		case webrtc.PeerConnectionStateConnected:
			pair, err := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
			if err == nil {
				s.stats.ICE.count(pair)
			}
		case webrtc.PeerConnectionStateFailed:
			s.stats.ICE.Failures.Add(1)
		}
	})
}
