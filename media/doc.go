// Package media is Hearth's selective forwarding unit (SFU), built on
// pion/webrtc: it terminates each participant's peer connections, reads
// the tracks they publish and forwards every RTP packet to the subscribers
// it is told about, handling RTCP (keyframe requests, NACK, reports) on the
// way.
//
// media knows nothing of rooms or their rules. The caller (signaling)
// decides who subscribes to which track and whether a track is forwarded at
// all (a muted microphone is not): see Peer, Track and SFU.Subscribe.
//
// Each participant has two peer connections: a publish one, where the
// client offers its tracks, and a subscribe one, where the server offers
// the tracks of others. The forwarding path is one goroutine per published
// track reading packets and writing them to a copy-on-write slice of
// subscribers, without allocating and without a lock shared across tracks.
// Beside it, one goroutine per published track reads the publisher's RTCP
// (its sender reports), and one per subscription reads the subscriber's
// (keyframe requests, NACKs).
package media
