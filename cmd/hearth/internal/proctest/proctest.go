// Package proctest runs hearth processes for tests: it builds the server
// once per test process and flag set, starts instances on loopback (each
// with its own data directory, on ephemeral ports), creates rooms through
// their operators' API, and balances HTTP and WebSocket traffic over them
// as a load balancer without sticky sessions would.
package proctest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/internal/netlab"
	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// AdminToken is the operators' API token of every instance Start makes.
const AdminToken = "tok"

// Build compiles the server (without the race detector, as it is
// shipped) with extra flags of go build, once per test process and set of
// flags (netlab.BuildHearth), and returns the binary's path.
func Build(t testing.TB, flags ...string) string {
	t.Helper()
	return netlab.BuildHearth(t, flags...)
}

// FreeTCPPort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreeTCPPort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Instance is a hearth process started by a test.
type Instance struct {
	Cmd  *exec.Cmd
	Addr string // 127.0.0.1:port
	// Logs holds what the process logged (stderr, debug level).
	Logs *signalingtest.SyncBuffer
	// Done is closed when the process has exited.
	Done chan struct{}
	// the demo room's links, as printed
	MemberLink, FacilitatorLink string
}

// WS is the instance's signaling endpoint.
func (in *Instance) WS() string { return "ws://" + in.Addr + "/ws" }

// HTTP is the instance's base URL.
func (in *Instance) HTTP() string { return "http://" + in.Addr }

// Start starts an instance on the Redis server at redisAddr.
func Start(t testing.TB, bin, redisAddr string) *Instance {
	t.Helper()
	return StartWith(t, bin, "--redis-url", "redis://"+redisAddr+"/0")
}

// Cluster builds hearth once and starts n instances of it sharing a
// fresh redis-server, as an operator runs several behind a balancer.
func Cluster(t testing.TB, n int) []*Instance {
	t.Helper()
	rs := redistest.Start(t)
	bin := Build(t)
	ins := make([]*Instance, n)
	for i := range ins {
		ins[i] = Start(t, bin, rs.Addr())
	}
	return ins
}

// StartWith starts a hearth process on loopback with the extra arguments
// and waits until /readyz answers OK. It is stopped when the test ends.
// A process that exits before printing its links (it prints them once it
// holds its port) is started again on another port, up to three times:
// the free port may be taken meanwhile (another test's instance or
// redis-server), and a /readyz on it would be answered by that process.
func StartWith(t testing.TB, bin string, extra ...string) *Instance {
	t.Helper()
	for try := 1; ; try++ {
		in := start(t, bin, extra...)
		if in.FacilitatorLink != "" {
			// Ready within 20 s: a loaded machine starts a process slowly.
			signalingtest.WaitFor(t, 20*time.Second, "instance ready", func() bool { return in.ReadyStatus() == http.StatusOK })
			return in
		}
		<-in.Done
		if try == 3 {
			t.Fatalf("hearth exited before printing its links, three times; the last time on %s:\n%s", in.Addr, in.Logs)
		}
		t.Logf("hearth on %s exited before printing its links (its port taken?); again on another port", in.Addr)
	}
}

// start starts a hearth process on a free port of loopback and reads its
// links; they are empty when it exited first.
func start(t testing.TB, bin string, extra ...string) *Instance {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", FreeTCPPort(t))
	in := &Instance{Addr: addr, Logs: &signalingtest.SyncBuffer{}, Done: make(chan struct{})}
	in.Cmd = exec.Command(bin, append([]string{"--addr", addr, "--ice-udp-port", "0", "--ice-loopback-only",
		"--admin-token", AdminToken, "--log-level", "debug", "--instance-url", "ws://" + addr + "/ws", "--data-dir", t.TempDir()}, extra...)...)
	in.Cmd.Stderr = in.Logs
	stdout, _ := in.Cmd.StdoutPipe()
	if err := in.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = in.Cmd.Wait(); close(in.Done) }()
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("HEARTH_TEST_LOGS") != "" {
			t.Logf("logs of %s:\n%s", addr, in.Logs)
		}
		in.Stop()
	})
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "member link: "); ok {
			in.MemberLink = v
		}
		if v, ok := strings.CutPrefix(sc.Text(), "facilitator link: "); ok {
			in.FacilitatorLink = v
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return in
}

// ReadyStatus is the status /readyz answers now, 0 if none.
func (in *Instance) ReadyStatus() int {
	r, err := http.Get(in.HTTP() + "/readyz")
	if err != nil {
		return 0
	}
	r.Body.Close()
	return r.StatusCode
}

// Exited waits up to d for the instance to exit and reports whether it
// did.
func (in *Instance) Exited(d time.Duration) bool {
	select {
	case <-in.Done:
		return true
	case <-time.After(d):
		return false
	}
}

// Stop ends the instance: SIGTERM starts its drain (which ends at once
// when no participant is left), a second one a second later ends it, a
// kill 10 s after that.
func (in *Instance) Stop() {
	for _, wait := range []time.Duration{time.Second, 10 * time.Second} {
		_ = in.Cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.Done:
			return
		case <-time.After(wait):
		}
	}
	_ = in.Cmd.Process.Kill()
	<-in.Done
}

// Created is a room the operators' API created.
type Created struct{ ID, MemberLink, FacilitatorLink string }

// CreateRoom creates a room through an instance's operators' API and
// returns it (id and links) and its facilitator key.
func CreateRoom(t testing.TB, in *Instance, name string) (created Created, key string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name})
	req, _ := http.NewRequest(http.MethodPost, in.HTTP()+"/api/rooms", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+AdminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil || created.ID == "" {
		t.Fatalf("create room: status %d, %v", resp.StatusCode, err)
	}
	_, key = RoomAndKey(created.FacilitatorLink)
	return created, key
}

// RoomAndKey splits a room link into the room's id and the key in its
// fragment.
func RoomAndKey(link string) (roomID, key string) {
	base, frag, _ := strings.Cut(link, "#")
	_, key, _ = strings.Cut(frag, "=")
	return base[strings.LastIndex(base, "/")+1:], key
}

// Balancer is a plain HTTP/WebSocket load balancer without sticky
// sessions, in front of whichever instances it is given.
type Balancer struct {
	mu       sync.Mutex
	backends []*Instance
	next     int
}

// Set replaces the instances traffic goes to.
func (lb *Balancer) Set(ins ...*Instance) {
	lb.mu.Lock()
	defer lb.mu.Unlock()
	lb.backends = ins
}

// ServeHTTP passes the request to the next instance, round robin.
func (lb *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	lb.mu.Lock()
	in := lb.backends[lb.next%len(lb.backends)]
	lb.next++
	lb.mu.Unlock()
	target, _ := url.Parse(in.HTTP())
	httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
}

// MemberJoin is the join of name through a member link.
func MemberJoin(link, name string) protocol.Join {
	id, key := RoomAndKey(link)
	return protocol.Join{Room: id, Name: name, MemberKey: key}
}
