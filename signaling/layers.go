package signaling

import (
	"encoding/json"
	"fmt"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// This file holds what a client says of the video it shows: at which
// size it shows each participant's video (video_sizes: the SFU sends a
// hidden video nothing and a small tile a low simulcast layer) and
// whether it wants video at all (audio_only). Both are the client's own
// business, not the room's: they go to the session's peer directly, and
// a peer made later (admitted again) takes them over.

// maxVideoSide bounds a reported width or height, in device pixels.
const maxVideoSide = 16384

// view is what the client last said of the video it shows.
type view struct {
	sizes     []media.VideoSize
	sized     bool // a video_sizes came
	audioOnly bool
}

// apply gives the view to a peer.
func (v view) apply(p *media.Peer) {
	if p == nil {
		return
	}
	if v.sized {
		p.SetVideoSizes(v.sizes)
	}
	p.SetAudioOnly(v.audioOnly)
}

func (s *session) handleVideoSizes(data []byte, re json.RawMessage) {
	var m protocol.VideoSizes
	if !s.decode(data, &m, re) {
		return
	}
	sizes, err := videoSizes(m.Sizes)
	if err != nil {
		s.sendError(protocol.CodeBadRequest, err.Error(), re)
		return
	}
	s.view.sizes, s.view.sized = sizes, true
	if s.peer != nil {
		s.peer.SetVideoSizes(sizes)
	}
}

// videoSizes checks the sizes of a video_sizes message.
func videoSizes(in []protocol.VideoSize) ([]media.VideoSize, error) {
	if len(in) > protocol.MaxVideoSizes {
		return nil, fmt.Errorf("video_sizes lists at most %d videos", protocol.MaxVideoSizes)
	}
	out := make([]media.VideoSize, 0, len(in))
	for _, v := range in {
		if _, err := room.ParseParticipantID(v.Participant); err != nil {
			return nil, fmt.Errorf(`video_sizes: "participant" must be a participant id`)
		}
		if v.Source != protocol.SourceCamera && v.Source != protocol.SourceScreen {
			return nil, fmt.Errorf(`video_sizes: "source" must be "camera" or "screen"`)
		}
		if v.Width < 0 || v.Height < 0 || v.Width > maxVideoSide || v.Height > maxVideoSide {
			return nil, fmt.Errorf("video_sizes: width and height must be from 0 to %d", maxVideoSide)
		}
		out = append(out, media.VideoSize{Publisher: v.Participant, Source: v.Source, Width: v.Width, Height: v.Height})
	}
	return out, nil
}

func (s *session) handleAudioOnly(data []byte, re json.RawMessage) {
	var m protocol.AudioOnly
	if !s.decode(data, &m, re) {
		return
	}
	if m.On == nil {
		s.sendError(protocol.CodeBadRequest, `audio_only needs "on" (true or false)`, re)
		return
	}
	s.view.audioOnly = *m.On
	if s.peer != nil {
		s.peer.SetAudioOnly(*m.On)
	}
	on := *m.On
	s.send(protocol.AudioOnly{Type: protocol.TypeAudioOnly, On: &on})
}
