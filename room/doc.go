// Package room is the meeting domain of Hearth: rooms, participants, roles,
// presence and self-mute state, and the events every change produces.
//
// The rules live in State, whose methods are pure: they check a command,
// change the state and return the events, each numbered with the room's
// sequence. Service applies commands through a Store, the interface behind
// which a backend keeps the state of every room (in memory by default, in
// Redis when several instances share rooms) and delivers events to
// subscribers in sequence order.
//
// The package knows nothing of WebSocket, WebRTC or Redis.
package room
