package netlab

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BuildHearth builds the hearth binary (without the race detector, as
// it is shipped), with extra flags of go build if any, and returns its
// path. Each set of flags is built once per test process, into a
// directory named after the process (removed by a later Lab once the
// process is gone).
func BuildHearth(t testing.TB, flags ...string) string {
	t.Helper()
	dir := processDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatalf("netlab: %v", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatalf("netlab: %v", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatalf("netlab: lock %s: %v", dir, err)
	}
	bin := filepath.Join(dir, "hearth")
	if len(flags) > 0 {
		sum := sha256.Sum256([]byte(strings.Join(flags, "\x00")))
		bin += "-" + hex.EncodeToString(sum[:6])
	}
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("netlab: no go command to build hearth: %v", err)
	}
	args := append(append([]string{"build", "-o", bin + ".tmp"}, flags...), "github.com/hearth-meet/hearth/cmd/hearth")
	cmd := exec.Command(goCmd, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("netlab: build hearth: %v\n%s", err, out)
	}
	if err := os.Rename(bin+".tmp", bin); err != nil {
		t.Fatalf("netlab: %v", err)
	}
	return bin
}

// processDir is this test process's directory of built binaries.
func processDir() string {
	return filepath.Join(os.TempDir(), fmt.Sprintf("%s%d", namePrefix, os.Getpid()))
}

// Hearth is a hearth server running inside a namespace.
type Hearth struct {
	*Process
	ns *NS
	// URL is the server's base URL as its printed links give it (set
	// --public-url to an address clients reach).
	URL             string
	MemberLink      string
	FacilitatorLink string
}

// StartHearth runs the hearth binary bin inside the namespace with args
// and waits (up to 60 s) until it has printed its links.
func (ns *NS) StartHearth(bin string, args ...string) *Hearth {
	ns.lab.t.Helper()
	p := ns.Start(bin, args...)
	h := &Hearth{Process: p, ns: ns}
	line, ok := p.WaitOutput("facilitator link: ", 60*time.Second)
	if !ok {
		ns.lab.t.Fatalf("netlab: hearth did not print its links in 60 s:\n%s", tail(p.Output(), 6000))
	}
	h.FacilitatorLink = strings.TrimSpace(line[strings.Index(line, "facilitator link: ")+len("facilitator link: "):])
	line, _ = p.WaitOutput("member link: ", time.Second)
	h.MemberLink = strings.TrimSpace(line[strings.Index(line, "member link: ")+len("member link: "):])
	if i := strings.Index(h.MemberLink, "/r/"); i > 0 {
		h.URL = h.MemberLink[:i]
	}
	return h
}

// Get fetches a path of the server (e.g. "/metrics") from inside its
// namespace and returns the body; it fails the test on error or a status
// other than 200.
func (h *Hearth) Get(path string) string {
	h.ns.lab.t.Helper()
	resp, err := h.ns.HTTPClient().Get(h.URL + path)
	if err != nil {
		h.ns.lab.t.Fatalf("netlab: GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		h.ns.lab.t.Fatalf("netlab: GET %s: %s %v: %s", path, resp.Status, err, body)
	}
	return string(body)
}
