package cluster

import (
	"context"
	"encoding/json"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/meeting"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// A relay link receives another instance's local tracks of a room and
// publishes them in the room's meeting here (docs/scaling.md).
type linkKey struct {
	room     room.RoomID
	instance string
}

type link struct {
	m      *meeting.Meeting
	cancel context.CancelFunc
}

// Relay implements meeting.Cluster: it opens the links the meeting asks
// for and closes its others.
func (c *Cluster) Relay(m *meeting.Meeting, from []string) {
	want := make(map[string]bool, len(from))
	for _, inst := range from {
		want[inst] = true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, l := range c.links {
		// A meeting's own links it no longer wants, and links an earlier
		// meeting of the room left for instances this one wants (the
		// earlier one closes its others itself).
		if k.room == m.ID() && (l.m == m) != want[k.instance] {
			l.cancel()
			delete(c.links, k)
		}
	}
	if c.ctx.Err() != nil {
		return
	}
	for inst := range want {
		k := linkKey{m.ID(), inst}
		if _, ok := c.links[k]; ok {
			continue
		}
		ctx, cancel := context.WithCancel(c.ctx)
		c.links[k] = &link{m: m, cancel: cancel}
		c.linkers.Add(1)
		go func() {
			defer c.linkers.Done()
			c.keep(ctx, m, inst)
		}()
	}
}

// keep keeps one relay link up until ctx ends, reconnecting after failures.
func (c *Cluster) keep(ctx context.Context, m *meeting.Meeting, instance string) {
	log := c.p.Log.With(zap.Stringer("room", m.ID()), zap.String("relay_from", instance))
	for ctx.Err() == nil {
		if err := c.run(ctx, m, instance, log); err != nil && ctx.Err() == nil {
			log.Debug("relay link ended", zap.Error(err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// run is one connection of a relay link: it asks the other instance for
// its tracks of the room and answers its offers.
func (c *Cluster) run(ctx context.Context, m *meeting.Meeting, instance string, log *zap.Logger) error {
	url, err := c.p.Registry.URL(ctx, instance)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := client.DialConn(dctx, url)
	cancel()
	if err != nil {
		return err
	}
	defer func() { _ = conn.CloseNow() }()
	err = conn.Send(ctx, protocol.Relay{Type: protocol.TypeRelay, V: protocol.Version, Room: m.ID().String(),
		Secret: c.p.Registry.Secret(), Instance: c.Instance()})
	if err != nil {
		return err
	}
	peer, err := c.p.SFU.NewPeer(media.PeerParams{ID: "relay:" + instance, Kind: media.RelayIn, Log: log,
		OnTrack: m.Publish})
	if err != nil {
		return err
	}
	defer peer.Close()
	m.Attach(peer)
	defer m.Detach(peer)
	for {
		msg, err := conn.Recv(ctx)
		if err != nil {
			return err
		}
		switch msg.Type {
		case protocol.TypeOffer:
			var o protocol.SDP
			if err := msg.Decode(&o); err != nil {
				return err
			}
			answer, err := peer.HandleOffer(o.SDP)
			if err != nil {
				return err
			}
			if err := conn.Send(ctx, protocol.SDP{Type: protocol.TypeAnswer, PC: protocol.PCSubscribe, SDP: answer}); err != nil {
				return err
			}
		case protocol.TypeError:
			var e protocol.Error
			_ = json.Unmarshal(msg.Raw, &e)
			return &e
		}
	}
}
