package signaling_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// joinCode joins over c and returns the error code of the refusal ("" if
// welcomed).
func joinCode(t *testing.T, ctx context.Context, c *client.Conn, j protocol.Join) (string, protocol.Welcome) {
	t.Helper()
	w, err := c.Join(ctx, j)
	var pe *protocol.Error
	switch {
	case err == nil:
		return "", w
	case errors.As(err, &pe):
		return pe.Code, w
	}
	t.Fatal(err)
	return "", w
}

// A facilitator sets a passcode through the settings: everyone sees only
// passcodeRequired (the passcode and its hash are in no message); a
// member without it gets passcode_required, with a wrong one
// bad_passcode, with the right one a welcome; a second facilitator needs
// none; an empty passcode removes it.
func TestPasscodeOnTheWire(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pass := "serenity prayer"
	_, fw, facIn := joinFacilitator(t, ctx, srv, &protocol.Settings{Passcode: &pass})
	if fw.Room.PasscodeRequired {
		t.Fatal("passcodeRequired before a passcode was set")
	}
	waitFor(t, 5*time.Second, "the room event", func() bool {
		return facIn.count(func(m client.Message) bool { return bytes.Contains(m.Raw, []byte(`"passcodeRequired":true`)) }) > 0
	})

	m := dial(t, ctx, srv)
	if code, _ := joinCode(t, ctx, m, srv.join("Sam")); code != protocol.CodePasscodeRequired {
		t.Errorf("no passcode: %q, want %q", code, protocol.CodePasscodeRequired)
	}
	j := srv.join("Sam")
	j.Passcode = "serenity"
	if code, _ := joinCode(t, ctx, m, j); code != protocol.CodeBadPasscode {
		t.Errorf("wrong passcode: %q, want %q", code, protocol.CodeBadPasscode)
	}
	j.Passcode = pass
	code, w := joinCode(t, ctx, m, j)
	if code != "" || !w.Room.PasscodeRequired {
		t.Fatalf("right passcode: %q, room %+v", code, w.Room)
	}
	f2 := dial(t, ctx, srv)
	fj := srv.join("Fay")
	fj.FacilitatorKey = srv.Room.FacilitatorKey
	if code, _ := joinCode(t, ctx, f2, fj); code != "" {
		t.Errorf("a facilitator without the passcode: %q", code)
	}
	none := ""
	moderate(t, ctx, f2, protocol.Moderate{Action: "settings", Settings: &protocol.Settings{Passcode: &none}})
	waitFor(t, 5*time.Second, "the passcode removed", func() bool {
		return facIn.count(func(m client.Message) bool { return bytes.Contains(m.Raw, []byte(`"passcodeRequired":false`)) }) > 0
	})
	if code, _ := joinCode(t, ctx, dial(t, ctx, srv), srv.join("Ola")); code != "" {
		t.Errorf("after the passcode was removed: %q", code)
	}
	facIn.mu.Lock()
	defer facIn.mu.Unlock()
	for _, msg := range facIn.msgs {
		if bytes.Contains(msg.Raw, []byte("serenity")) || bytes.Contains(msg.Raw, []byte("argon2")) ||
			bytes.Contains(msg.Raw, []byte("passcodeHash")) {
			t.Errorf("a message to the facilitator holds the passcode or its hash: %s", msg.Raw)
		}
	}
}

// Wrong passcodes are limited per client address: after 5 in a minute,
// any join with a passcode from that address gets rate_limited (even the
// right one, over another connection), so the passcode cannot be guessed
// through the public link; a join without a passcode is only told it
// needs one, and the facilitator key still gets in.
func TestWrongPasscodesRateLimited(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pass := "one day at a time"
	joinFacilitator(t, ctx, srv, &protocol.Settings{Passcode: &pass})

	bot := dial(t, ctx, srv)
	var codes []string
	for i := range 7 {
		j := srv.join("Bot")
		j.Passcode = "guess " + string(rune('a'+i))
		code, _ := joinCode(t, ctx, bot, j)
		codes = append(codes, code)
	}
	t.Logf("7 wrong passcodes from one address: %v", codes)
	for i, code := range codes {
		want := protocol.CodeBadPasscode
		if i >= 5 {
			want = protocol.CodeRateLimited
		}
		if code != want {
			t.Errorf("try %d: %q, want %q", i+1, code, want)
		}
	}
	other := dial(t, ctx, srv)
	j := srv.join("Sam")
	j.Passcode = pass
	if code, _ := joinCode(t, ctx, other, j); code != protocol.CodeRateLimited {
		t.Errorf("the right passcode after 5 wrong ones from the same address: %q, want rate_limited", code)
	}
	if code, _ := joinCode(t, ctx, other, srv.join("Sam")); code != protocol.CodePasscodeRequired {
		t.Errorf("no passcode: %q, want passcode_required", code)
	}
	fj := srv.join("Fay")
	fj.FacilitatorKey = srv.Room.FacilitatorKey
	if code, _ := joinCode(t, ctx, dial(t, ctx, srv), fj); code != "" {
		t.Errorf("the facilitator key: %q", code)
	}
}
