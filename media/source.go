package media

import (
	"strings"

	"github.com/pion/webrtc/v4"
)

// Source says what a published track carries.
type Source string

// The sources of tracks.
const (
	SourceMicrophone Source = "microphone"
	SourceCamera     Source = "camera"
	// SourceScreen is a shared screen: a video track whose id, as the
	// client publishes it (its msid track id), starts with ScreenTrackPrefix.
	SourceScreen Source = "screen"
)

// ScreenTrackPrefix starts the id of a video track that carries a shared
// screen.
const ScreenTrackPrefix = "screen"

// ScreenStreamSuffix follows the publisher's id in the stream id (msid)
// under which clients receive a shared screen, so that it is a stream of
// its own beside the publisher's camera and microphone.
const ScreenStreamSuffix = "~screen"

// sourceOf tells a track's source from its kind and id (publisher's id,
// kind and the client's track id, joined by "-"; a relayed track keeps
// the id its instance of origin gave it).
func sourceOf(kind webrtc.RTPCodecType, id, streamID string) Source {
	if kind == webrtc.RTPCodecTypeAudio {
		return SourceMicrophone
	}
	if rest, ok := strings.CutPrefix(id, streamID+"-"+kind.String()+"-"); ok && strings.HasPrefix(rest, ScreenTrackPrefix) {
		return SourceScreen
	}
	return SourceCamera
}

// Source says what the track carries: a microphone, a camera or a shared
// screen.
func (t *Track) Source() Source { return t.source }
