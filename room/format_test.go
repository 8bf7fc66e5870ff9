package room_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/room"
)

// testFormat has one segment of each kind after an open start:
//
//	0 Arrival     open, chat open
//	1 Readings    facilitators only, chat closed
//	2 Sharing     called on, chat closed, 60 s shares with auto-mute
//	3 Discussion  open, chat open
func testFormat() room.Format {
	return room.Format{Name: "Test", Segments: []room.Segment{
		{Title: "Arrival", Speaking: room.SpeakOpen, ChatOpen: true},
		{Title: "Readings", Speaking: room.SpeakFacilitators, Text: "Read."},
		{Title: "Sharing", Speaking: room.SpeakCalledOn, ShareSeconds: 60, AutoMute: true},
		{Title: "Discussion", Speaking: room.SpeakOpen, ChatOpen: true},
	}}
}

// formatCast is the cast (moderation_test.go) in a room with testFormat,
// at segment 0 (Bob called on, Mia's hand up).
func formatCast(t *testing.T) *cast {
	t.Helper()
	c := newCast(t)
	f := testFormat()
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{Format: room.FormatChange{Set: true, Format: &f}}})
	return c
}

func (c *cast) move(t testing.TB, name string, to room.SegmentMove) ([]room.Event, error) {
	t.Helper()
	return run(t, c.s, func(s *room.State) ([]room.Event, error) { return s.MoveSegment(c.act(name), to, t0) })
}

// moveTo brings the meeting to segment i with "next" presses from 0.
func (c *cast) moveTo(t testing.TB, i int) {
	t.Helper()
	for c.s.Segment < i {
		if _, err := c.move(t, "Fran", room.SegmentNext); err != nil {
			t.Fatalf("next: %v", err)
		}
	}
}

func TestFormatClean(t *testing.T) {
	seg := func(change func(*room.Segment)) room.Format {
		s := room.Segment{Title: " Sharing ", Speaking: room.SpeakCalledOn, Text: " Raise your hand.\n\nNo cross-talk. "}
		change(&s)
		return room.Format{Segments: []room.Segment{s}}
	}
	many := room.Format{}
	for range room.MaxSegments + 1 {
		many.Segments = append(many.Segments, room.Segment{Title: "S", Speaking: room.SpeakOpen})
	}
	long := room.Format{}
	for range 5 {
		long.Segments = append(long.Segments, room.Segment{Title: "S", Speaking: room.SpeakOpen, Text: strings.Repeat("x", 2500)})
	}
	tests := []struct {
		name    string
		f       room.Format
		wantErr string
	}{
		{"fine", seg(func(*room.Segment) {}), ""},
		{"no segments", room.Format{}, "1 to 24 segments"},
		{"too many segments", many, "1 to 24 segments"},
		{"no title", seg(func(s *room.Segment) { s.Title = "  " }), "segment 1: a title"},
		{"long title", seg(func(s *room.Segment) { s.Title = strings.Repeat("t", 81) }), "segment 1: a title"},
		{"control in title", seg(func(s *room.Segment) { s.Title = "a\nb" }), "segment 1: a title"},
		{"bidi in text", seg(func(s *room.Segment) { s.Text = "a\u202eb" }), "segment 1: a text"},
		{"unknown speaking", seg(func(s *room.Segment) { s.Speaking = "anyone" }), `speaking must be "facilitators", "called_on" or "open"`},
		{"empty speaking", seg(func(s *room.Segment) { s.Speaking = "" }), "speaking must be"},
		{"long text", seg(func(s *room.Segment) { s.Text = strings.Repeat("x", 3001) }), "segment 1: a text is at most 3000"},
		{"texts too long together", long, "at most 12000 characters together"},
		{"share too short", seg(func(s *room.Segment) { s.ShareSeconds = 9 }), "10 to 3600 seconds"},
		{"share too long", seg(func(s *room.Segment) { s.ShareSeconds = 3601 }), "10 to 3600 seconds"},
		{"auto-mute without a timer", seg(func(s *room.Segment) { s.AutoMute = true }), "autoMute needs shareSeconds"},
		{"long name", room.Format{Name: strings.Repeat("n", 101), Segments: seg(func(*room.Segment) {}).Segments}, "a format's name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.f.Clean()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Clean: %v", err)
				}
				if s := got.Segments[0]; s.Title != "Sharing" || s.Text != "Raise your hand.\n\nNo cross-talk." {
					t.Errorf("not trimmed: %+v", s)
				}
				return
			}
			if !errors.Is(err, room.ErrBadCommand) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want ErrBadCommand saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestTemplates(t *testing.T) {
	ids := map[string]bool{}
	for _, tpl := range room.Templates() {
		ids[tpl.ID] = true
		got, err := tpl.Format.Clean()
		if err != nil {
			t.Errorf("%s: %v", tpl.ID, err)
			continue
		}
		b1, _ := json.Marshal(got)
		b2, _ := json.Marshal(tpl.Format)
		if string(b1) != string(b2) {
			t.Errorf("%s is not clean as written", tpl.ID)
		}
		if _, ok := room.TemplateByID(tpl.ID); !ok {
			t.Errorf("TemplateByID(%q) not found", tpl.ID)
		}
	}
	if !ids["12-step"] || !ids["smart"] || !ids["therapy-group"] || len(ids) != 3 {
		t.Errorf("templates = %v", ids)
	}
	// The 12-step template: no cross-talk (chat closed, called on), 3-5
	// minute shares with auto-mute.
	tw, _ := room.TemplateByID("12-step")
	var sharing *room.Segment
	for i := range tw.Format.Segments {
		if tw.Format.Segments[i].Title == "Sharing" {
			sharing = &tw.Format.Segments[i]
		}
	}
	if sharing == nil || sharing.Speaking != room.SpeakCalledOn || sharing.ChatOpen || !sharing.AutoMute ||
		sharing.ShareSeconds < 180 || sharing.ShareSeconds > 300 {
		t.Errorf("12-step sharing = %+v", sharing)
	}
	// SMART: a check-in round, then open discussion.
	sm, _ := room.TemplateByID("smart")
	if s := sm.Format.Segments; s[1].Speaking != room.SpeakCalledOn || s[2].Speaking != room.SpeakOpen {
		t.Errorf("smart = %+v", s)
	}
}

func TestContributionsURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                  "",
		" https://example.org/give ":        "https://example.org/give",
		"http://example.org/contribute?a=1": "http://example.org/contribute?a=1",
	} {
		if got, err := room.CleanContributionsURL(in); err != nil || got != want {
			t.Errorf("CleanContributionsURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "example.org", "ftp://example.org/", "https://", "https://a b.org/",
		"https://user:pw@example.org/", "https://example.org/" + strings.Repeat("x", 500)} {
		if _, err := room.CleanContributionsURL(bad); !errors.Is(err, room.ErrBadCommand) {
			t.Errorf("CleanContributionsURL(%q): err = %v", bad, err)
		}
	}
}

func TestFormatChangeJSON(t *testing.T) {
	tests := []struct {
		in      string
		set     bool
		segs    int
		wantErr bool
	}{
		{in: `{}`},
		{in: `{"format":null}`, set: true},
		{in: `{"format":{"segments":[{"title":"A","speaking":"open"}]}}`, set: true, segs: 1},
		{in: `{"format":"12-step"}`, set: true, segs: 6},
		{in: `{"format":"13-step"}`, wantErr: true},
		{in: `{"format":{"segments":[{"title":"A","speaking":"open","chat":true}]}}`, wantErr: true},
		{in: `{"format":7}`, wantErr: true},
	}
	for _, tt := range tests {
		var u room.SettingsUpdate
		err := json.Unmarshal([]byte(tt.in), &u)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: err = %v", tt.in, err)
			continue
		}
		if err != nil {
			continue
		}
		if u.Format.Set != tt.set || (u.Format.Format != nil) != (tt.segs > 0) ||
			(u.Format.Format != nil && len(u.Format.Format.Segments) != tt.segs) {
			t.Errorf("%s: %+v", tt.in, u.Format)
		}
		out, _ := json.Marshal(u)
		if strings.Contains(string(out), "format") != tt.set {
			t.Errorf("%s marshals to %s", tt.in, out)
		}
	}
	// Through Apply: set, keep, remove; a bad format changes nothing.
	f := testFormat()
	s, err := room.DefaultSettings().Apply(room.SettingsUpdate{Format: room.FormatChange{Set: true, Format: &f},
		ContributionsURL: ptr("https://example.org/give")})
	if err != nil || s.Format == nil || len(s.Format.Segments) != 4 || s.ContributionsURL != "https://example.org/give" {
		t.Fatalf("Apply: %+v, %v", s, err)
	}
	if kept, _ := s.Apply(room.SettingsUpdate{}); kept.Format == nil {
		t.Error("an update without format removed it")
	}
	if gone, _ := s.Apply(room.SettingsUpdate{Format: room.FormatChange{Set: true}, ContributionsURL: ptr("")}); gone.Format != nil || gone.ContributionsURL != "" {
		t.Errorf("remove: %+v", gone)
	}
	bad := room.Format{Segments: []room.Segment{{Title: "A", Speaking: "loud"}}}
	if same, err := s.Apply(room.SettingsUpdate{Format: room.FormatChange{Set: true, Format: &bad}}); err == nil || same.Format != s.Format {
		t.Errorf("bad format: %v", err)
	}
}

// TestSegmentTransitions moves through every segment of testFormat, both
// ways, and checks each segment's entry: chat as the segment says, floor
// and timer cleared, members muted where they may not simply speak,
// facilitators untouched, hands kept; and the moves refused at either end,
// by a member, without a format, while suspended.
func TestSegmentTransitions(t *testing.T) {
	type step struct {
		to      room.SegmentMove
		want    int // segment after the move; -1: refused
		wantErr error
	}
	steps := []step{
		{room.SegmentPrevious, -1, room.ErrBadCommand}, // at the first segment
		{room.SegmentNext, 1, nil},
		{room.SegmentNext, 2, nil},
		{room.SegmentPrevious, 1, nil},
		{room.SegmentNext, 2, nil},
		{room.SegmentNext, 3, nil},
		{room.SegmentNext, -1, room.ErrBadCommand}, // at the last
		{room.SegmentPrevious, 2, nil},
		{room.SegmentPrevious, 1, nil},
		{room.SegmentPrevious, 0, nil},
		{"sideways", -1, room.ErrBadCommand},
	}
	c := formatCast(t)
	f := testFormat()
	for i, st := range steps {
		before := c.s.Segment
		// Bob has the floor (with a running timer in Sharing) before each
		// move.
		if c.s.Settings.Format.Segments[before].Speaking != room.SpeakFacilitators {
			c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		}
		evs, err := c.move(t, "Fran", st.to)
		if st.want < 0 {
			if !errors.Is(err, st.wantErr) || c.s.Segment != before {
				t.Fatalf("step %d (%s from %d): err = %v, segment %d", i, st.to, before, err, c.s.Segment)
			}
			continue
		}
		if err != nil || c.s.Segment != st.want {
			t.Fatalf("step %d (%s from %d): err = %v, segment %d, want %d", i, st.to, before, err, c.s.Segment, st.want)
		}
		seg := f.Segments[st.want]
		if len(evs) == 0 || evs[len(evs)-1].Kind != room.EventRoom || evs[len(evs)-1].Info.Segment != st.want {
			t.Errorf("step %d: the last event is not the room with the segment: %v", i, describe(evs))
		}
		if c.s.ChatOpen != seg.ChatOpen || c.s.Speaker != (room.ParticipantID{}) || c.s.Timer != nil {
			t.Errorf("step %d into %s: chat %v, speaker %v, timer %v", i, seg.Title, c.s.ChatOpen, c.s.Speaker, c.s.Timer)
		}
		if len(c.s.Hands) != 1 || c.s.Hands[0] != c.id("Mia") {
			t.Errorf("step %d: hands = %v", i, c.s.Hands)
		}
		for _, name := range allMembers {
			p := c.p(name)
			if seg.Speaking != room.SpeakOpen && (!p.Muted || p.MutedBy != room.MutedByFacilitator) {
				t.Errorf("step %d into %s: %s not muted: %+v", i, seg.Title, name, p)
			}
			if seg.Speaking == room.SpeakOpen && p.MutedBy == room.MutedByFacilitator {
				t.Errorf("step %d into %s: %s still muted by the facilitator", i, seg.Title, name)
			}
		}
		for _, name := range []string{"Fran", "Cora"} {
			if c.p(name).Muted {
				t.Errorf("step %d: facilitator %s muted", i, name)
			}
		}
	}

	t.Run("who may move", func(t *testing.T) {
		for name, wantErr := range map[string]error{
			"Fran": nil, "Cora": nil, "Mia": room.ErrNotAllowed, "Bob": room.ErrNotAllowed,
			"Will": room.ErrNotAllowed, "Abe": room.ErrNotPresent,
		} {
			c := formatCast(t)
			if _, err := c.move(t, name, room.SegmentNext); !errors.Is(err, wantErr) {
				t.Errorf("%s: err = %v, want %v", name, err, wantErr)
			}
		}
		// Stan's stale connection.
		c := formatCast(t)
		if _, err := run(t, c.s, func(s *room.State) ([]room.Event, error) {
			return s.MoveSegment(room.Actor{ID: c.id("Stan"), Conn: 1}, room.SegmentNext, t0)
		}); !errors.Is(err, room.ErrNotPresent) {
			t.Errorf("stale connection: %v", err)
		}
	})
	t.Run("no format", func(t *testing.T) {
		c := newCast(t)
		if _, err := c.move(t, "Fran", room.SegmentNext); !errors.Is(err, room.ErrBadCommand) ||
			!strings.Contains(err.Error(), "no meeting format") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("suspended", func(t *testing.T) {
		c := formatCast(t)
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSuspend})
		if _, err := c.move(t, "Fran", room.SegmentNext); !errors.Is(err, room.ErrNotAllowed) {
			t.Errorf("err = %v", err)
		}
	})
}

// TestSegmentRules checks, in each kind of segment, what each role may and
// may not do: unmute, chat, raise a hand, be called on, be asked to
// unmute, move the meeting. Members in the list: Mia (an ordinary member,
// hand up), Bob (called on in the segment, when he may be), Stan (asked
// to unmute, when he may be), Will (waiting); Fran facilitator, Cora
// co-facilitator.
func TestSegmentRules(t *testing.T) {
	unmute := func(t testing.TB, c *cast, name string) error {
		if p := c.p(name); !p.Muted {
			p.Muted, p.MutedBy = true, room.MutedBySelf // start muted
		}
		_, err := c.setSelf(t, name, room.SelfUpdate{Muted: ptr(false)})
		return err
	}
	chat := func(t testing.TB, c *cast, name string) error {
		_, err := run(t, c.s, func(s *room.State) ([]room.Event, error) {
			return s.SendChat(c.act(name), room.ChatToRoom, "hi", t0)
		})
		return err
	}
	raise := func(t testing.TB, c *cast, name string) error {
		c.s.Hands = nil
		_, err := run(t, c.s, func(s *room.State) ([]room.Event, error) { return s.RaiseHand(c.act(name)) })
		return err
	}
	calledOn := func(t testing.TB, c *cast, name string) error {
		_, err := c.mod(t, "Fran", target(room.ActLetSpeak, c, name))
		return err
	}
	asked := func(t testing.TB, c *cast, name string) error {
		if p := c.p(name); !p.Muted {
			p.Muted, p.MutedBy = true, room.MutedBySelf
		}
		_, err := c.mod(t, "Fran", target(room.ActAskUnmute, c, name))
		return err
	}
	moves := func(t testing.TB, c *cast, name string) error {
		_, err := c.move(t, name, room.SegmentPrevious)
		return err
	}
	actions := map[string]func(testing.TB, *cast, string) error{
		"unmute": unmute, "chat": chat, "raise hand": raise, "be called on": calledOn,
		"be asked to unmute": asked, "move": moves,
	}
	type rule struct {
		segment int
		who     string
		action  string
		setup   string // "called on" or "asked": the member's state first
		allowed bool
	}
	var rules []rule
	add := func(seg int, who, setup string, allowed map[string]bool) {
		for a, ok := range allowed {
			rules = append(rules, rule{seg, who, a, setup, ok})
		}
	}
	all := func(ok bool) map[string]bool {
		m := map[string]bool{}
		for a := range actions {
			m[a] = ok
		}
		return m
	}
	for _, seg := range []int{1, 2, 3} {
		// Facilitators may do everything, everywhere (being called on
		// and asked to unmute included).
		for _, who := range []string{"Fran", "Cora"} {
			m := all(true)
			if seg == 0 {
				m["move"] = false
			}
			if who == "Fran" {
				delete(m, "be asked to unmute") // Fran asks
			}
			add(seg, who, "", m)
		}
		// Waiting people: nothing but unmuting where anyone may.
		add(seg, "Will", "", map[string]bool{"unmute": seg == 3, "chat": false, "raise hand": false, "move": false})
	}
	// Readings: facilitators only.
	add(1, "Mia", "", all(false))
	// Sharing: raise a hand, be called on, then unmute; no chat.
	add(2, "Mia", "", map[string]bool{"unmute": false, "chat": false, "raise hand": true, "be called on": true,
		"be asked to unmute": true, "move": false})
	add(2, "Bob", "called on", map[string]bool{"unmute": true, "chat": false, "raise hand": true, "move": false})
	add(2, "Stan", "asked", map[string]bool{"unmute": true, "chat": false, "move": false})
	// Discussion: open.
	add(3, "Mia", "", map[string]bool{"unmute": true, "chat": true, "raise hand": true, "be called on": true,
		"be asked to unmute": true, "move": false})
	add(3, "Bob", "called on", map[string]bool{"unmute": true, "chat": true, "move": false})

	for _, r := range rules {
		t.Run(ruleName(r.segment, r.who, r.setup, r.action), func(t *testing.T) {
			c := formatCast(t)
			c.moveTo(t, r.segment)
			switch r.setup {
			case "called on":
				c.mustMod(t, "Fran", target(room.ActLetSpeak, c, r.who))
			case "asked":
				c.mustMod(t, "Fran", target(room.ActAskUnmute, c, r.who))
			}
			err := actions[r.action](t, c, r.who)
			switch {
			case r.allowed && err != nil:
				t.Errorf("refused: %v", err)
			case !r.allowed && err == nil:
				t.Errorf("allowed")
			case !r.allowed && !errors.Is(err, room.ErrNotAllowed) && !errors.Is(err, room.ErrChatClosed) &&
				!errors.Is(err, room.ErrBadCommand):
				t.Errorf("refused with %v", err)
			}
			if !r.allowed && r.segment == 1 && r.who == "Mia" && r.action == "unmute" &&
				!strings.Contains(err.Error(), `only facilitators speak during "Readings"`) {
				t.Errorf("message = %q", err)
			}
		})
	}
}

func ruleName(seg int, who, setup, action string) string {
	name := []string{"arrival", "readings", "sharing", "discussion"}[seg] + "/" + who
	if setup != "" {
		name += "(" + setup + ")"
	}
	return name + "/" + action
}

// TestSegmentShare: in the sharing segment, calling on someone starts
// their share timer with the segment's length and auto-mute; when it runs
// out they are muted and the floor is free.
func TestSegmentShare(t *testing.T) {
	for _, how := range []string{"next speaker", "let speak"} {
		t.Run(how, func(t *testing.T) {
			c := formatCast(t)
			c.moveTo(t, 2)
			if how == "next speaker" {
				c.mustMod(t, "Fran", room.ModCommand{Action: room.ActNextSpeaker}) // Mia's hand
			} else {
				c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Mia"))
			}
			tm := c.s.Timer
			if c.s.Speaker != c.id("Mia") || tm == nil || tm.Seconds != 60 || !tm.AutoMute || tm.EndsAt != t0+60_000 ||
				len(c.s.Hands) != 0 {
				t.Fatalf("speaker %v, timer %+v, hands %v", c.s.Speaker, tm, c.s.Hands)
			}
			if _, err := c.setSelf(t, "Mia", room.SelfUpdate{Muted: ptr(false)}); err != nil {
				t.Fatalf("Mia unmutes: %v", err)
			}
			evs := mustRun(t, c.s, func(s *room.State) ([]room.Event, error) { return s.Tick(t0 + 60_000), nil })
			wantEvents(t, evs, "timer_ended:Mia", "updated:Mia", "room")
			if p := c.p("Mia"); !p.Muted || c.s.Speaker != (room.ParticipantID{}) {
				t.Errorf("after the share: %+v, speaker %v", p, c.s.Speaker)
			}
			if _, err := c.setSelf(t, "Mia", room.SelfUpdate{Muted: ptr(false)}); !errors.Is(err, room.ErrNotAllowed) {
				t.Errorf("Mia unmutes after her share: %v", err)
			}
		})
	}
	t.Run("start_timer uses the segment's length", func(t *testing.T) {
		c := formatCast(t)
		c.moveTo(t, 2)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		c.mustMod(t, "Fran", room.ModCommand{Action: room.ActStartTimer})
		if tm := c.s.Timer; tm == nil || tm.Seconds != 60 || !tm.AutoMute {
			t.Errorf("timer = %+v", tm)
		}
	})
	t.Run("no timer where the segment has none", func(t *testing.T) {
		c := formatCast(t)
		c.moveTo(t, 3)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		if c.s.Timer != nil {
			t.Errorf("timer = %+v", c.s.Timer)
		}
	})
	t.Run("end of turn mutes in a called-on segment", func(t *testing.T) {
		c := formatCast(t)
		c.moveTo(t, 2)
		c.mustMod(t, "Fran", target(room.ActLetSpeak, c, "Bob"))
		if _, err := c.setSelf(t, "Bob", room.SelfUpdate{Muted: ptr(false)}); err != nil {
			t.Fatal(err)
		}
		c.mustMod(t, "Fran", target(room.ActEndTurn, c, "Bob"))
		if !c.p("Bob").Muted {
			t.Error("Bob still unmuted")
		}
	})
}

// TestSegmentJoinsAndMeetings: newcomers join muted where they may not
// simply speak; a demoted co-facilitator is muted in a facilitators-only
// segment; a new meeting starts at the first segment with its chat rule;
// a changed format keeps the segment within it.
func TestSegmentJoinsAndMeetings(t *testing.T) {
	c := formatCast(t)
	c.moveTo(t, 1)
	c.s.Settings.MuteOnEntry = false
	j := c.join(t, "Nell", "")
	if !j.Self.Muted {
		t.Errorf("a newcomer during readings is not muted: %+v", j.Self)
	}
	c.mustMod(t, "Fran", target(room.ActDemote, c, "Cora"))
	if p := c.p("Cora"); !p.Muted || p.MutedBy != room.MutedByFacilitator {
		t.Errorf("demoted during readings: %+v", p)
	}
	c.moveTo(t, 3)
	if j := c.join(t, "Olga", ""); j.Self.Muted {
		t.Errorf("a newcomer during discussion is muted: %+v", j.Self)
	}

	// A shorter format: the meeting stays within it.
	short := room.Format{Segments: testFormat().Segments[:2]}
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{Format: room.FormatChange{Set: true, Format: &short}}})
	if c.s.Segment != 1 {
		t.Errorf("segment = %d after the format shrank", c.s.Segment)
	}
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings, Settings: &room.SettingsUpdate{Format: room.FormatChange{Set: true}}})
	if c.s.Segment != 0 || c.s.Settings.Format != nil {
		t.Errorf("without a format: segment %d", c.s.Segment)
	}

	// Ending the meeting goes back to the first segment and its chat rule.
	c = formatCast(t)
	first := testFormat()
	first.Segments[0].ChatOpen = false
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActSettings,
		Settings: &room.SettingsUpdate{Format: room.FormatChange{Set: true, Format: &first}}})
	c.moveTo(t, 3)
	c.mustMod(t, "Fran", room.ModCommand{Action: room.ActEndMeeting})
	if c.s.Segment != 0 || c.s.ChatOpen {
		t.Errorf("after the end: segment %d, chat %v", c.s.Segment, c.s.ChatOpen)
	}
}
