package main

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// statusWaiting is a participant's status in the waiting room.
const statusWaiting = "waiting"

// roomSettings is the room's state in an event of kind room.
type roomSettings struct {
	WaitingRoom     *bool `json:"waitingRoom"`
	MuteOnEntry     *bool `json:"muteOnEntry"`
	MaxParticipants *int  `json:"maxParticipants,omitempty"`
}

// defaultMaxParticipants is how many people a room admits unless its
// settings say more (room.DefaultMaxParticipants).
const defaultMaxParticipants = 100

// setUpRoom, run by a room's facilitator bot, turns the room's waiting
// room and mute-on-entry off, so that the other bots are admitted and
// heard at once, and waits until the server confirms it. A server that
// does not know moderation has neither: then there is nothing to do.
func (l *load) setUpRoom(ctx context.Context, b *bot) error {
	off := false
	settings := roomSettings{WaitingRoom: &off, MuteOnEntry: &off}
	if n := l.cfg.Participants; n > defaultMaxParticipants {
		settings.MaxParticipants = &n
	}
	err := b.p.Conn.Send(ctx, map[string]any{"type": "moderate", "id": "hearth-load-settings", "action": "settings",
		"settings": settings})
	if err != nil {
		return fmt.Errorf("send room settings: %w", err)
	}
	timeout := time.NewTimer(5 * time.Second)
	defer timeout.Stop()
	for {
		select {
		case m := <-b.setup:
			switch m.Type {
			case protocol.TypeError:
				var e protocol.Error
				if m.Decode(&e) != nil {
					continue
				}
				if e.Code == protocol.CodeUnknownType {
					return nil // no moderation on this server
				}
				return fmt.Errorf("room settings refused: %s: %s", e.Code, e.Message)
			case protocol.TypeEvent:
				var ev struct {
					Kind string        `json:"kind"`
					Room *roomSettings `json:"room"`
				}
				if m.Decode(&ev) == nil && ev.Kind == "room" && ev.Room != nil &&
					ev.Room.WaitingRoom != nil && !*ev.Room.WaitingRoom && ev.Room.MuteOnEntry != nil && !*ev.Room.MuteOnEntry {
					return nil
				}
			}
		case <-timeout.C:
			fmt.Fprintf(l.log, "hearth-load: %s: no confirmation of the room settings; going on\n", b.name)
			return nil
		case <-ctx.Done():
			return fmt.Errorf("room settings: %w", context.Cause(ctx))
		}
	}
}

// onCameraEvent shows, for a bot with a tile size, the camera of someone
// who joined with it on or turned it on, as the browser client's page
// shows a tile for every camera.
func (l *load) onCameraEvent(b *bot, m client.Message) {
	if b.tile == [2]int{} || !bytes.Contains(m.Raw, []byte(`"camera":true`)) {
		return
	}
	var ev struct {
		Participant *protocol.Participant `json:"participant"`
	}
	if m.Decode(&ev) == nil && ev.Participant != nil && ev.Participant.Camera {
		l.show(b, nil, "", ev.Participant.ID)
	}
}

// show tells the server, when b has a tile size, that b shows the
// cameras of publishers (and of every camera before) at that size. conn,
// given once by the join with b's id (self), is b's connection: until
// then the cameras are only noted.
func (l *load) show(b *bot, conn *client.Conn, self string, publishers ...string) {
	if b.tile == [2]int{} {
		return
	}
	b.viewMu.Lock()
	defer b.viewMu.Unlock()
	if conn != nil {
		b.viewConn, b.viewSelf = conn, self
	}
	added := conn != nil && len(b.shown) > 0
	for _, id := range publishers {
		if !slices.Contains(b.shown, id) {
			b.shown = append(b.shown, id)
			added = true
		}
	}
	if !added || b.viewConn == nil {
		return
	}
	sizes := make([]protocol.VideoSize, 0, len(b.shown))
	for _, id := range b.shown {
		if id != b.viewSelf {
			sizes = append(sizes, protocol.VideoSize{Participant: id, Source: protocol.SourceCamera, Width: b.tile[0], Height: b.tile[1]})
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := b.viewConn.Send(ctx, protocol.VideoSizes{Type: protocol.TypeVideoSizes, Sizes: sizes}); err != nil {
		l.note(fmt.Sprintf("%s: video_sizes not sent: %v", b.name, err))
	}
}
