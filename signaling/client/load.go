package client

import (
	"errors"
	"fmt"

	"github.com/pion/webrtc/v4"
)

// AddSendTrack adds t to the publish connection without negotiating and
// without draining the sender's RTCP, and returns the sender. Callers that
// answer keyframe requests themselves (the load generator) read the
// sender's RTCP, then call Publish with no tracks to negotiate. Unlike the
// tracks given to Publish, nothing else reads this sender's RTCP, so no
// PLI is lost to a competing reader.
func (p *Participant) AddSendTrack(t webrtc.TrackLocal) (*webrtc.RTPSender, error) {
	return p.AddSimulcastTrack(t)
}

// AddSimulcastTrack is AddSendTrack for a track sent as several
// encodings (RFC 8853): layers are the encodings, lowest first, each with
// its own RID() and the same ID() and StreamID(). The offer then carries
// a=rid and a=simulcast lines; the participant must have been joined with
// MediaParams.Simulcast, and each packet it sends must carry the mid and
// rid header extensions (the server learns the layers' SSRCs from them).
// The caller reads each layer's RTCP with the sender's ReadSimulcast.
func (p *Participant) AddSimulcastTrack(layers ...webrtc.TrackLocal) (*webrtc.RTPSender, error) {
	if len(layers) == 0 {
		return nil, errors.New("add track: no track")
	}
	tr, err := p.pub.AddTransceiverFromTrack(layers[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("add track: %w", err)
	}
	for _, l := range layers[1:] {
		if err := tr.Sender().AddEncoding(l); err != nil {
			return nil, fmt.Errorf("add layer %q: %w", l.RID(), err)
		}
	}
	return tr.Sender(), nil
}

// Mid is the media id the publish connection gave sender's transceiver
// ("" before negotiation, or for a sender that is not the participant's).
func (p *Participant) Mid(sender *webrtc.RTPSender) string {
	for _, tr := range p.pub.GetTransceivers() {
		if tr.Sender() == sender {
			return tr.Mid()
		}
	}
	return ""
}
