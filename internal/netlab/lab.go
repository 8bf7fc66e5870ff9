// Package netlab builds small networks of Linux network namespaces for
// tests: namespaces joined by veth pairs and bridges, addresses from the
// documentation ranges (198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32),
// dead-end default routes (so browsers gather candidates), bandwidth limits
// (tc tbf), packet filters (nftables: random loss, all UDP dropped, a TCP
// port blocked), and processes run inside a namespace (Chromium, Firefox,
// coturn, the hearth binary). The test process itself stays in the host's
// namespace and reaches into a namespace with NS.DialContext.
//
// Everything a Lab makes is removed when its test ends, also after a
// failure: processes are killed, then namespaces deleted (which deletes
// their links). Names are unique per Lab and carry the test process's id,
// so tests and test processes running in parallel never collide, and a
// later Lab removes namespaces left behind by a test process that was
// killed.
//
// A Lab needs root (CAP_NET_ADMIN) and the ip command. Without them New
// skips the test with a clear message, unless HEARTH_REQUIRE_NETNS is set
// (make test sets it), in which case it fails.
//
// Traffic never leaves the namespaces a Lab made: the host's namespace
// gets no link, and namespaces do not forward packets.
package netlab

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// RequireEnv turns New's skip (not root, no ip command) into a failure.
const RequireEnv = "HEARTH_REQUIRE_NETNS"

// namePrefix starts the name of every namespace a Lab makes.
const namePrefix = "hlab"

// Lab is one test's set of namespaces and links.
type Lab struct {
	t  testing.TB
	id string // unique: test process id and random hex

	mu    sync.Mutex // guards n
	n     int        // namespaces and links made so far, for unique names
	links int
}

// New returns an empty Lab for the test, or skips the test when it cannot
// make namespaces here (not root, no ip command) and HEARTH_REQUIRE_NETNS
// is not set.
func New(t testing.TB) *Lab {
	t.Helper()
	Require(t, "ip")
	if os.Geteuid() != 0 {
		skip(t, "network namespaces need root (run the test as root; make test does)")
	}
	sweep()
	var b [3]byte
	_, _ = rand.Read(b[:])
	return &Lab{t: t, id: strconv.Itoa(os.Getpid()) + "x" + hex.EncodeToString(b[:])}
}

// Require skips the test (or fails it, under HEARTH_REQUIRE_NETNS) when a
// command the test needs is not installed, e.g. "nft", "firefox-esr",
// "turnserver".
func Require(t testing.TB, commands ...string) {
	t.Helper()
	for _, c := range commands {
		if _, err := exec.LookPath(c); err != nil {
			skip(t, fmt.Sprintf("%s is not installed (make test installs it with apt-get)", c))
		}
	}
}

func skip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf("netlab: %s; %s is set, so this test may not be skipped", why, RequireEnv)
	}
	t.Skipf("netlab: %s", why)
}

// sweep deletes namespaces made by Labs of test processes that are gone
// (killed before their cleanups ran), and their built binaries.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), namePrefix+"*"))
	for _, d := range dirs {
		pid := strings.TrimPrefix(filepath.Base(d), namePrefix)
		if _, err := strconv.Atoi(pid); err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", pid)); os.IsNotExist(err) {
			_ = os.RemoveAll(d)
		}
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), namePrefix)
		if !ok {
			continue
		}
		pid, _, ok := strings.Cut(rest, "x")
		if _, err := strconv.Atoi(pid); !ok || err != nil {
			continue
		}
		if _, err := os.Stat(filepath.Join("/proc", pid)); os.IsNotExist(err) {
			_ = exec.Command("ip", "netns", "delete", e.Name()).Run()
		}
	}
}

// NS is one network namespace of a Lab.
type NS struct {
	lab  *Lab
	Name string // the namespace's name (ip netns list)
	fw   firewall
}

// NS makes a namespace with its loopback up; role is a short word
// that appears in its name ("server", "alice").
func (l *Lab) NS(role string) *NS {
	l.t.Helper()
	l.mu.Lock()
	l.n++
	name := fmt.Sprintf("%s%s-%d%s", namePrefix, l.id, l.n, role)
	l.mu.Unlock()
	l.run("ip", "netns", "add", name)
	ns := &NS{lab: l, Name: name}
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "delete", name).CombinedOutput(); err != nil {
			l.t.Errorf("netlab: delete namespace %s: %v: %s", name, err, out)
		}
	})
	ns.IP("link", "set", "lo", "up")
	return ns
}

// run runs a command, failing the test on error; it returns its output.
func (l *Lab) run(args ...string) string {
	l.t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		l.t.Fatalf("netlab: %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(errb.Bytes()))
	}
	return out.String()
}

// IP runs `ip -n NS args...`, failing the test on error.
func (ns *NS) IP(args ...string) string {
	ns.lab.t.Helper()
	return ns.lab.run(append([]string{"ip", "-n", ns.Name}, args...)...)
}

// Exec is the command prefix that runs a program inside the namespace:
// append the program and its arguments.
func (ns *NS) Exec() []string { return []string{"ip", "netns", "exec", ns.Name} }

// Run runs a command inside the namespace and returns its output, failing
// the test on error.
func (ns *NS) Run(args ...string) string {
	ns.lab.t.Helper()
	return ns.lab.run(append(ns.Exec(), args...)...)
}

// Link is a veth pair between two namespaces (or two ends in one).
type Link struct {
	A, B         *NS
	AName, BName string // interface names in A and B
}

// Link makes a veth pair with one end in a and the other in b, both up,
// and gives each end the addresses (CIDRs, e.g. "203.0.113.1/24",
// "2001:db8::1/64"; IPv6 without duplicate address detection, so they
// are usable at once).
func (l *Lab) Link(a *NS, aAddrs []string, b *NS, bAddrs []string) *Link {
	l.t.Helper()
	l.mu.Lock()
	l.links++
	n := l.links
	l.mu.Unlock()
	// Interface names are at most 15 bytes; they only need to be unique
	// within a namespace, and a Lab's namespaces are its own.
	lk := &Link{A: a, B: b, AName: fmt.Sprintf("veth%da", n), BName: fmt.Sprintf("veth%db", n)}
	a.IP("link", "add", lk.AName, "type", "veth", "peer", "name", lk.BName, "netns", b.Name)
	for _, addr := range aAddrs {
		a.AddAddr(lk.AName, addr)
	}
	for _, addr := range bAddrs {
		b.AddAddr(lk.BName, addr)
	}
	a.IP("link", "set", lk.AName, "up")
	b.IP("link", "set", lk.BName, "up")
	return lk
}

// AddAddr gives the interface an address (a CIDR).
func (ns *NS) AddAddr(ifname, cidr string) {
	ns.lab.t.Helper()
	args := []string{"addr", "add", cidr, "dev", ifname}
	if strings.Contains(cidr, ":") {
		args = append(args, "nodad")
	}
	ns.IP(args...)
}

// DelAddr removes an address (a CIDR) from the interface.
func (ns *NS) DelAddr(ifname, cidr string) {
	ns.lab.t.Helper()
	ns.IP("addr", "del", cidr, "dev", ifname)
}

// DefaultRoute sends everything without a more specific route to gateway
// (an address on one of the namespace's links). A namespace does not
// forward, so a gateway in another Lab namespace is a dead end: browsers
// see a route and gather candidates, and nothing leaves the Lab.
func (ns *NS) DefaultRoute(gateway string) {
	ns.lab.t.Helper()
	if strings.Contains(gateway, ":") {
		ns.IP("-6", "route", "replace", "default", "via", gateway)
		return
	}
	ns.IP("route", "replace", "default", "via", gateway)
}

// DeadEnd gives the namespace a default route into a veth pair whose two
// ends are both inside it, for a namespace that has no other link (a
// browser gathers candidates only on an interface with a route). addrs
// go on the routed end (e.g. "198.51.100.1/24").
func (ns *NS) DeadEnd(addrs ...string) *Link {
	ns.lab.t.Helper()
	lk := ns.lab.Link(ns, addrs, ns, nil)
	for _, a := range addrs {
		if strings.Contains(a, ":") {
			ns.IP("-6", "route", "replace", "default", "dev", lk.AName)
		} else {
			ns.IP("route", "replace", "default", "dev", lk.AName)
		}
	}
	return lk
}

// Bridge makes a bridge interface in the namespace, up, with the
// addresses, and returns its name.
func (ns *NS) Bridge(addrs ...string) string {
	ns.lab.t.Helper()
	ns.lab.mu.Lock()
	ns.lab.links++
	name := fmt.Sprintf("br%d", ns.lab.links)
	ns.lab.mu.Unlock()
	ns.IP("link", "add", name, "type", "bridge")
	for _, a := range addrs {
		ns.AddAddr(name, a)
	}
	ns.IP("link", "set", name, "up")
	return name
}

// Attach makes a veth pair from the bridge (in its namespace bridgeNS) to
// the namespace ns, with addrs on ns's end, and returns the link (A: the
// bridge's side).
func (l *Lab) Attach(bridgeNS *NS, bridge string, ns *NS, addrs ...string) *Link {
	l.t.Helper()
	lk := l.Link(bridgeNS, nil, ns, addrs)
	bridgeNS.IP("link", "set", lk.AName, "master", bridge)
	return lk
}

// LimitRate limits what the namespace sends on the interface to rate
// (tc's units, e.g. "300kbit") with a token bucket (tbf; netem does not
// exist in every kernel).
func (ns *NS) LimitRate(ifname, rate string) {
	ns.lab.t.Helper()
	ns.lab.run("tc", "-n", ns.Name, "qdisc", "replace", "dev", ifname, "root",
		"tbf", "rate", rate, "burst", "16kbit", "latency", "400ms")
}
