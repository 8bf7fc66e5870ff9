package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// testServer is the hearth server running in this process on loopback.
type testServer struct {
	addr            net.Addr
	memberLink      string
	facilitatorLink string
	logs            *signalingtest.SyncBuffer
	// stop stops the server (at the latest when the test ends).
	stop func()
}

// startServer runs the server as `hearth` would run with args on loopback
// (ephemeral ports, loopback-only ICE, debug logs captured).
func startServer(t *testing.T, extra ...string) *testServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	logs := &signalingtest.SyncBuffer{}
	ready := make(chan net.Addr, 1)
	done := make(chan error, 1)
	args := append([]string{"--addr", "127.0.0.1:0", "--ice-udp-port", "0", "--ice-loopback-only", "--log-level", "debug",
		"--data-dir", t.TempDir()}, extra...)
	go func() {
		done <- run(ctx, nil, args, func(string) string { return "" }, stdoutW, logs, ready)
		_ = stdoutW.Close()
	}()
	ts := &testServer{logs: logs}
	sc := bufio.NewScanner(stdoutR)
	for ts.facilitatorLink == "" && sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "member link: "); ok {
			ts.memberLink = v
		}
		if v, ok := strings.CutPrefix(line, "facilitator link: "); ok {
			ts.facilitatorLink = v
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	select {
	case ts.addr = <-ready:
	case err := <-done:
		t.Fatalf("server did not start: %v\n%s", err, logs)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start in 20 s")
	}
	var once sync.Once
	ts.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("server stopped with %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("server did not stop in 15 s after cancel")
			}
		})
	}
	t.Cleanup(ts.stop)
	return ts
}

// linkRE matches a room's link: the room's address and a key of 256 bits
// in the fragment, #k= (member), #f= (facilitator) or #i= (invite).
var linkRE = regexp.MustCompile(`^(http://127\.0\.0\.1:\d+/r/[0-9a-f-]{36})#([kfi])=([A-Za-z0-9_-]{43})$`)

// checkLinks checks a room's two links: the same room, the member link
// with #k=, the facilitator link with #f=, two different keys.
func checkLinks(t *testing.T, member, facilitator string) {
	t.Helper()
	m, f := linkRE.FindStringSubmatch(member), linkRE.FindStringSubmatch(facilitator)
	if m == nil || m[2] != "k" {
		t.Errorf("member link %q does not look like http://127.0.0.1:<port>/r/<uuid>#k=<key>", member)
	}
	if f == nil || f[2] != "f" {
		t.Errorf("facilitator link %q does not look like http://127.0.0.1:<port>/r/<uuid>#f=<key>", facilitator)
	}
	if m != nil && f != nil && (m[1] != f[1] || m[3] == f[3]) {
		t.Errorf("links %q and %q: not the same room, or the same key", member, facilitator)
	}
}

// The server prints the two links, exactly in the documented form; the
// facilitator link carries a secret the member link does not.
func TestPrintsLinks(t *testing.T) {
	ts := startServer(t)
	checkLinks(t, ts.memberLink, ts.facilitatorLink)
}

// The operators' API creates rooms with its token, and refuses without.
func TestAdminCreatesRooms(t *testing.T) {
	ts := startServer(t, "--admin-token", "s3cret")
	url := "http://" + ts.addr.String() + "/api/rooms"
	post := func(token string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"name":"Thursday group"}`))
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	if r := post(""); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("no token: status %d, want 401", r.StatusCode)
	}
	if r := post("wrong"); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: status %d, want 401", r.StatusCode)
	}
	r := post("s3cret")
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("status %d, want 201", r.StatusCode)
	}
	var created struct{ ID, MemberLink, FacilitatorLink string }
	if err := json.NewDecoder(r.Body).Decode(&created); err != nil {
		t.Fatal(err)
	}
	checkLinks(t, created.MemberLink, created.FacilitatorLink)
	if strings.Contains(ts.memberLink, created.ID) {
		t.Error("the new room has the demo room's id")
	}
}
