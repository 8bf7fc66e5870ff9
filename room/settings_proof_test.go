package room

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestAttendanceProofSettings: proofs are off by default (also for rooms
// stored before the field existed); the public label is checked and
// falls back to the room's name.
func TestAttendanceProofSettings(t *testing.T) {
	if DefaultSettings().AttendanceProof {
		t.Error("proofs of attendance are on by default")
	}
	var stored Settings
	if err := json.Unmarshal([]byte(`{"waitingRoom":true,"mode":"open"}`), &stored); err != nil || stored.AttendanceProof {
		t.Errorf("a stored room without the field: %+v %v", stored, err)
	}
	if got := stored.Label("Tuesday group"); got != "Tuesday group" {
		t.Errorf("Label without a public label = %q", got)
	}
	on, label := true, "  Evening meeting, St. Mark's hall "
	s, err := DefaultSettings().Apply(SettingsUpdate{AttendanceProof: &on, PublicLabel: &label})
	if err != nil || !s.AttendanceProof || s.Label("Tuesday group") != "Evening meeting, St. Mark's hall" {
		t.Errorf("Apply: %+v %v", s, err)
	}
	for _, bad := range []string{strings.Repeat("x", 121), "a\u202eb", "line\nbreak"} {
		if _, err := s.Apply(SettingsUpdate{PublicLabel: &bad}); !errors.Is(err, ErrBadCommand) {
			t.Errorf("label %q: %v", bad, err)
		}
	}
	empty := ""
	if s, _ = s.Apply(SettingsUpdate{PublicLabel: &empty}); s.Label("Tuesday group") != "Tuesday group" {
		t.Errorf("an empty label does not fall back to the name: %q", s.Label("Tuesday group"))
	}
}
