package netlab

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Process is a program running inside a namespace, killed (with its
// children) when the test ends.
type Process struct {
	name string
	cmd  *exec.Cmd
	out  *buffer
	done chan struct{} // closed when the process has exited
}

// Start runs a program inside the namespace. Its stdout and stderr are
// kept (Output); when the test fails, their end is logged. The process
// gets its own process group, killed at the end of the test; it is also
// killed if the test process dies.
func (ns *NS) Start(program string, args ...string) *Process {
	ns.lab.t.Helper()
	argv := append(ns.Exec(), program)
	cmd := exec.Command(argv[0], append(argv[1:], args...)...)
	out := &buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		ns.lab.t.Fatalf("netlab: start %s in %s: %v", program, ns.Name, err)
	}
	p := &Process{name: program, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(p.done) }()
	t := ns.lab.t
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("netlab: output of %s in %s (end):\n%s", program, ns.Name, tail(out.String(), 6000))
		}
	})
	return p
}

// Stop ends the process and its children: SIGTERM, then SIGKILL after
// 5 s. It returns once the process has exited.
func (p *Process) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
	}
	// Children that ignored SIGTERM (browser helpers) go too.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// Done is closed when the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Output is everything the process wrote so far (stdout and stderr).
func (p *Process) Output() string { return p.out.String() }

// WaitOutput waits until the process has written a line containing
// substr, and returns that line; ok is false if the process exited or
// the timeout passed first.
func (p *Process) WaitOutput(substr string, timeout time.Duration) (line string, ok bool) {
	deadline := time.Now().Add(timeout)
	for {
		for _, l := range strings.Split(p.out.String(), "\n") {
			if strings.Contains(l, substr) {
				return l, true
			}
		}
		select {
		case <-p.done:
			return "", false
		default:
		}
		if time.Now().After(deadline) {
			return "", false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Do runs f on an operating system thread that has entered the
// namespace: sockets f opens belong to the namespace (and stay usable
// from any goroutine afterwards). Goroutines f starts do not run in the
// namespace.
func (ns *NS) Do(f func() error) error {
	errc := make(chan error, 1)
	go func() {
		// The thread is unlocked (returned to the scheduler) only if it
		// is back in the host's namespace; otherwise it dies with this
		// goroutine.
		runtime.LockOSThread()
		host, err := os.Open(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid()))
		if err != nil {
			errc <- fmt.Errorf("netlab: open this thread's namespace: %w", err)
			return
		}
		defer host.Close()
		target, err := os.Open("/run/netns/" + ns.Name)
		if err != nil {
			errc <- fmt.Errorf("netlab: open namespace %s: %w", ns.Name, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("netlab: enter namespace %s: %w", ns.Name, err)
			return
		}
		ferr := f()
		if unix.Setns(int(host.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		errc <- ferr
	}()
	return <-errc
}

// DialContext connects to addr from inside the namespace (e.g. the
// hearth server or a browser's debugging port listening there); the
// connection is used from the test process as any other.
func (ns *NS) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() error {
		var err error
		c, err = (&net.Dialer{}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// HTTPClient is an HTTP client whose connections start inside the
// namespace.
func (ns *NS) HTTPClient() *http.Client {
	return &http.Client{
		Timeout:   20 * time.Second,
		Transport: &http.Transport{DialContext: ns.DialContext, DisableKeepAlives: true},
	}
}

// buffer is a bytes.Buffer safe for concurrent use, bounded to its last
// megabyte.
type buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

const bufferMax = 1 << 20

func (b *buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len()+len(p) > bufferMax {
		keep := append([]byte(nil), b.b.Bytes()[b.b.Len()/2:]...)
		b.b.Reset()
		b.b.Write(keep)
	}
	return b.b.Write(p)
}

func (b *buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
