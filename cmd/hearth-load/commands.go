package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/hearth-meet/hearth/signaling/client"
)

// This file holds the room's life beside media: bots that raise and
// lower their hands, and chat messages, each timed from the send to the
// event that shows it done coming back to the sender (the `hands` event
// with, or without, the sender's id; the `chat` event of the sender's
// message), and chat messages counted at every bot of the room.

// Commands the bots time, as the report names them.
const (
	cmdRaise = "raise_hand"
	cmdLower = "lower_hand"
	cmdChat  = "chat"
)

// cmdTimeout is how long a command may go unanswered before it counts
// as lost.
const cmdTimeout = 5 * time.Second

// chatPrefix starts every chat message the bots send.
const chatPrefix = "hearth-load chat "

// cmdWaiter is a bot's command waiting for its answer: one at a time.
type cmdWaiter struct {
	mu     sync.Mutex
	kind   string // "": none waiting
	id     string // the message's id, echoed by an error about it
	text   string // chat: the message's text
	sentAt time.Time
	done   chan cmdResult // buffered, 1
}

// cmdResult is how a command ended: answered after rtt, or refused.
type cmdResult struct {
	rtt     time.Duration
	refused string
}

// begin makes kind the bot's waiting command; false if one is waiting.
func (w *cmdWaiter) begin(kind, id, text string) (chan cmdResult, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.kind != "" {
		return nil, false
	}
	w.kind, w.id, w.text, w.sentAt = kind, id, text, time.Now()
	w.done = make(chan cmdResult, 1)
	return w.done, true
}

// end clears the waiting command.
func (w *cmdWaiter) end() {
	w.mu.Lock()
	w.kind, w.done = "", nil
	w.mu.Unlock()
}

// answer ends the waiting command if it is kind (with text, for chat).
func (w *cmdWaiter) answer(kind, text string, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.kind != kind || w.text != text || w.done == nil {
		return
	}
	w.done <- cmdResult{rtt: at.Sub(w.sentAt)}
	w.kind, w.done = "", nil
}

// refuse ends the waiting command if the error is about it.
func (w *cmdWaiter) refuse(re, code string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.kind == "" || w.id != re || w.done == nil {
		return
	}
	w.done <- cmdResult{refused: code}
	w.kind, w.done = "", nil
}

// cmdAcc adds up one kind of command.
type cmdAcc struct {
	sent, answered, lost, refused int
	rtt                           histogram
}

// commands is what the run's commands came to.
type commands struct {
	mu      sync.Mutex
	seq     int
	byKind  map[string]*cmdAcc
	chats   map[int]int // chat messages sent, by room
	refusal []string
}

// command sends b's command kind (text: a chat message's) and waits for
// its answer, at most cmdTimeout.
func (l *load) command(b *bot, kind, text string) {
	l.cmds.mu.Lock()
	l.cmds.seq++
	id := fmt.Sprintf("hl%d", l.cmds.seq)
	l.cmds.mu.Unlock()
	done, ok := b.cmd.begin(kind, id, text)
	if !ok {
		return
	}
	msg := map[string]any{"type": kind, "id": id}
	if kind == cmdChat {
		msg["text"], msg["to"] = text, "room"
	}
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	err := b.p.Conn.Send(ctx, msg)
	l.cmds.mu.Lock()
	acc := l.cmds.byKind[kind]
	if acc == nil {
		acc = &cmdAcc{}
		l.cmds.byKind[kind] = acc
	}
	acc.sent++
	if kind == cmdChat {
		l.cmds.chats[b.room]++
	}
	l.cmds.mu.Unlock()
	var res cmdResult
	if err != nil {
		res.refused = "not sent: " + err.Error()
	} else {
		select {
		case res = <-done:
		case <-ctx.Done():
		}
	}
	b.cmd.end()
	l.cmds.mu.Lock()
	defer l.cmds.mu.Unlock()
	switch {
	case res.refused != "":
		acc.refused++
		if len(l.cmds.refusal) < maxNotes {
			l.cmds.refusal = append(l.cmds.refusal, fmt.Sprintf("%s: %s refused: %s", b.name, kind, res.refused))
		}
	case res.rtt > 0:
		acc.answered++
		acc.rtt.add(res.rtt)
	default:
		acc.lost++
	}
}

// onCommandEvent answers b's waiting command from an event, and counts
// the run's chat messages it receives. It decodes only hands and chat
// events.
func (l *load) onCommandEvent(b *bot, m client.Message) {
	hands := bytes.Contains(m.Raw, []byte(`"kind":"hands"`))
	chat := bytes.Contains(m.Raw, []byte(`"kind":"chat"`))
	if !hands && !chat {
		return
	}
	now := time.Now()
	var ev struct {
		Hands   []string `json:"hands"`
		Message *struct {
			From string `json:"from"`
			Text string `json:"text"`
		} `json:"message"`
	}
	if m.Decode(&ev) != nil {
		return
	}
	switch {
	case hands:
		for _, id := range ev.Hands {
			if id == b.id {
				b.cmd.answer(cmdRaise, "", now)
				return
			}
		}
		b.cmd.answer(cmdLower, "", now)
	case ev.Message != nil && strings.HasPrefix(ev.Message.Text, chatPrefix):
		b.chatsReceived.Add(1)
		if ev.Message.From == b.id {
			b.cmd.answer(cmdChat, ev.Message.Text, now)
		}
	}
}

// onCommandError ends b's waiting command if the server refused it.
func (l *load) onCommandError(b *bot, m client.Message) {
	var e struct {
		Code string          `json:"code"`
		Re   json.RawMessage `json:"re"`
	}
	if m.Decode(&e) != nil || len(e.Re) == 0 {
		return
	}
	var re string
	if json.Unmarshal(e.Re, &re) == nil {
		b.cmd.refuse(re, e.Code)
	}
}

// runCommands starts, for the window from start to end, the hand bots'
// loops and each room's chat; it returns at once, and wg ends when the
// last command is answered or lost.
func (l *load) runCommands(start, end time.Time, wg *sync.WaitGroup) {
	// Commands stop a little before the window closes, so that their
	// answers come back in it.
	last := end.Add(-time.Second)
	for r := range l.rooms {
		var talkers []*bot
		for _, b := range l.bots {
			if b.room != r || b.err != nil || b.p == nil {
				continue
			}
			if b.seat >= l.cfg.Participants-l.cfg.Hands {
				wg.Go(func() { l.handLoop(b, start, last) })
			} else {
				talkers = append(talkers, b)
			}
		}
		if l.cfg.ChatInterval > 0 && len(talkers) > 0 {
			wg.Go(func() { l.chatLoop(r, talkers, start, last, wg) })
		}
	}
}

// handLoop raises and lowers b's hand, one command every --hand-interval
// from a random moment in the first interval, until last.
func (l *load) handLoop(b *bot, start, last time.Time) {
	at := start.Add(rand.N(l.cfg.HandInterval))
	kind := cmdRaise
	for at.Before(last) {
		if !sleepUntil(context.Background(), at) {
			return
		}
		l.command(b, kind, "")
		if kind == cmdRaise {
			kind = cmdLower
		} else {
			kind = cmdRaise
		}
		at = at.Add(l.cfg.HandInterval)
	}
}

// chatLoop sends room r's chat: every --chat-interval a message from the
// next of talkers that is not waiting for an answer, until last.
func (l *load) chatLoop(r int, talkers []*bot, start, last time.Time, wg *sync.WaitGroup) {
	n := 0
	for at := start.Add(l.cfg.ChatInterval / 2); at.Before(last); at = at.Add(l.cfg.ChatInterval) {
		if !sleepUntil(context.Background(), at) {
			return
		}
		b := talkers[n%len(talkers)]
		n++
		text := fmt.Sprintf("%s%d-%d", chatPrefix, r+1, n)
		wg.Go(func() { l.command(b, cmdChat, text) })
	}
}
