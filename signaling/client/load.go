package client

import (
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
	tr, err := p.pub.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("add track: %w", err)
	}
	return tr.Sender(), nil
}
