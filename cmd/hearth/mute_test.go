package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
	"github.com/hearth-meet/hearth/web/webtest"
)

// A facilitator mutes a member in real Chromium while 20 other people in
// the room send commands at the same moment (hands, chat, renames, camera
// off). The room's meeting turns the mute into the gate on the member's
// audio (the facilitator stops receiving it, their video goes on) and
// into the member's page ("muted by the facilitator"), and none of the 20
// commands is lost. The test runs with the race detector (make test).
func TestFacilitatorMuteUnderConcurrentCommands(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	roomID, key := roomAndKey(ts.facilitatorLink)
	ws := "ws://" + ts.addr.String() + "/ws"

	fac := signalingtest.NewBot(t, ctx, ws, protocol.Join{Room: roomID, Name: "Facil", FacilitatorKey: key})
	browser := webtest.NewBrowser(t)
	page := browser.NewPage(t, ts.memberLink)
	page.WaitVisible(webtest.Labelled("Your name"))
	page.Type("Your name", "Ottoline")
	page.Click("Join")
	page.WaitVisible(webtest.Button("Leave"))
	var member string
	signalingtest.WaitFor(t, 20*time.Second, "the member's audio and video at the facilitator", func() bool {
		member = idOf(fac, "Ottoline")
		return member != "" && fac.Bytes(member, "audio") > 0 && fac.Packets(member, "video") > 0
	})

	// 20 others join; five each raise a hand, chat, rename themselves and
	// turn their camera off, all at once with the facilitator's mute.
	others := make([]*client.Conn, 20)
	for i := range others {
		c, err := client.DialConn(ctx, ws)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.CloseNow() })
		if _, err := c.Join(ctx, memberJoin(ts.memberLink, fmt.Sprintf("Other%02d", i))); err != nil {
			t.Fatal(err)
		}
		go func() { // drain
			for {
				if _, err := c.Recv(ctx); err != nil {
					return
				}
			}
		}()
		others[i] = c
	}
	off := false
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, c := range others {
		var msg any
		switch i % 4 {
		case 0:
			msg = protocol.RaiseHand{Type: protocol.TypeRaiseHand}
		case 1:
			msg = protocol.Chat{Type: protocol.TypeChat, Text: fmt.Sprintf("note %d", i)}
		case 2:
			msg = protocol.Rename{Type: protocol.TypeRename, Name: fmt.Sprintf("Renamed%02d", i)}
		case 3:
			msg = protocol.SetSelf{Type: protocol.TypeSetSelf, Camera: &off}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if err := c.Send(ctx, msg); err != nil {
				t.Errorf("command %d: %v", i, err)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-start
		if err := fac.P.Conn.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "mute", Target: member}); err != nil {
			t.Errorf("mute: %v", err)
		}
	}()
	close(start)
	wg.Wait()

	// The member's page shows what the server says.
	if !page.WaitFor(15*time.Second, `document.body.innerText.includes("muted by the facilitator")`) {
		t.Error("the member's page does not say they were muted by the facilitator")
	}
	// The gate: no more of the member's audio reaches the facilitator; the
	// video goes on. The audio in flight arrives first (it holds still
	// while the video goes on: a fixed pause is outlasted by a loaded
	// machine), then the video goes on for 75 more packets with no audio.
	audio := signalingtest.AudioSettled(t, member, fac)[0]
	signalingtest.VideoGoesOn(t, member, 75, fac)
	if got := fac.Bytes(member, "audio") - audio; got != 0 {
		t.Errorf("after the mute the facilitator received %d bytes of the member's audio, want 0", got)
	}
	// None of the 20 commands was lost.
	signalingtest.WaitFor(t, 10*time.Second, "every concurrent command at the facilitator", func() bool {
		hands, chats, renamed, cameraOff := seen(fac)
		return hands == 5 && chats == 5 && renamed == 5 && cameraOff == 5
	})
}

// idOf returns the participant id of the person named name, as the bot
// learned it from the room's events.
func idOf(b *signalingtest.Bot, name string) string {
	for _, m := range b.Messages() {
		var ev protocol.Event
		if m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Participant != nil && ev.Participant.Name == name {
			return ev.Participant.ID
		}
	}
	return ""
}

// seen counts, among the events the bot received about the "Other"
// participants: the hands raised (in the last hands event), chat
// messages, renames and cameras turned off.
func seen(b *signalingtest.Bot) (hands, chats, renamed, cameraOff int) {
	names := map[string]string{} // id -> last name
	off := map[string]bool{}
	var lastHands []string
	for _, m := range b.Messages() {
		var ev protocol.Event
		if m.Type != protocol.TypeEvent || m.Decode(&ev) != nil {
			continue
		}
		switch {
		case ev.Kind == "hands":
			lastHands = ev.Hands
		case ev.Kind == "chat" && ev.Message != nil && strings.HasPrefix(ev.Message.Text, "note "):
			chats++
		case ev.Participant != nil:
			names[ev.Participant.ID] = ev.Participant.Name
			off[ev.Participant.ID] = !ev.Participant.Camera
		}
	}
	for id, name := range names {
		if strings.HasPrefix(name, "Renamed") {
			renamed++
		}
		if strings.HasPrefix(name, "Other") && off[id] {
			cameraOff++
		}
		if (strings.HasPrefix(name, "Other") || strings.HasPrefix(name, "Renamed")) && slices.Contains(lastHands, id) {
			hands++
		}
	}
	return hands, chats, renamed, cameraOff
}
