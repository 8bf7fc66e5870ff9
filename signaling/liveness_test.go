package signaling

import (
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
)

// awaitAnswer: the answer to its own probe means alive; the connection
// leaving, being removed or replaced, or the meeting ending means gone at
// once; otherwise the deadline decides. Other events are read past.
func TestAwaitAnswer(t *testing.T) {
	p := room.Participant{ID: room.NewParticipantID(), Conn: 3, Present: true}
	other := room.Participant{ID: room.NewParticipantID(), Conn: 1, Present: true}
	gone := p
	gone.Present = false
	newer := p
	newer.Conn = 4
	cases := []struct {
		name   string
		events []room.Event
		alive  bool
		waits  bool // reaches the deadline
	}{
		{"answered", []room.Event{{Kind: room.EventUpdated, Participant: other}, {Kind: room.EventAlive, Participant: p, Probe: "pr"}}, true, false},
		{"another probe's answer", []room.Event{{Kind: room.EventAlive, Participant: p, Probe: "older"}}, false, true},
		{"no answer", nil, false, true},
		{"left", []room.Event{{Kind: room.EventLeft, Participant: gone}}, false, false},
		{"someone else left", []room.Event{{Kind: room.EventLeft, Participant: other}}, false, true},
		{"removed", []room.Event{{Kind: room.EventRemoved, Participant: gone}}, false, false},
		{"replaced meanwhile", []room.Event{{Kind: room.EventJoined, Participant: newer}}, false, false},
		{"meeting ended", []room.Event{{Kind: room.EventEnded}}, false, false},
	}
	for _, c := range cases {
		events := make(chan *delivery, len(c.events)+1)
		events <- &delivery{talking: []room.ParticipantID{p.ID}, speakers: true} // read past
		for _, ev := range c.events {
			events <- &delivery{ev: ev}
		}
		deadline := make(chan time.Time)
		done := make(chan bool)
		go func() { done <- awaitAnswer(events, p, "pr", deadline) }()
		// One that waits must not have returned after 100 ms; one that
		// must not wait gets 10 s to return (100 ms is one stall of a
		// loaded machine's scheduler).
		wait := 10 * time.Second
		if c.waits {
			wait = 100 * time.Millisecond
		}
		var got bool
		select {
		case got = <-done:
			if c.waits {
				t.Errorf("%s: returned %v before the deadline", c.name, got)
			}
		case <-time.After(wait):
			if !c.waits {
				t.Errorf("%s: still waiting after %v", c.name, wait)
			}
			close(deadline)
			got = <-done
		}
		if got != c.alive {
			t.Errorf("%s: alive = %v, want %v", c.name, got, c.alive)
		}
	}
}
