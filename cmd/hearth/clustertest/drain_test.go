package clustertest

import (
	"context"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// joinBots joins two pion bots, sending audio and video, into the
// instance's demo room, and waits until each receives the other's media.
func joinBots(t *testing.T, ctx context.Context, in *proctest.Instance, names ...string) []*signalingtest.Bot {
	t.Helper()
	roomID, key := proctest.RoomAndKey(in.MemberLink)
	var bots []*signalingtest.Bot
	for _, name := range names {
		b := signalingtest.NewBot(t, ctx, in.WS(), protocol.Join{Room: roomID, Name: name, MemberKey: key})
		go b.Send(ctx)
		bots = append(bots, b)
	}
	for _, rx := range bots {
		for _, tx := range bots {
			if rx != tx {
				signalingtest.WaitFor(t, 20*time.Second, "media between the bots", func() bool {
					return rx.Bytes(tx.ID(), "audio") > 0 && rx.Bytes(tx.ID(), "video") > 0
				})
			}
		}
	}
	return bots
}

// SIGTERM with a meeting running on a single instance: /readyz fails at
// once, a newcomer is refused with draining, the meeting's media keeps
// flowing (bytes counted at each receiver rise every second) until the
// drain deadline, and then the server ends the meeting's connections
// (bye shutdown) and exits cleanly. Its logs give counts, never names.
func TestDrainKeepsMediaUntilDeadline(t *testing.T) {
	bin := proctest.Build(t)
	const deadline = 6 * time.Second
	in := proctest.StartWith(t, bin, "--drain-timeout", deadline.String())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	bots := joinBots(t, ctx, in, "Anselm", "Berenike")
	a, b := bots[0], bots[1]

	if err := in.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	signalingtest.WaitFor(t, time.Second, "/readyz to fail after SIGTERM", func() bool {
		return in.ReadyStatus() == http.StatusServiceUnavailable
	})
	t.Logf("/readyz failed %v after SIGTERM", time.Since(signalled).Round(time.Millisecond))
	roomID, key := proctest.RoomAndKey(in.MemberLink)
	c, err := client.DialConn(ctx, in.WS())
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Join(ctx, protocol.Join{Room: roomID, Name: "Latecomer", MemberKey: key})
	_ = c.CloseNow()
	if perr, ok := err.(*protocol.Error); !ok || perr.Code != protocol.CodeDraining {
		t.Fatalf("a join after SIGTERM: %v, want error draining", err)
	}

	// Media flows every second until shortly before the deadline.
	type sample struct{ ab, ba, abv, bav int64 }
	take := func() sample {
		return sample{a.Bytes(b.ID(), "audio"), b.Bytes(a.ID(), "audio"), a.Bytes(b.ID(), "video"), b.Bytes(a.ID(), "video")}
	}
	last := take()
	for sec := 1; time.Since(signalled)+time.Second < deadline; sec++ {
		time.Sleep(time.Until(signalled.Add(time.Duration(sec) * time.Second)))
		now := take()
		if now.ab <= last.ab || now.ba <= last.ba || now.abv <= last.abv || now.bav <= last.bav {
			t.Fatalf("media stopped in second %d of the drain: %+v then %+v", sec, last, now)
		}
		last = now
	}
	select {
	case <-in.Done:
		t.Fatalf("the server exited %v after SIGTERM, before the %v deadline", time.Since(signalled), deadline)
	default:
	}
	if !in.Exited(deadline + 15*time.Second) {
		t.Fatal("the server did not exit after the drain deadline")
	}
	took := time.Since(signalled)
	t.Logf("exited %v after SIGTERM (deadline %v)", took.Round(time.Millisecond), deadline)
	if took < deadline {
		t.Errorf("exited after %v, before the deadline %v", took, deadline)
	}
	if code := in.Cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code %d after a drain, want 0", code)
	}
	signalingtest.WaitFor(t, 5*time.Second, "bye shutdown at the bots", func() bool {
		return hasBye(a, protocol.ByeShutdown) && hasBye(b, protocol.ByeShutdown)
	})
	logs := in.Logs.String()
	if !strings.Contains(logs, "drain deadline reached") || !strings.Contains(logs, `"participants":2`) {
		t.Errorf("the logs do not say the deadline ended a drain with 2 participants:\n%s", logs)
	}
	for _, secret := range []string{"Anselm", "Berenike", "Latecomer", "127.0.0.1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}

// hasBye reports whether the bot was told bye with reason.
func hasBye(b *signalingtest.Bot, reason string) bool {
	for _, m := range b.Messages() {
		var bye protocol.Bye
		if m.Type == protocol.TypeBye && m.Decode(&bye) == nil && bye.Reason == reason {
			return true
		}
	}
	return false
}

// A drain ends as soon as the last meeting ends, long before its
// deadline; and a second SIGTERM ends it at once.
func TestDrainEndsWithTheMeetingOrASecondSignal(t *testing.T) {
	bin := proctest.Build(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, c := range []struct {
		name, after string
		end         func(t *testing.T, in *proctest.Instance, bots []*signalingtest.Bot)
	}{
		{"the meeting ends", "the last participant left", func(t *testing.T, _ *proctest.Instance, bots []*signalingtest.Bot) {
			for _, b := range bots {
				if err := b.P.Leave(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"a second signal", "a second SIGTERM", func(t *testing.T, in *proctest.Instance, _ []*signalingtest.Bot) {
			_ = in.Cmd.Process.Signal(syscall.SIGTERM)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := proctest.StartWith(t, bin, "--drain-timeout", "10m")
			bots := joinBots(t, ctx, in, "Cordelia", "Dashiell")
			_ = in.Cmd.Process.Signal(syscall.SIGTERM)
			if in.Exited(2 * time.Second) {
				t.Fatal("the server exited with a meeting running")
			}
			c.end(t, in, bots)
			ended := time.Now()
			if !in.Exited(5 * time.Second) {
				t.Fatalf("the server did not exit within 5 s after %s", c.after)
			}
			t.Logf("exited %v after %s", time.Since(ended).Round(time.Millisecond), c.after)
		})
	}
}
