package media

import (
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// AudioLevelURI names the RTP header extension that carries an audio
// packet's loudness (RFC 6464, "ssrc-audio-level"). It is negotiated on
// every audio track: publishers send it, the SFU reads it (it never
// decodes audio) and passes it on to subscribers and relays.
const AudioLevelURI = sdp.AudioLevelURI

// SilentLevel is the level of silence in RFC 6464's scale, where a
// packet's level is its loudness in -dBov: 0 is the loudest a signal can
// be, 127 is -127 dBov or quieter.
const SilentLevel = 127

// AudioLevel is what the packets an audio track forwarded since the last
// look said of its loudness.
type AudioLevel struct {
	// Packets is how many of them carried a level.
	Packets int
	// Level is their mean level in -dBov (0 loudest, 127 silence);
	// SilentLevel when Packets is 0.
	Level int
}

// TakeAudioLevel returns the level of the audio the track forwarded since
// the previous call, and starts over. Packets dropped while the track is
// not forwarded are not counted: a muted microphone says nothing. Video
// tracks, and audio from publishers that do not send the extension, have
// no level.
func (t *Track) TakeAudioLevel() AudioLevel {
	v := t.levels.Swap(0)
	n, sum := int(v>>32), int(v&0xffffffff)
	if n == 0 {
		return AudioLevel{Level: SilentLevel}
	}
	return AudioLevel{Packets: n, Level: (sum + n/2) / n}
}

// addLevel counts one packet's level: the packet count in the upper 32
// bits of levels, the sum of levels in the lower. The owner of the
// track's meeting takes them several times a second; only a track nobody
// looks at for 33 million packets (a week of audio) could spill the sum
// into the count.
func (t *Track) addLevel(level uint8) {
	t.levels.Add(1<<32 | uint64(level&0x7f))
}

// readLevel finds the audio level extension (id) in a parsed packet,
// in place: it returns the extension's byte (voice activity bit and
// level) and whether the packet has it.
func readLevel(p *rtp.Packet, id uint8) (byte, bool) {
	if id == 0 || !p.Extension {
		return 0, false
	}
	e := p.GetExtension(id)
	if len(e) == 0 {
		return 0, false
	}
	return e[0], true
}
