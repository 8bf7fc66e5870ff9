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
	TypeWelcome   = "welcome"
	TypeEvent     = "event"
	TypeError     = "error"
	TypeBye       = "bye"
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
	CodeBadSDP          = "bad_sdp"
	CodeBadCandidate    = "bad_candidate"
	CodeRateLimited     = "rate_limited"
	CodeInternal        = "internal"
)

// Bye reasons.
const (
	ByeLeft     = "left"
	ByeShutdown = "shutdown"
	ByeReplaced = "replaced"
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
	Muted          *bool  `json:"muted,omitempty"`
	Camera         *bool  `json:"camera,omitempty"`
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

// Participant is a participant as clients see them.
type Participant struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Role   string `json:"role"`
	Muted  bool   `json:"muted"`
	Camera bool   `json:"camera"`
}

// RoomInfo describes the room in a welcome.
type RoomInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Welcome answers a successful join.
type Welcome struct {
	Type         string        `json:"type"`
	V            int           `json:"v"`
	Room         RoomInfo      `json:"room"`
	Self         Participant   `json:"self"`
	Participants []Participant `json:"participants"`
	Seq          uint64        `json:"seq"`
	Identity     string        `json:"identity"`
}

// Event is one change in the room.
type Event struct {
	Type          string       `json:"type"`
	Seq           uint64       `json:"seq"`
	Kind          string       `json:"kind"`
	Participant   *Participant `json:"participant,omitempty"`
	ParticipantID string       `json:"participantId,omitempty"`
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
