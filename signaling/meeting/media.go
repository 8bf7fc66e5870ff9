package meeting

import (
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
)

// This file holds the meeting's media on this instance: which peer gets
// which track, and the gates that keep a muted participant's audio and a
// stopped camera's video from everyone. All of it runs on the owner.

// Attach adds a peer that is no participant's (a relay between
// instances) to the meeting; Detach removes it.
func (m *Meeting) Attach(p *media.Peer) { m.do(func() { m.attach(p, room.ParticipantID{}) }) }

// Detach removes a peer from the meeting.
func (m *Meeting) Detach(p *media.Peer) { m.do(func() { m.detach(p) }) }

// Publish adds a track one of the meeting's peers started publishing (the
// peer's OnTrack): it is gated, then forwarded to every peer it is for.
// The track leaves the meeting when it ends.
func (m *Meeting) Publish(t *media.Track) { m.do(func() { m.publish(t) }) }

func (m *Meeting) attach(p *media.Peer, who room.ParticipantID) {
	m.peers[p] = who
	for t := range m.tracks {
		if forwards(t, p) {
			m.subscribe(p, t)
		}
	}
}

func (m *Meeting) detach(p *media.Peer) {
	delete(m.peers, p)
	for t := range m.tracks {
		if t.Publisher() == p {
			delete(m.tracks, t)
		}
	}
}

func (m *Meeting) publish(t *media.Track) {
	if _, ok := m.peers[t.Publisher()]; !ok {
		return // its peer left the meeting meanwhile
	}
	m.tracks[t] = struct{}{}
	m.markSpeaking()
	m.gate(t) // before anyone subscribes
	for p := range m.peers {
		if forwards(t, p) {
			m.subscribe(p, t)
		}
	}
	m.planListening()
	go func() {
		<-t.Done()
		m.do(func() { delete(m.tracks, t) })
	}()
}

func (m *Meeting) subscribe(p *media.Peer, t *media.Track) {
	if err := p.Subscribe(t); err != nil && err != media.ErrClosed {
		m.log.Warn("subscribe", zap.Error(err))
	}
}

// forwards reports whether track t goes to peer p: every participant gets
// every other participant's tracks; a relay to another instance gets only
// the tracks of this instance's own participants; a relay from another
// instance gets nothing.
func forwards(t *media.Track, p *media.Peer) bool {
	switch {
	case t.Publisher() == p || p.Kind() == media.RelayIn:
		return false
	case p.Kind() == media.RelayOut:
		return t.Publisher().Kind() == media.Client
	}
	return true
}

// gate turns forwarding of a local participant's track on or off by what
// the room's state says of them. Relayed tracks are gated by the instance
// of their publisher.
func (m *Meeting) gate(t *media.Track) {
	if t.Publisher().Kind() != media.Client {
		return
	}
	p, ok := m.people[m.peers[t.Publisher()]]
	if t.Source() == media.SourceScreen {
		t.SetForwarding(ok && OpenScreen(p))
		return
	}
	t.SetForwarding(ok && Open(t.Kind(), p))
}

// OpenScreen reports whether the gate of a participant's screen track is
// open: while they share their screen (the room's state lets only those
// allowed share: room.State.ShareScreen), admitted and present.
func OpenScreen(p room.Participant) bool {
	return p.Present && p.Status == room.StatusAdmitted && p.Screen
}

// Open reports whether the gate of a participant's track of the given
// kind is open: audio unless they are muted, video while their camera is
// on and not blocked by a suspension; nothing while they are not admitted
// and present. It is the one place where the room's state becomes
// forwarding.
func Open(kind webrtc.RTPCodecType, p room.Participant) bool {
	if !p.Present || p.Status != room.StatusAdmitted {
		return false
	}
	if kind == webrtc.RTPCodecTypeAudio {
		return !p.Muted
	}
	return p.Camera && !p.CameraBlocked
}
