package admin

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hearth-meet/hearth/room"
)

// The API's JSON (docs/admin-api.md).

// Room is a room as the API shows it: its definition without secrets,
// and its links.
type Room struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Settings are those each meeting starts with (no passcode hash).
	Settings         room.Settings  `json:"settings"`
	PasscodeRequired bool           `json:"passcodeRequired"`
	Schedule         *room.Schedule `json:"schedule"`
	MemberLink       string         `json:"memberLink"`
	FacilitatorLink  string         `json:"facilitatorLink"`
	// OpenInvites counts the invite links not used up nor expired.
	OpenInvites int       `json:"openInvites"`
	CreatedAt   time.Time `json:"createdAt"`
}

// RoomList is the answer to GET /api/rooms.
type RoomList struct {
	Rooms []Room `json:"rooms"`
}

// FormatList is the answer to GET /api/formats: the ready meeting
// formats an operator starts from.
type FormatList struct {
	Templates []room.Template `json:"templates"`
}

// NewRoom is the body of POST /api/rooms.
type NewRoom struct {
	Name string `json:"name"`
	// Passcode, when not empty, is the room's passcode.
	Passcode string `json:"passcode,omitempty"`
	// Settings change the defaults (waiting room on, muted on entry).
	Settings *room.SettingsUpdate `json:"settings,omitempty"`
	Schedule *room.Schedule       `json:"schedule,omitempty"`
}

// RoomPatch is the body of PATCH /api/rooms/{id}; absent fields stay.
type RoomPatch struct {
	Name     *string              `json:"name,omitempty"`
	Settings *room.SettingsUpdate `json:"settings,omitempty"`
	// Passcode sets the passcode; "" removes it.
	Passcode *string `json:"passcode,omitempty"`
	// Schedule replaces the schedule; null removes it.
	Schedule json.RawMessage `json:"schedule,omitempty"`
}

// NewInvite is the body of POST /api/rooms/{id}/invites.
type NewInvite struct {
	Uses int `json:"uses"`
	// Expires is how long the link may be used: a Go duration ("24h",
	// "90m") or whole days ("7d").
	Expires string `json:"expires"`
	Label   string `json:"label,omitempty"`
}

// CreatedInvite is the answer to POST /api/rooms/{id}/invites.
type CreatedInvite struct {
	Link      string    `json:"link"`
	Uses      int       `json:"uses"`
	ExpiresAt time.Time `json:"expiresAt"`
	Label     string    `json:"label,omitempty"`
}

// Meeting is a running meeting: counts and times, never who is in it.
type Meeting struct {
	RoomID          string    `json:"roomId"`
	RoomName        string    `json:"roomName"`
	Participants    int       `json:"participants"`
	Waiting         int       `json:"waiting"`
	StartedAt       time.Time `json:"startedAt"`
	DurationSeconds int64     `json:"durationSeconds"`
}

// MeetingList is the answer to GET /api/meetings.
type MeetingList struct {
	Meetings []Meeting `json:"meetings"`
}

// Health is the answer to GET /api/health.
type Health struct {
	Ready        bool   `json:"ready"`
	Version      string `json:"version"`
	Instance     string `json:"instance"`
	Meetings     int    `json:"meetings"`
	Participants int    `json:"participants"`
}

// Error is the body of every error answer.
type Error struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody says what went wrong: Code is one of the Code constants.
type ErrorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeUnauthorized = "unauthorized" // 401
	CodeCSRF         = "csrf"         // 403
	CodeNotFound     = "not_found"    // 404
	CodeBadRequest   = "bad_request"  // 400
	CodeConflict     = "conflict"     // 409
	CodeRateLimited  = "rate_limited" // 429: too many wrong admin tokens
	CodeInternal     = "internal"     // 500
)

// ParseExpiry parses an invite's validity: a Go duration ("24h", "90m")
// or whole days ("7d").
func ParseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q is not a number of days such as \"7d\"", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration such as \"24h\" or \"7d\"", s)
	}
	return d, nil
}
