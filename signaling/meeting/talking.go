package meeting

import (
	"bytes"
	"slices"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/meeting/speakers"
)

// This file holds the active speaker: while the meeting has audio tracks
// here, every speakers.Frame the owner takes the level of each of them
// (local and relayed: media reads it from the packets' audio level
// extension, never decoding audio), feeds a speakers.Detector, and tells
// the seats who is talking when that changed, at most once per
// speakersEvery. Someone whose audio gate is closed (muted, not admitted,
// gone) is forgotten by the detector and never in the set.

// speakersEvery is the shortest time between two sets sent to the seats.
const speakersEvery = 250 * time.Millisecond

// HearSpeakers has the meeting call f with who is talking (participant
// ids in ascending order, never a muted one) each time that changes, from
// the owner's goroutine: f must only queue, and must not change the
// slice. The seat gets the current set when its peer is attached (the
// participant is admitted), then every change while it has one.
func (s *Seat) HearSpeakers(f func(talking []room.ParticipantID)) {
	s.m.do(func() { s.speak = f })
}

// SpeakerChanges is how many times a meeting on this instance sent its
// seats a new set of people talking.
func (ms *Meetings) SpeakerChanges() uint64 { return ms.speakerChanges.Load() }

// planListening runs the level ticker while there is audio to listen to,
// or a set of people talking still to be taken back.
func (m *Meeting) planListening() {
	need := len(m.talking) > 0
	for t := range m.tracks {
		if t.Kind() == webrtc.RTPCodecTypeAudio {
			need = true
			break
		}
	}
	switch {
	case need && m.listen == nil:
		m.listen = time.NewTicker(speakers.Frame)
	case !need && m.listen != nil:
		m.listen.Stop()
		m.listen = nil
	}
}

// listening is the level ticker's channel, nil while it is stopped.
func (m *Meeting) listening() <-chan time.Time {
	if m.listen == nil {
		return nil
	}
	return m.listen.C
}

// listenFrame feeds one frame of every audio track's level to the
// detector, then announces who is talking.
func (m *Meeting) listenFrame() {
	clear(m.heard)
	for t := range m.tracks {
		if t.Kind() != webrtc.RTPCodecTypeAudio {
			continue
		}
		l := t.TakeAudioLevel()
		id, ok := m.speakerOf(t)
		if !ok {
			continue
		}
		// Two audio tracks of one person (a microphone and a shared
		// screen's sound): the louder counts.
		if h, seen := m.heard[id]; !seen || (l.Packets > 0 && (h.Packets == 0 || l.Level < h.Level)) {
			m.heard[id] = speakers.Level{Packets: l.Packets, Level: l.Level}
		}
	}
	for id, l := range m.heard {
		if m.mayTalk(id) {
			m.talk.Observe(id, l)
		}
	}
	m.talk.Each(func(id room.ParticipantID, _ bool) {
		if _, ok := m.heard[id]; !ok || !m.mayTalk(id) {
			m.talk.Remove(id)
		}
	})
	m.announce()
	m.planListening()
}

// speakerOf is the participant whose audio t is: a local participant's
// peer, or the id a relayed track carries from the instance of origin.
func (m *Meeting) speakerOf(t *media.Track) (room.ParticipantID, bool) {
	if t.Publisher().Kind() == media.Client {
		id, ok := m.peers[t.Publisher()]
		return id, ok && id != (room.ParticipantID{})
	}
	id, err := room.ParseParticipantID(t.StreamID())
	return id, err == nil
}

// mayTalk reports whether id's audio gate is open by the room's state:
// present, admitted and not muted.
func (m *Meeting) mayTalk(id room.ParticipantID) bool {
	p, ok := m.people[id]
	return ok && Open(webrtc.RTPCodecTypeAudio, p)
}

// announce sends the seats who is talking, if that changed and the last
// set went out long enough ago (else a later frame sends it). Someone
// muted since the last frame is left out at once.
func (m *Meeting) announce() {
	var set []room.ParticipantID
	m.talk.Each(func(id room.ParticipantID, talking bool) {
		if talking && m.mayTalk(id) {
			set = append(set, id)
		}
	})
	if !m.pacer.Offer(set, m.ms.p.Now()) {
		return
	}
	slices.SortFunc(set, func(a, b room.ParticipantID) int { return bytes.Compare(a[:], b[:]) })
	if set == nil {
		set = []room.ParticipantID{}
	}
	m.talking = set
	m.markSpeaking()
	m.ms.speakerChanges.Add(1)
	for s := range m.seats {
		if s.speak != nil && s.peer != nil {
			s.speak(set)
		}
	}
}

// markSpeaking tells media whose tracks are a talking person's: a
// subscriber short of bandwidth serves their video first after audio.
func (m *Meeting) markSpeaking() {
	for t := range m.tracks {
		id, ok := m.speakerOf(t)
		_, talking := slices.BinarySearchFunc(m.talking, id, func(a, b room.ParticipantID) int { return bytes.Compare(a[:], b[:]) })
		t.SetSpeaking(ok && talking)
	}
}
