// Package redistest runs a real redis-server for tests: on a free port of
// 127.0.0.1, without persistence of its own, in a temporary directory, and
// stopped when the test ends. A test can stop it and start it again on the
// same port to see how its code lives through a Redis outage.
//
// The binary is redis-server from PATH, or /usr/bin/redis-server. When
// there is none the test is skipped, unless the environment variable
// HEARTH_REQUIRE_REDIS is set, in which case it fails.
package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing redis-server
// from a skip into a failure.
const RequireEnv = "HEARTH_REQUIRE_REDIS"

const (
	readyTimeout = 10 * time.Second
	stopTimeout  = 10 * time.Second
)

// Server is a redis-server run for one test. Its methods may be called
// from any goroutine.
type Server struct {
	t    testing.TB
	bin  string
	dir  string
	port int

	mu   sync.Mutex // guards cmd, done, out and held
	cmd  *exec.Cmd  // nil when stopped
	done chan struct{}
	out  *syncBuffer
	// held releases the port kept taken while the server is stopped.
	held func()
}

// Start starts a redis-server for t on a free port of 127.0.0.1 and waits
// until it answers PING. It is killed when t ends.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary(t)
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.kill)
	var err error
	// Another process may take the free port between our probe and
	// redis-server's bind: try a few ports.
	for range 5 {
		if s.port, err = freePort(); err != nil {
			t.Fatalf("redistest: find a free port: %v", err)
		}
		if err = s.start(); err == nil {
			return s
		}
	}
	t.Fatalf("redistest: %v", err)
	return nil
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Stop stops the server, saving its data first (SHUTDOWN SAVE) so that
// Start brings the same data back, as a Redis that persists would. Every
// client connection is closed. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.t.Helper()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	// On success redis-server closes the connection without a reply.
	if reply, err := send(s.Addr(), "SHUTDOWN SAVE"); err == nil || reply != "" {
		s.t.Logf("redistest: SHUTDOWN SAVE answered %q, %v; killing", reply, err)
		_ = cmd.Process.Kill()
	}
	select {
	case <-done:
	case <-time.After(stopTimeout):
		_ = cmd.Process.Kill()
		<-done
	}
	s.mu.Lock()
	s.cmd = nil
	s.held = holdPort(s.Addr())
	s.mu.Unlock()
}

// Start starts the stopped server again on the same port and waits until
// it answers PING. Starting a running server does nothing.
func (s *Server) Start() {
	s.t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		return
	}
	s.release()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart: %v", err)
	}
}

func (s *Server) start() error {
	out := &syncBuffer{}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--logfile", "",
	)
	cmd.Stdout, cmd.Stderr = out, out
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	deadline := time.Now().Add(readyTimeout)
	for {
		// The server answering must be this one: when another process
		// took the port between freePort and the bind (another test's
		// redis-server), ours exits, and a PING would be answered by
		// theirs.
		reply, err := send(s.Addr(), "PING")
		if err == nil && reply == "+PONG" && servedBy(s.Addr(), cmd.Process.Pid) {
			break
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server exited: %s", strings.TrimSpace(out.String()))
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("redis-server did not answer PING within %v (%q, %v); output: %s", readyTimeout, reply, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.mu.Lock()
	s.cmd, s.done, s.out = cmd, done, out
	s.mu.Unlock()
	return nil
}

// release frees the port held while the server was stopped.
func (s *Server) release() {
	s.mu.Lock()
	held := s.held
	s.held = nil
	s.mu.Unlock()
	if held != nil {
		held()
	}
}

// kill ends the server at cleanup, without saving.
func (s *Server) kill() {
	s.release()
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// holdPort keeps addr's port taken while its server is down, so that no
// other process (another test's redis-server, started on a free port)
// takes it meanwhile: clients that connect find a dead server, the
// connection closed at once, as they would find a machine that went
// away, and never somebody else's Redis. Tests run in parallel in
// several packages, and a stopped server's port was seen taken by the
// primary of TestSentinelFailover, whose clients then reached the wrong
// Redis. The returned function frees the port.
func holdPort(addr string) (release func()) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return func() {} // taken already: nothing to hold
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return func() {
		_ = ln.Close()
		<-done
	}
}

// servedBy reports whether the redis-server listening on addr is the
// process pid (INFO server's process_id).
func servedBy(addr string, pid int) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("INFO server\r\n")); err != nil {
		return false
	}
	want := "process_id:" + strconv.Itoa(pid)
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if strings.TrimSpace(line) == want {
			return true
		}
		if err != nil || strings.HasPrefix(line, "process_id:") {
			return false
		}
	}
}

// send sends one inline command and returns the first line of the reply.
func send(addr, cmd string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte(cmd + "\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

// binary returns redis-server's path; without one it skips t, or fails
// it when RequireEnv is set.
func binary(t testing.TB) string {
	t.Helper()
	bin := findBinary()
	if bin == "" {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("redis-server not found in PATH nor at /usr/bin/redis-server, and %s is set", RequireEnv)
		}
		t.Skipf("redis-server not found (set %s to make this a failure)", RequireEnv)
	}
	return bin
}

func findBinary() string {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	if st, err := os.Stat("/usr/bin/redis-server"); err == nil && !st.IsDir() {
		return "/usr/bin/redis-server"
	}
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// syncBuffer is a bytes.Buffer safe for the process's writes and our reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
