// Package client is a Go client for Hearth's signaling protocol
// (docs/protocol.md). Conn speaks the protocol over a WebSocket;
// Participant adds real pion peer connections to publish and receive
// media. Tests and the load generator (cmd/hearth-load) use it.
package client

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/coder/websocket"

	"github.com/hearth-meet/hearth/signaling/protocol"
)

// Message is one message from the server.
type Message struct {
	Type string
	Raw  []byte
}

// Decode unmarshals the message into v.
func (m Message) Decode(v any) error { return json.Unmarshal(m.Raw, v) }

// Conn is a signaling connection. Send and Recv may be used from
// different goroutines; Recv from one goroutine at a time.
type Conn struct {
	ws *websocket.Conn
}

// DialConn opens a WebSocket to url (ws://host/ws) without joining.
func DialConn(ctx context.Context, url string) (*Conn, error) {
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", url, err)
	}
	ws.SetReadLimit(protocol.MaxMessageSize * 4)
	return &Conn{ws: ws}, nil
}

// Send marshals v and sends it as one text frame.
func (c *Conn) Send(ctx context.Context, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.SendRaw(ctx, data)
}

// SendRaw sends data as one text frame, as it is.
func (c *Conn) SendRaw(ctx context.Context, data []byte) error {
	return c.ws.Write(ctx, websocket.MessageText, data)
}

// SendBinary sends data as one binary frame (which the protocol refuses).
func (c *Conn) SendBinary(ctx context.Context, data []byte) error {
	return c.ws.Write(ctx, websocket.MessageBinary, data)
}

// Recv returns the next message from the server.
func (c *Conn) Recv(ctx context.Context) (Message, error) {
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		return Message{}, err
	}
	var env protocol.Envelope
	if err := json.Unmarshal(data, &env); err != nil {
		return Message{}, fmt.Errorf("server sent a frame that is not JSON: %w", err)
	}
	return Message{Type: env.Type, Raw: data}, nil
}

// Join sends join and waits for welcome. A refusal is returned as a
// *protocol.Error.
func (c *Conn) Join(ctx context.Context, j protocol.Join) (protocol.Welcome, error) {
	j.Type = protocol.TypeJoin
	if j.V == 0 {
		j.V = protocol.Version
	}
	if err := c.Send(ctx, j); err != nil {
		return protocol.Welcome{}, err
	}
	for {
		m, err := c.Recv(ctx)
		if err != nil {
			return protocol.Welcome{}, err
		}
		switch m.Type {
		case protocol.TypeWelcome:
			var w protocol.Welcome
			return w, m.Decode(&w)
		case protocol.TypeError:
			e := &protocol.Error{}
			if err := m.Decode(e); err != nil {
				return protocol.Welcome{}, err
			}
			return protocol.Welcome{}, e
		}
	}
}

// Close closes the connection normally.
func (c *Conn) Close() error { return c.ws.Close(websocket.StatusNormalClosure, "") }

// CloseNow drops the connection without a closing handshake.
func (c *Conn) CloseNow() error { return c.ws.CloseNow() }
