package room

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A room may have a meeting format (docs/formats.md): the ordered
// segments its meetings go through (welcome, readings, sharing,
// closing...). Each segment sets who may speak, whether chat is open, a
// text shown to everyone, and the share timer. Facilitators move from one
// segment to the next (State.MoveSegment); the rules change at once and
// are enforced here like every other rule.

// Speaking says who may speak during a segment.
type Speaking string

// Who may speak.
const (
	// SpeakFacilitators: only facilitators and co-facilitators; members
	// stay muted and may not raise a hand.
	SpeakFacilitators Speaking = "facilitators"
	// SpeakCalledOn: members raise a hand and unmute only while called on
	// (or asked to unmute by a facilitator).
	SpeakCalledOn Speaking = "called_on"
	// SpeakOpen: members unmute themselves.
	SpeakOpen Speaking = "open"
)

// Valid reports whether w is a known Speaking.
func (w Speaking) Valid() bool {
	return w == SpeakFacilitators || w == SpeakCalledOn || w == SpeakOpen
}

// Segment is one part of a meeting format.
type Segment struct {
	// Title names the segment, e.g. "Sharing" (1 to 80 characters).
	Title string `json:"title"`
	// Speaking is who may speak.
	Speaking Speaking `json:"speaking"`
	// ChatOpen: members may write in the chat (facilitators always may,
	// and may open or close it during the segment).
	ChatOpen bool `json:"chatOpen"`
	// Text is shown to everyone during the segment (a preamble, a
	// reading, the guidelines); at most 3000 characters.
	Text string `json:"text,omitempty"`
	// ShareSeconds, when not 0, starts a share timer of that length (10 to
	// 3600) for whoever a facilitator calls on; AutoMute mutes them when
	// it runs out.
	ShareSeconds int  `json:"shareSeconds,omitempty"`
	AutoMute     bool `json:"autoMute,omitempty"`
}

// Format is a room's meeting format: its segments, in order.
type Format struct {
	// Name is what operators call the format, e.g. "12-step meeting"
	// (at most 100 characters).
	Name     string    `json:"name,omitempty"`
	Segments []Segment `json:"segments"`
}

// Bounds of a format.
const (
	MaxSegments         = 24
	MaxSegmentTitle     = 80
	MaxSegmentText      = 3000
	MaxFormatText       = 12000 // all segments' texts together
	MaxFormatName       = 100
	MaxContributionsURL = 500
)

// Clean checks a format and returns it with its titles and texts trimmed,
// or an ErrBadCommand that says what is wrong.
func (f Format) Clean() (Format, error) {
	out := Format{Name: strings.TrimSpace(f.Name)}
	if err := checkText(out.Name, MaxFormatName, false); err != nil {
		return Format{}, badCommand("a format's name is at most 100 characters without control characters")
	}
	if len(f.Segments) == 0 || len(f.Segments) > MaxSegments {
		return Format{}, badCommand(fmt.Sprintf("a format has 1 to %d segments", MaxSegments))
	}
	total := 0
	for i, seg := range f.Segments {
		n := i + 1
		seg.Title, seg.Text = strings.TrimSpace(seg.Title), strings.TrimSpace(seg.Text)
		switch {
		case seg.Title == "" || checkText(seg.Title, MaxSegmentTitle, false) != nil:
			return Format{}, badCommand(fmt.Sprintf("segment %d: a title is 1 to %d characters without control characters", n, MaxSegmentTitle))
		case !seg.Speaking.Valid():
			return Format{}, badCommand(fmt.Sprintf(`segment %d: speaking must be "facilitators", "called_on" or "open"`, n))
		case checkText(seg.Text, MaxSegmentText, true) != nil:
			return Format{}, badCommand(fmt.Sprintf("segment %d: a text is at most %d characters without control characters", n, MaxSegmentText))
		case seg.ShareSeconds != 0 && (seg.ShareSeconds < 10 || seg.ShareSeconds > 3600):
			return Format{}, badCommand(fmt.Sprintf("segment %d: a share lasts 10 to 3600 seconds (0: no timer)", n))
		case seg.ShareSeconds == 0 && seg.AutoMute:
			return Format{}, badCommand(fmt.Sprintf("segment %d: autoMute needs shareSeconds", n))
		}
		total += utf8.RuneCountInString(seg.Text)
		out.Segments = append(out.Segments, seg)
	}
	if total > MaxFormatText {
		return Format{}, badCommand(fmt.Sprintf("a format's texts are at most %d characters together", MaxFormatText))
	}
	return out, nil
}

// checkText checks a text of at most max characters: valid UTF-8, no
// control or invisible format characters (newlines and tabs allowed when
// multiline).
func checkText(s string, max int, multiline bool) error {
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > max {
		return ErrBadCommand
	}
	for _, r := range s {
		if multiline && (r == '\n' || r == '\t') {
			continue
		}
		if unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != '\u200d') || r == '\u2028' || r == '\u2029' {
			return ErrBadCommand
		}
	}
	return nil
}

// formatEqual reports whether two formats say the same.
func formatEqual(a, b *Format) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Name == b.Name && slices.Equal(a.Segments, b.Segments)
}

// CleanContributionsURL checks a room's contributions link: empty (none)
// or an absolute http or https URL of at most 500 characters.
func CleanContributionsURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > MaxContributionsURL ||
		strings.IndexFunc(s, unicode.IsSpace) >= 0 || u.User != nil {
		return "", badCommand("the contributions link is an http or https address of at most 500 characters")
	}
	return s, nil
}

// FormatChange is the "format" of a SettingsUpdate: when Set, the room's
// format becomes Format (nil removes it). In JSON it is the format object
// (unknown fields refused), a template's id such as "12-step" (that
// template's format), or null to remove it; a SettingsUpdate without the
// key leaves the format as it is.
type FormatChange struct {
	Set    bool
	Format *Format
}

// UnmarshalJSON reads a format object or null.
func (c *FormatChange) UnmarshalJSON(b []byte) error {
	c.Set, c.Format = true, nil
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		return nil
	case len(b) > 0 && b[0] == '"':
		var id string
		if err := json.Unmarshal(b, &id); err != nil {
			return err
		}
		t, ok := TemplateByID(id)
		if !ok {
			return fmt.Errorf("format: no template %q (the templates: %s)", id, strings.Join(TemplateIDs(), ", "))
		}
		c.Format = &t.Format
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f Format
	if err := dec.Decode(&f); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	c.Format = &f
	return nil
}

// MarshalJSON writes the format, or null.
func (c FormatChange) MarshalJSON() ([]byte, error) { return json.Marshal(c.Format) }

// IsZero reports whether the change leaves the format as it is (for
// omitzero).
func (c FormatChange) IsZero() bool { return !c.Set }

// SegmentMove is where a facilitator moves the meeting: to the next or
// the previous segment of the room's format.
type SegmentMove string

// The moves.
const (
	SegmentNext     SegmentMove = "next"
	SegmentPrevious SegmentMove = "previous"
)

// segment returns the segment the meeting is in, nil when the room has no
// format.
func (s *State) segment() *Segment {
	f := s.Settings.Format
	if f == nil || len(f.Segments) == 0 {
		return nil
	}
	return &f.Segments[min(max(s.Segment, 0), len(f.Segments)-1)]
}

// CurrentSegment returns the segment the meeting is in; ok is false when
// the room has no format.
func (s *State) CurrentSegment() (seg Segment, ok bool) {
	if p := s.segment(); p != nil {
		return *p, true
	}
	return Segment{}, false
}

// speaking is who may speak now: the segment's rule, or, without a
// format, the room's mode.
func (s *State) speaking() Speaking {
	if seg := s.segment(); seg != nil {
		return seg.Speaking
	}
	if s.Settings.Mode == ModeModerated {
		return SpeakCalledOn
	}
	return SpeakOpen
}

// resetSegment puts a new meeting at the format's first segment, with its
// chat rule.
func (s *State) resetSegment() {
	s.Segment, s.ChatOpen = 0, true
	if seg := s.segment(); seg != nil {
		s.ChatOpen = seg.ChatOpen
	}
}

// clampSegment keeps the segment within a format that changed.
func (s *State) clampSegment() {
	if f := s.Settings.Format; f == nil {
		s.Segment = 0
	} else {
		s.Segment = min(max(s.Segment, 0), len(f.Segments)-1)
	}
}

// MoveSegment moves the meeting to the next or previous segment of the
// room's format, at time now (Unix milliseconds). Only facilitators may;
// the new segment's rules apply at once (see enterSegment).
func (s *State) MoveSegment(a Actor, to SegmentMove, _ int64) ([]Event, error) {
	actor, err := s.admittedActor(a, "")
	if err != nil {
		return nil, err
	}
	if !actor.Role.Moderates() {
		return nil, notAllowed("only a facilitator can move the meeting to another segment")
	}
	f := s.Settings.Format
	if f == nil {
		return nil, badCommand("this room has no meeting format")
	}
	if s.Suspended {
		return nil, notAllowed("resume activity before moving to another segment")
	}
	i := s.Segment
	switch to {
	case SegmentNext:
		i++
	case SegmentPrevious:
		i--
	default:
		return nil, badCommand(`a segment move is "next" or "previous"`)
	}
	switch {
	case i >= len(f.Segments):
		return nil, badCommand("this is the last segment")
	case i < 0:
		return nil, badCommand("this is the first segment")
	}
	return s.enterSegment(i), nil
}

// enterSegment starts segment i: the floor and the share timer are
// cleared; chat opens or closes as the segment says; where only called-on
// people or facilitators speak, every member is muted (as a facilitator
// mutes); where anyone may speak, members a facilitator had muted may
// unmute themselves again (they stay muted until they do). The hand queue
// stays.
func (s *State) enterSegment(i int) []Event {
	seg := s.Settings.Format.Segments[i]
	var evs []Event
	for _, p := range s.sortedParticipants() {
		if p.Role.Moderates() || p.Removed || p.Denied {
			continue
		}
		if seg.Speaking != SpeakOpen {
			evs = append(evs, s.forceMute(p)...)
			continue
		}
		if p.MutedBy == MutedByFacilitator || p.AskedToUnmute {
			p.AskedToUnmute = false
			if p.Muted {
				p.MutedBy = MutedBySelf
			}
			if p.Present {
				evs = append(evs, s.participantEvent(EventUpdated, p))
			}
		}
	}
	return append(evs, s.setRoom(func() {
		s.Segment, s.ChatOpen, s.Speaker, s.Timer = i, seg.ChatOpen, ParticipantID{}, nil
	})...)
}

// segmentRefuses returns why member p may not take the floor (be called
// on, asked to unmute, raise a hand) in the current segment, or nil.
func (s *State) segmentRefuses(p *Participant, what string) error {
	seg := s.segment()
	if seg == nil || seg.Speaking != SpeakFacilitators || p.Role.Moderates() {
		return nil
	}
	return notAllowed(fmt.Sprintf("only facilitators speak during %q; %s", seg.Title, what))
}
