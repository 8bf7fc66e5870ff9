package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pion/rtp"

	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// Four bots in one room of an in-process server, all publishing audio and
// the first also video, for 10 s: every bot gets every track of the three
// others, loss stays under 1 %, and every bot has a join time.
func TestLoadAgainstTestServer(t *testing.T) {
	srv := signalingtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"--url", srv.URL, "--admin-token", signalingtest.AdminToken,
		"--rooms", "1", "--participants", "4", "--video-publishers", "1",
		"--duration", "10s", "--server-pid", strconv.Itoa(os.Getpid()), "--json"}
	err := run(ctx, args, &stdout, &stderr)
	t.Logf("stderr:\n%s", stderr.String())
	if err != nil {
		t.Fatalf("run: %v\nreport: %s", err, stdout.String())
	}
	var rep Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, stdout.String())
	}
	var summary bytes.Buffer
	writeSummary(&summary, &rep)
	t.Logf("report:\n%s", summary.String())

	if rep.Joined != 4 || len(rep.Errors) != 0 || len(rep.Warnings) != 0 {
		t.Errorf("joined %d of 4, errors %q, warnings %q", rep.Joined, rep.Errors, rep.Warnings)
	}
	if rep.MediaJoinMs.N != 4 || rep.SignalingJoinMs.N != 4 {
		t.Errorf("join times for %d (media) and %d (signaling) bots, want 4", rep.MediaJoinMs.N, rep.SignalingJoinMs.N)
	}
	if rep.WindowS < 3 {
		t.Errorf("measured over %.1f s only", rep.WindowS)
	}
	// Every bot receives the audio of the three others, and the video of
	// Bot1-1 unless it is Bot1-1.
	received := map[string]int64{}
	for _, tr := range rep.PerTrack {
		received[tr.Receiver+"<"+tr.Publisher+"/"+tr.Kind] += tr.Received
	}
	const wantTracks = 4*3 + 3
	if rep.Tracks.Expected != wantTracks || rep.Tracks.Receiving != wantTracks || rep.Tracks.Missing != 0 {
		t.Errorf("tracks %+v, want %d expected and receiving", rep.Tracks, wantTracks)
	}
	for rx := 1; rx <= 4; rx++ {
		for tx := 1; tx <= 4; tx++ {
			if rx == tx {
				continue
			}
			kinds := []string{"audio"}
			if tx == 1 {
				kinds = append(kinds, "video")
			}
			for _, kind := range kinds {
				key := fmt.Sprintf("Bot1-%d<Bot1-%d/%s", rx, tx, kind)
				if received[key] == 0 {
					t.Errorf("%s: no packets in the window", key)
				}
			}
		}
	}
	for _, f := range []struct {
		name string
		f    Flow
	}{{"audio", rep.Audio}, {"video", rep.VideoFlow}, {"total", rep.Total}} {
		if f.f.Received == 0 || f.f.LossPct >= 1 {
			t.Errorf("%s: received %d, loss %.3f %%; want packets and loss < 1 %%", f.name, f.f.Received, f.f.LossPct)
		}
		if f.f.LatencyMs.N == 0 {
			t.Errorf("%s: no latency measured", f.name)
		}
	}
	// 4 audio publishers at 50 packets/s each (the senders catch up when
	// the machine is busy), received by 3 bots each.
	if sent := float64(rep.Audio.Sent) / rep.WindowS; sent < 4*50*0.9 || sent > 4*50*1.1 {
		t.Errorf("audio: %.0f packets/s sent, want about %d", sent, 4*50)
	}
	if pps := rep.Audio.PacketsPerS; pps < 12*50*0.85 {
		t.Errorf("audio: %.0f packets/s received, want about %d", pps, 12*50)
	}
	if rep.Server == nil || rep.Server.CPUSeconds <= 0 || rep.Server.PacketsPerCPUSecond <= 0 || rep.Server.RSSPeakMiB <= 0 {
		t.Errorf("server stats %+v, want CPU time and memory", rep.Server)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--admin-token is required"},
		{[]string{"--admin-token=x", "--duration=2h"}, "--duration"},
		{[]string{"--admin-token=x", "--duration=3s"}, "no measuring window"},
		{[]string{"--admin-token=x", "--participants=3", "--video-publishers=4"}, "--video-publishers"},
		{[]string{"--room-link=http://h/x/y"}, "not a room link"},
		{[]string{"--room-link=http://h/r/abc", "--rooms=2"}, "--room-link gives one room"},
		{[]string{"--admin-token=x", "--url=ftp://h"}, "--url"},
		{[]string{"--admin-token=x", "--server-pid=1,x"}, "not a process id"},
		{[]string{"--admin-token=x", "--simulcast-bitrates=150,500"}, "--simulcast-bitrates"},
		{[]string{"--admin-token=x", "--tile-sizes=640"}, "--tile-sizes"},
		{[]string{"--admin-token=x", "--participants=5", "--hands=6"}, "--hands"},
	} {
		_, err := parseConfig(tc.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one about %s", tc.args, err, tc.want)
		}
	}
	c, err := parseConfig([]string{"--room-link=http://127.0.0.1:9/r/abc#k=m&f=k"}, io.Discard)
	if err != nil || c.room != (roomRef{ID: "abc", MemberKey: "m", FacilitatorKey: "k"}) || c.URLs[0] != "http://127.0.0.1:9" || c.Rooms != 1 || c.AudioPublishers != 4 {
		t.Errorf("room link config %+v, %v", c, err)
	}
	c, err = parseConfig([]string{"--admin-token=x", "--server-pid=12,34", "--simulcast", "--tile-sizes=0x0,640x360"}, io.Discard)
	if err != nil || c.ServerPID != 12 || len(c.ServerPIDs) != 2 || c.ServerPIDs[1] != 34 || len(c.TileSizes) != 2 || c.TileSizes[1] != [2]int{640, 360} {
		t.Errorf("config %+v, %v", c, err)
	}
	if got := wsURL("https://example.org"); got != "wss://example.org/ws" {
		t.Errorf("wsURL: %s", got)
	}
}

// The receiver side: sequence numbers that wrap, a lost packet, and the
// send time behind a VP8 descriptor and key frame header.
func TestRxTrackAccounting(t *testing.T) {
	rx := &rxTrack{kind: "video"}
	now := time.Now().UnixNano()
	payload := make([]byte, 40)
	for i, seq := range []uint16{65533, 65534, 65535, 1, 2} { // 0 is lost
		payload[0] = 0x10
		key := vp8KeyHeader(640, 360)
		off := 1 + copy(payload[1:], key[:])
		if i%2 == 1 {
			payload[0] = 0x00 // not the start of a frame
			off = 1
		}
		binary.BigEndian.PutUint64(payload[off:], uint64(now-int64(2*time.Millisecond)))
		pkt, err := (&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, PayloadType: 96}, Payload: payload}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		rx.onPacket(pkt, now, true)
	}
	if rx.expected() != 6 || rx.received != 5 || lossPct(rx.expected(), rx.received) < 16 {
		t.Errorf("expected %d, received %d", rx.expected(), rx.received)
	}
	if rx.stamped != 5 {
		t.Fatalf("%d packets with a send time, want 5", rx.stamped)
	}
	if q := rx.latency.quantile(0.5); q < 1.9 || q > 2.1 {
		t.Errorf("latency p50 %.3f ms, want 2", q)
	}
	var h histogram
	for i := range 1000 {
		h.add(time.Duration(i) * time.Millisecond)
	}
	if p99 := h.quantile(0.99); p99 < 960 || p99 > 1020 {
		t.Errorf("p99 of 0..999 ms: %.1f", p99)
	}
	if s := shapeVideo(500); s.fps != 30 || s.packetsPerFrame != 2 || s.payload < 1000 {
		t.Errorf("500 kbit/s shape %+v", s)
	}
}

// A sender that wakes up late catches up, but not without bound.
func TestPacer(t *testing.T) {
	t0 := time.Now()
	p := pacer{start: t0, interval: 20 * time.Millisecond}
	for _, step := range []struct {
		at   time.Duration
		want int
	}{{0, 1}, {10 * time.Millisecond, 0}, {20 * time.Millisecond, 1}, {100 * time.Millisecond, 4}, {time.Second, maxCatchUp}, {time.Second + 20*time.Millisecond, 1}} {
		if got := p.due(t0.Add(step.at)); got != step.want {
			t.Errorf("at %v: %d due, want %d", step.at, got, step.want)
		}
	}
}

// runLoad runs hearth-load with args against srv and returns its report.
func runLoad(t *testing.T, srv *signalingtest.Server, timeout time.Duration, args ...string) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	args = append([]string{"--url", srv.URL, "--admin-token", signalingtest.AdminToken, "--json",
		"--server-pid", strconv.Itoa(os.Getpid())}, args...)
	err := run(ctx, args, &stdout, &stderr)
	t.Logf("stderr:\n%s", stderr.String())
	var rep Report
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		t.Fatalf("run: %v; report is not JSON: %v\n%s", err, jerr, stdout.String())
	}
	var summary bytes.Buffer
	writeSummary(&summary, &rep)
	t.Logf("report:\n%s", summary.String())
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return rep
}

// Two bots publish their cameras in three simulcast layers (q, h, f at
// 150, 500 and 1500 kbit/s); the five bots show every camera at
// 320x180, 640x360, 1280x720, 320x180 and 640x360 (round-robin): each
// gets every camera in the layer of its tile's size from the SFU, every
// layer is forwarded, and no video is lost.
func TestSimulcastLayersReceived(t *testing.T) {
	srv := signalingtest.Start(t)
	rep := runLoad(t, srv, 30*time.Second, "--rooms", "1", "--participants", "5", "--audio-publishers", "1",
		"--video-publishers", "2", "--simulcast", "--duration", "10s")
	if rep.Joined != 5 || len(rep.Errors) != 0 || rep.Tracks.Missing != 0 {
		t.Errorf("joined %d of 5, errors %q, tracks %+v", rep.Joined, rep.Errors, rep.Tracks)
	}
	if got := strings.Join(rep.TileSizes, " "); got != "320x180 640x360 1280x720" {
		t.Errorf("tile sizes %q", got)
	}
	for _, rid := range []string{"q", "h", "f"} {
		if rep.VideoFlow.SentByLayer[rid] == 0 || rep.VideoFlow.ReceivedByLayer[rid] == 0 {
			t.Errorf("layer %s: sent %v, received %v by layer", rid, rep.VideoFlow.SentByLayer, rep.VideoFlow.ReceivedByLayer)
		}
	}
	// Most of what each gets in the window is its tile's layer (the first
	// packets may be another, until a keyframe of it).
	want := map[string]string{"Bot1-1": "q", "Bot1-2": "h", "Bot1-3": "f", "Bot1-4": "q", "Bot1-5": "h"}
	videos := 0
	for _, tr := range rep.PerTrack {
		if tr.Kind != "video" {
			continue
		}
		videos++
		var all int64
		for _, n := range tr.ByLayer {
			all += n
		}
		if rid := want[tr.Receiver]; all == 0 || tr.ByLayer[rid]*10 < all*9 {
			t.Errorf("%s got %v by layer from %s, want mostly %s", tr.Receiver, tr.ByLayer, tr.Publisher, rid)
		}
		if tr.LossPct >= 1 {
			t.Errorf("%s: video loss %.2f %%", tr.Receiver, tr.LossPct)
		}
	}
	if videos != 8 {
		t.Errorf("%d video tracks received, want 8 (2 to each of 3 bots, 1 to each publisher)", videos)
	}
}

// Six bots, one of them speaking, two raising and lowering their hands
// every second and a chat message every half second: every command is
// answered by the event coming back to its sender, and every bot gets
// every chat message.
func TestHandsAndChatTimed(t *testing.T) {
	srv := signalingtest.Start(t)
	rep := runLoad(t, srv, 30*time.Second, "--rooms", "1", "--participants", "6", "--audio-publishers", "1",
		"--hands", "2", "--hand-interval", "1s", "--chat-interval", "500ms", "--duration", "9s")
	if rep.Joined != 6 || len(rep.Errors) != 0 || len(rep.Warnings) != 0 {
		t.Errorf("joined %d of 6, errors %q, warnings %q", rep.Joined, rep.Errors, rep.Warnings)
	}
	// The window is about 5 s: each hand bot sends about 4 commands
	// (half raises, half lowers), the chat about 9 messages.
	for _, kind := range []string{cmdRaise, cmdLower, cmdChat} {
		c := rep.Commands[kind]
		if c.Sent < 2 || c.Answered != c.Sent || c.Lost != 0 || c.Refused != 0 || c.RTTMs.N != c.Sent || c.RTTMs.P50 <= 0 {
			t.Errorf("%s: %+v, want every command answered with a round trip", kind, c)
		}
	}
	if c := rep.Chat; c == nil || c.Messages != rep.Commands[cmdChat].Sent || c.Expected != int64(6*c.Messages) || c.Delivered != c.Expected {
		t.Errorf("chat %+v, want each of %d messages delivered to the 6 bots", c, rep.Commands[cmdChat].Sent)
	}
}

// Bots started with --twcc send transport-wide feedback as browsers do:
// the server estimates their bandwidth (its estimates histogram fills),
// and the media still arrives whole. Without it, nothing is estimated.
func TestTWCCBotsAreEstimated(t *testing.T) {
	for _, twcc := range []bool{false, true} {
		srv := signalingtest.Start(t)
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		args := []string{"--url", srv.URL, "--admin-token", signalingtest.AdminToken,
			"--rooms", "1", "--participants", "3", "--video-publishers", "1",
			"--duration", "7s", "--json", "--twcc=" + strconv.FormatBool(twcc)}
		var stdout, stderr bytes.Buffer
		err := run(ctx, args, &stdout, &stderr)
		cancel()
		if err != nil {
			t.Fatalf("--twcc=%v: run: %v\nstderr: %s", twcc, err, stderr.String())
		}
		var rep Report
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("report is not JSON: %v", err)
		}
		_, estimates, _ := srv.SFU.Stats().Estimates.Snapshot()
		t.Logf("--twcc=%v: %d estimates, loss %.2f %%", twcc, estimates, rep.Total.LossPct)
		if rep.TWCC != twcc || rep.Joined != 3 || rep.Total.Received == 0 || rep.Total.LossPct >= 1 {
			t.Errorf("--twcc=%v: report twcc %v, joined %d, received %d, loss %.2f %%; want all joined and < 1 %% lost",
				twcc, rep.TWCC, rep.Joined, rep.Total.Received, rep.Total.LossPct)
		}
		if twcc && estimates == 0 {
			t.Errorf("--twcc: the server made no bandwidth estimate for the bots")
		}
		if !twcc && estimates != 0 {
			t.Errorf("without --twcc: %d estimates, want none (the bots give no feedback)", estimates)
		}
	}
}
