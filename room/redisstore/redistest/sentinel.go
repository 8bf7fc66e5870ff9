package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name a Sentinels set watches its primary under.
const MasterName = "hearth"

// Sentinels is a Redis primary, one replica of it and three Sentinels
// watching them (quorum 2), all on 127.0.0.1, started by StartSentinels
// and killed when the test ends. The Sentinels judge the primary down
// after one second without an answer and then promote the replica.
type Sentinels struct {
	t         testing.TB
	primary   *proc
	replica   *proc
	sentinels []*proc
}

// proc is one redis-server process of a Sentinels set.
type proc struct {
	port int
	cmd  *exec.Cmd
	done chan struct{}
	out  *syncBuffer
}

func (p *proc) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(p.port)) }

func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// StartSentinels starts the set and waits until every Sentinel knows the
// replica and the two other Sentinels (so that a failover can be voted).
// Like Start, it skips the test when there is no redis-server.
func StartSentinels(t testing.TB) *Sentinels {
	t.Helper()
	bin := binary(t)
	s := &Sentinels{t: t}
	dir := t.TempDir()
	s.primary = s.start(bin, filepath.Join(dir, "primary"), nil, "")
	s.replica = s.start(bin, filepath.Join(dir, "replica"), []string{"--replicaof", "127.0.0.1", strconv.Itoa(s.primary.port)}, "")
	for i := range 3 {
		conf := fmt.Sprintf("bind 127.0.0.1\nprotected-mode no\n"+
			"sentinel monitor %s 127.0.0.1 %d 2\n"+
			"sentinel down-after-milliseconds %[1]s 1000\n"+
			"sentinel failover-timeout %[1]s 10000\n"+
			"sentinel parallel-syncs %[1]s 1\n", MasterName, s.primary.port)
		s.sentinels = append(s.sentinels, s.start(bin, filepath.Join(dir, fmt.Sprintf("sentinel%d", i)), nil, conf))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, sn := range s.sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: sn.addr()})
		for {
			replicas, err1 := c.Replicas(ctx, MasterName).Result()
			peers, err2 := c.Sentinels(ctx, MasterName).Result()
			if err1 == nil && err2 == nil && len(replicas) == 1 && len(peers) == 2 && settled(replicas[0]) {
				break
			}
			if ctx.Err() != nil {
				_ = c.Close()
				t.Fatalf("redistest: the Sentinels did not find each other and the replica within 30 s (%v, %v)", err1, err2)
			}
			time.Sleep(100 * time.Millisecond)
		}
		_ = c.Close()
	}
	return s
}

// settled reports whether a Sentinel's view of the replica (SENTINEL
// REPLICAS) is one it can promote: linked to the primary and refreshed
// lately. Right after the Sentinels found it, their view may be neither,
// and a failover then waits for the next refresh (every 10 s): tests
// would measure the Sentinels' start, not the failover.
func settled(replica map[string]string) bool {
	refresh, err := strconv.Atoi(replica["info-refresh"])
	return replica["flags"] == "slave" && replica["master-link-status"] == "ok" && err == nil && refresh < 5000
}

// start runs one redis-server in dir on a free port: a Sentinel when conf
// is its configuration, else a data server with args. It waits until the
// process answers PING.
func (s *Sentinels) start(bin, dir string, args []string, conf string) *proc {
	s.t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	for range 5 { // another process may take the free port first
		port, err := freePort()
		if err != nil {
			s.t.Fatalf("redistest: find a free port: %v", err)
		}
		p := &proc{port: port, done: make(chan struct{}), out: &syncBuffer{}}
		if conf != "" {
			file := filepath.Join(dir, "sentinel.conf") // Sentinel rewrites it as it learns
			if err := os.WriteFile(file, []byte(fmt.Sprintf("port %d\ndir %s\n%s", port, dir, conf)), 0o600); err != nil {
				s.t.Fatal(err)
			}
			p.cmd = exec.Command(bin, file, "--sentinel")
		} else {
			p.cmd = exec.Command(bin, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
				"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--logfile", ""}, args...)...)
		}
		p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
		setProcAttr(p.cmd)
		if err := p.cmd.Start(); err != nil {
			s.t.Fatalf("redistest: start %s: %v", bin, err)
		}
		go func() { _ = p.cmd.Wait(); close(p.done) }()
		s.t.Cleanup(p.kill)
		if waitPing(p) {
			return p
		}
		p.kill()
	}
	s.t.Fatalf("redistest: could not start redis-server in %s", dir)
	return nil
}

// waitPing waits until the process answers PING; false if it exited or
// did not answer within readyTimeout.
func waitPing(p *proc) bool {
	deadline := time.Now().Add(readyTimeout)
	for time.Now().Before(deadline) {
		if reply, err := send(p.addr(), "PING"); err == nil && reply == "+PONG" {
			return true
		}
		select {
		case <-p.done:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return false
}

// URL is the redis-sentinel:// URL of the set, for --redis-url.
func (s *Sentinels) URL() string {
	u := "redis-sentinel://"
	for i, sn := range s.sentinels {
		if i > 0 {
			u += ","
		}
		u += sn.addr()
	}
	return u + "/" + MasterName
}

// Primary returns the address of the data server the Sentinels name as
// the primary now.
func (s *Sentinels) Primary(ctx context.Context) (string, error) {
	var last error
	for _, sn := range s.sentinels {
		c := redis.NewSentinelClient(&redis.Options{Addr: sn.addr()})
		addr, err := c.GetMasterAddrByName(ctx, MasterName).Result()
		_ = c.Close()
		if err == nil && len(addr) == 2 {
			return net.JoinHostPort(addr[0], addr[1]), nil
		}
		last = err
	}
	return "", fmt.Errorf("redistest: no Sentinel names the primary: %v", last)
}

// KillPrimary kills the primary (SIGKILL, no goodbye) and returns the
// address of the replica the Sentinels are to promote. The dead
// primary's port stays taken until the test ends (see holdPort): a
// redis-server of another test started there would take its place.
func (s *Sentinels) KillPrimary() string {
	s.primary.kill()
	s.t.Cleanup(holdPort(s.primary.addr()))
	return s.replica.addr()
}
