// Package protocol defines the messages of Hearth's signaling protocol,
// version 1, as written up in docs/protocol.md. The server (package
// signaling), the Go client (signaling/client) and the browser client
// (web/protocol.js) follow it.
package protocol

import "encoding/json"

// Version is the protocol version this package speaks.
const Version = 1

// MaxMessageSize is the largest frame either side accepts, in bytes.
const MaxMessageSize = 64 << 10

// Message types.
const (
	TypeJoin      = "join"
	TypeOffer     = "offer"
	TypeAnswer    = "answer"
	TypeCandidate = "candidate"
	TypeSetSelf   = "set_self"
	TypeLeave     = "leave"
	TypeRaiseHand = "raise_hand"
	TypeLowerHand = "lower_hand"
	TypeRename    = "rename"
	TypeChat      = "chat"
	TypeModerate  = "moderate"
	TypeWelcome   = "welcome"
	TypeSnapshot  = "snapshot"
	// TypeRelay opens a media relay from another instance of the server
	// (docs/scaling.md); it is not for clients.
	TypeRelay = "relay"
	TypeEvent = "event"
	TypeError = "error"
	TypeBye   = "bye"
	// TypeICERestart asks the server to restart ICE on the subscribe
	// connection (the client restarts its publish connection itself, with
	// an offer): its network changed.
	TypeICERestart = "ice_restart"
	// TypeSpeakers says who is talking (Speakers).
	TypeSpeakers = "speakers"
	// TypeSegment moves the meeting to the next or previous segment of
	// the room's format (Segment; facilitators only).
	TypeSegment = "segment"
	// TypePing asks the server for a TypePong at once: the client checks
	// that its socket still carries frames both ways (a socket whose
	// network went away silently stalls rather than closes).
	TypePing = "ping"
	// TypePong answers a TypePing.
	TypePong = "pong"
	// TypeReport reports a chat message or a participant to the
	// facilitators (Report); the server answers TypeReportSent.
	TypeReport     = "report"
	TypeReportSent = "report_sent"
	// TypeVideoSizes says at which size the client shows each video
	// (VideoSizes).
	TypeVideoSizes = "video_sizes"
	// TypeAudioOnly turns the client's video off or on (AudioOnly); the
	// server answers with the same message.
	TypeAudioOnly = "audio_only"
	// TypeScreenShare starts or stops the sender's screen share
	// (ScreenShare).
	TypeScreenShare = "screen_share"
)

// Connection names, the "pc" field of SDP and candidate messages.
const (
	PCPublish   = "pub"
	PCSubscribe = "sub"
)

// Error codes (docs/protocol.md, "error").
const (
	CodeBadJSON         = "bad_json"
	CodeUnknownType     = "unknown_type"
	CodeBadRequest      = "bad_request"
	CodeNotJoined       = "not_joined"
	CodeAlreadyJoined   = "already_joined"
	CodeBadVersion      = "bad_version"
	CodeRoomNotFound    = "room_not_found"
	CodeForbidden       = "forbidden"
	CodeUnknownIdentity = "unknown_identity"
	CodeIdentityInUse   = "identity_in_use"
	CodeBadSDP          = "bad_sdp"
	CodeBadCandidate    = "bad_candidate"
	CodeRateLimited     = "rate_limited"
	CodeNotAllowed      = "not_allowed"
	CodeRoomLocked      = "room_locked"
	CodeRemoved         = "removed"
	CodeChatClosed      = "chat_closed"
	CodeRoomFull        = "room_full"
	CodeWaitingRoomFull = "waiting_room_full"
	CodeUnavailable     = "unavailable"
	CodeInternal        = "internal"
	// CodeBadName refuses a join or a rename in a room that takes first
	// names only: the name is not one word of at most 20 characters.
	CodeBadName = "bad_name"
)

// Error codes of a join into a room with a passcode.
const (
	CodePasscodeRequired = "passcode_required"
	CodeBadPasscode      = "bad_passcode"
)

// Error codes of a room's links (docs/protocol.md): the member key or
// invite is missing, wrong or no longer valid (bad_link), or the room's
// links were replaced while the person waited (link_rotated, followed by
// a bye with that reason).
const (
	CodeBadLink     = "bad_link"
	CodeLinkRotated = "link_rotated"
)

// Bye reasons.
const (
	ByeLeft     = "left"
	ByeShutdown = "shutdown"
	ByeReplaced = "replaced"
	ByeRemoved  = "removed"
	ByeDenied   = "denied"
	ByeEnded    = "ended"
	// ByeLinkRotated: the room's links were replaced while the person was
	// waiting with an old one.
	ByeLinkRotated = "link_rotated"
)

// Envelope is the part every message shares.
type Envelope struct {
	Type string `json:"type"`
	// ID is chosen by the client and echoed in errors as Re.
	ID json.RawMessage `json:"id,omitempty"`
}

// Join is the first message of a session.
type Join struct {
	Type           string `json:"type"`
	V              int    `json:"v"`
	Room           string `json:"room"`
	Name           string `json:"name"`
	FacilitatorKey string `json:"facilitatorKey,omitempty"`
	Identity       string `json:"identity,omitempty"`
	// Passcode is the room's passcode, when it has one (see
	// RoomInfo.PasscodeRequired).
	Passcode string `json:"passcode,omitempty"`
	// MemberKey is the "k" of the room's member link; Invite the "i" of a
	// per-person invite link. A newcomer brings one of them (or the
	// facilitator key).
	MemberKey string `json:"memberKey,omitempty"`
	Invite    string `json:"invite,omitempty"`
	Muted     *bool  `json:"muted,omitempty"`
	Camera    *bool  `json:"camera,omitempty"`
	// Resume is the token of the last welcome on this page: with it, a
	// client whose connection dropped takes its session back (same
	// participant, same peer connections, no leave and no join seen by
	// the others) while the server still holds it. When the server holds
	// no session for it, the join goes on as if it were not there.
	Resume string `json:"resume,omitempty"`
	// NewHere: the newcomer is new to the group; only facilitators see it.
	NewHere bool `json:"newHere,omitempty"`
}

// Pong is the server's answer to a ping (Envelope of type TypePing).
type Pong struct {
	Type string `json:"type"`
}

// ICERestart asks for an ICE restart of the subscribe connection.
type ICERestart struct {
	Type string `json:"type"`
	PC   string `json:"pc"`
}

// Relay is the first message of a relay connection from another instance:
// it asks for this instance's local tracks of Room.
type Relay struct {
	Type     string `json:"type"`
	V        int    `json:"v"`
	Room     string `json:"room"`
	Secret   string `json:"secret"`
	Instance string `json:"instance"`
}

// SDP is an offer or an answer (RFC 8829).
type SDP struct {
	Type string `json:"type"`
	PC   string `json:"pc"`
	SDP  string `json:"sdp"`
}

// CandidateInit is an RTCIceCandidateInit (RFC 8838 trickle ICE).
type CandidateInit struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid,omitempty"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex,omitempty"`
	UsernameFragment *string `json:"usernameFragment,omitempty"`
}

// Candidate carries one trickled ICE candidate.
type Candidate struct {
	Type      string         `json:"type"`
	PC        string         `json:"pc"`
	Candidate *CandidateInit `json:"candidate"`
}

// SetSelf changes the sender's own microphone and camera state.
type SetSelf struct {
	Type   string `json:"type"`
	Muted  *bool  `json:"muted,omitempty"`
	Camera *bool  `json:"camera,omitempty"`
}

// Leave ends the sender's participation.
type Leave struct {
	Type string `json:"type"`
}

// RaiseHand, LowerHand: the sender's own hand.
type RaiseHand struct {
	Type string `json:"type"`
}

// Rename changes the sender's own name.
type Rename struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

// Chat sends a chat message.
type Chat struct {
	Type string `json:"type"`
	Text string `json:"text"`
	// To is "room" (default), "facilitators" or a participant id.
	To string `json:"to,omitempty"`
}

// Settings is a change of room settings; nil fields stay.
type Settings struct {
	WaitingRoom     *bool   `json:"waitingRoom,omitempty"`
	MuteOnEntry     *bool   `json:"muteOnEntry,omitempty"`
	Mode            *string `json:"mode,omitempty"`
	SelfRename      *bool   `json:"selfRename,omitempty"`
	PrivateChat     *bool   `json:"privateChat,omitempty"`
	Guidelines      *string `json:"guidelines,omitempty"`
	ShareSeconds    *int    `json:"shareSeconds,omitempty"`
	AutoMute        *bool   `json:"autoMute,omitempty"`
	MaxParticipants *int    `json:"maxParticipants,omitempty"`
	MaxWaiting      *int    `json:"maxWaiting,omitempty"`
	// Passcode sets the room's passcode; "" removes it. It is never sent
	// back.
	Passcode       *string `json:"passcode,omitempty"`
	FirstNamesOnly *bool   `json:"firstNamesOnly,omitempty"`
	// MembersCanShareScreen lets members share their screen.
	MembersCanShareScreen *bool `json:"membersCanShareScreen,omitempty"`
}

// ScreenShare starts (On) or stops the sender's screen share. A member is
// refused with CodeForbidden unless the room lets members share.
type ScreenShare struct {
	Type string `json:"type"`
	On   *bool  `json:"on"`
}

// Segment moves the meeting to another segment of the room's format.
type Segment struct {
	Type string `json:"type"`
	// To is SegmentNext or SegmentPrevious.
	To string `json:"to"`
}

// The moves of a Segment message.
const (
	SegmentNext     = "next"
	SegmentPrevious = "previous"
)

// Format is a room's meeting format (docs/formats.md).
type Format struct {
	Name     string          `json:"name,omitempty"`
	Segments []FormatSegment `json:"segments"`
}

// FormatSegment is one segment of a format.
type FormatSegment struct {
	Title string `json:"title"`
	// Speaking is "facilitators", "called_on" or "open".
	Speaking     string `json:"speaking"`
	ChatOpen     bool   `json:"chatOpen"`
	Text         string `json:"text,omitempty"`
	ShareSeconds int    `json:"shareSeconds,omitempty"`
	AutoMute     bool   `json:"autoMute,omitempty"`
}

// Moderate is a facilitator's command.
type Moderate struct {
	Type      string    `json:"type"`
	Action    string    `json:"action"`
	Target    string    `json:"target,omitempty"`
	Name      string    `json:"name,omitempty"`
	Seconds   int       `json:"seconds,omitempty"`
	AutoMute  *bool     `json:"autoMute,omitempty"`
	MessageID string    `json:"messageId,omitempty"`
	Settings  *Settings `json:"settings,omitempty"`
	// ReportID is the report dismiss_report deletes.
	ReportID string `json:"reportId,omitempty"`
}

// Participant is a participant as clients see them.
type Participant struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Role    string `json:"role"`
	Status  string `json:"status"`
	Muted   bool   `json:"muted"`
	MutedBy string `json:"mutedBy"`
	Camera  bool   `json:"camera"`
	// NewHere: they said they are new to the group. Sent to facilitators
	// only.
	NewHere bool `json:"newHere,omitempty"`
	// Screen: they share their screen now.
	Screen bool `json:"screen"`
}

// Timer is a running share timer.
type Timer struct {
	Speaker  string `json:"speaker"`
	EndsAt   int64  `json:"endsAt"`
	Seconds  int    `json:"seconds"`
	AutoMute bool   `json:"autoMute"`
}

// RoomInfo is the room's state and settings.
type RoomInfo struct {
	ID              string `json:"id"`
	Name            string `json:"name"`
	Locked          bool   `json:"locked"`
	AutoLocked      bool   `json:"autoLocked"`
	WaitingRoom     bool   `json:"waitingRoom"`
	MuteOnEntry     bool   `json:"muteOnEntry"`
	Mode            string `json:"mode"`
	SelfRename      bool   `json:"selfRename"`
	PrivateChat     bool   `json:"privateChat"`
	ChatOpen        bool   `json:"chatOpen"`
	Suspended       bool   `json:"suspended"`
	Guidelines      string `json:"guidelines"`
	ShareSeconds    int    `json:"shareSeconds"`
	AutoMute        bool   `json:"autoMute"`
	MaxParticipants int    `json:"maxParticipants"`
	MaxWaiting      int    `json:"maxWaiting"`
	// PasscodeRequired: newcomers must bring the room's passcode.
	PasscodeRequired bool `json:"passcodeRequired"`
	// FirstNamesOnly: a name is one word of at most 20 characters.
	FirstNamesOnly bool   `json:"firstNamesOnly"`
	Speaker        string `json:"speaker"`
	Timer          *Timer `json:"timer,omitempty"`
	// Format is the room's meeting format, null without one; Segment is
	// the index of the segment the meeting is in (0 without a format).
	Format  *Format `json:"format"`
	Segment int     `json:"segment"`
	// ContributionsURL is the room's contributions link, "" when none;
	// clients show it in the format's last segment.
	ContributionsURL string `json:"contributionsUrl"`
	// AttendanceProof: members may ask for a proof of attendance.
	AttendanceProof bool `json:"attendanceProof"`
	// MembersCanShareScreen: members may share their screen.
	MembersCanShareScreen bool `json:"membersCanShareScreen"`
}

// ChatMessage is one chat message.
type ChatMessage struct {
	ID       string `json:"id"`
	From     string `json:"from"`
	FromName string `json:"fromName"`
	To       string `json:"to"`
	Text     string `json:"text"`
	At       int64  `json:"at"`
}

// Welcome answers a successful join.
type Welcome struct {
	Type         string        `json:"type"`
	V            int           `json:"v"`
	Room         RoomInfo      `json:"room"`
	Self         Participant   `json:"self"`
	Participants []Participant `json:"participants"`
	Hands        []string      `json:"hands"`
	Chat         []ChatMessage `json:"chat"`
	Seq          uint64        `json:"seq"`
	Identity     string        `json:"identity,omitempty"`
	// ICEServers are the TURN servers (with this participant's
	// credentials) the client adds to its peer connections' configuration;
	// welcome only.
	ICEServers []ICEServer `json:"iceServers,omitempty"`
	// Resume is the token that takes this session back over a new
	// connection if this one drops (see Join.Resume); empty when the
	// server holds no session for a dropped connection.
	Resume string `json:"resume,omitempty"`
	// Resumed says that the join took back a held session: the client
	// keeps its peer connections; the rest of the message replaces its
	// picture of the room, as a snapshot does.
	Resumed bool `json:"resumed,omitempty"`
	// Reports are the running meeting's reports, oldest first; sent to
	// facilitators only.
	Reports []ReportInfo `json:"reports,omitempty"`
}

// ICEServer is one entry of RTCConfiguration.iceServers (W3C WebRTC,
// RTCIceServer): TURN URLs (RFC 7065) and the credentials for them.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// Event is one change in the room.
type Event struct {
	Type          string       `json:"type"`
	Seq           uint64       `json:"seq"`
	Kind          string       `json:"kind"`
	Participant   *Participant `json:"participant,omitempty"`
	ParticipantID string       `json:"participantId,omitempty"`
	Hands         []string     `json:"hands,omitempty"`
	Room          *RoomInfo    `json:"room,omitempty"`
	Message       *ChatMessage `json:"message,omitempty"`
	MessageID     string       `json:"messageId,omitempty"`
	SecondsLeft   int          `json:"secondsLeft,omitempty"`
	Report        *ReportInfo  `json:"report,omitempty"`
	ReportID      string       `json:"reportId,omitempty"`
}

// Report is a participant's private report to the facilitators: a chat
// message (Message, a chat message id), or a participant's behaviour
// (Participant), or both; Reason is optional (at most 500 characters).
type Report struct {
	Type        string `json:"type"`
	Participant string `json:"participant,omitempty"`
	Message     string `json:"message,omitempty"`
	Reason      string `json:"reason,omitempty"`
}

// ReportSent answers a report the server took (Re is the report's id).
type ReportSent struct {
	Type string          `json:"type"`
	Re   json.RawMessage `json:"re,omitempty"`
}

// ReportInfo is a report as facilitators see it (event kind "report",
// Welcome.Reports).
type ReportInfo struct {
	ID          string `json:"id"`
	From        string `json:"from"`
	FromName    string `json:"fromName"`
	About       string `json:"about"`
	AboutName   string `json:"aboutName"`
	MessageID   string `json:"messageId,omitempty"`
	MessageText string `json:"messageText,omitempty"`
	Reason      string `json:"reason,omitempty"`
	At          int64  `json:"at"`
}

// Speakers says who is talking now, as the server hears it from the
// audio levels of their microphones: sent to admitted participants when
// that changes, at most four times a second. A muted participant is never
// in it.
type Speakers struct {
	Type string `json:"type"`
	// Talking holds participant ids, in no meaningful order; empty when
	// nobody talks.
	Talking []string `json:"talking"`
}

// Video sources, the "source" of a VideoSize.
const (
	SourceCamera = "camera"
	SourceScreen = "screen"
)

// MaxVideoSizes bounds the entries of one VideoSizes message.
const MaxVideoSizes = 200

// VideoSize is the size, in device pixels, at which the client shows one
// participant's video of one source; 0x0 is hidden.
type VideoSize struct {
	Participant string `json:"participant"`
	Source      string `json:"source"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
}

// VideoSizes lists the videos the client shows and at which size; a
// video absent from the list is hidden and is not sent. Each message
// replaces the last.
type VideoSizes struct {
	Type  string      `json:"type"`
	Sizes []VideoSize `json:"sizes"`
}

// AudioOnly asks the server to stop (On) or restart sending the client
// video; the server answers with an AudioOnly saying what holds now.
type AudioOnly struct {
	Type string `json:"type"`
	On   *bool  `json:"on"`
}

// Error reports a message the server refused.
type Error struct {
	Type    string          `json:"type"`
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Re      json.RawMessage `json:"re,omitempty"`
}

// Error implements error, so that a client can return a server's refusal.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Bye announces that the server closes the connection.
type Bye struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// TypeReconnect: the server is about to close the connection and asks the
// client to reconnect at once, to the same URL (a load balancer sends it to
// another instance), and to resume with its identity.
const TypeReconnect = "reconnect"

// Reconnect reasons.
const (
	// ReconnectDraining: this instance is draining for a restart or an
	// upgrade (docs/operations.md).
	ReconnectDraining = "draining"
)

// Reconnect asks the client to reconnect now, without backing off.
type Reconnect struct {
	Type   string `json:"type"`
	Reason string `json:"reason"`
}

// CodeDraining refuses a join because the instance is draining: the
// connection closes, and the client connects again (a load balancer sends
// it to a ready instance).
const CodeDraining = "draining"
