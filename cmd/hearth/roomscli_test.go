package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"
)

// hearthCmd runs the built binary with args and no HEARTH_ variables; it
// returns stdout, stderr and whether it succeeded.
func hearthCmd(t *testing.T, bin string, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	return hearthCmdEnv(t, bin, nil, args...)
}

// hearthCmdEnv is hearthCmd with the environment variables env added.
func hearthCmdEnv(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, ok bool) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err == nil
}

// roomLines finds a printed room's id and links.
var roomLines = regexp.MustCompile(`room: ([0-9a-f-]{36}) (.+)\nmember link: (\S+)\nfacilitator link: (\S+)\n`)

// `hearth rooms create` then `hearth rooms list` on a fresh data
// directory, with the built binary; the links are in the form the server
// prints, and a server started on the directory lets people in through
// them.
func TestRoomsCLIOnAFreshDataDir(t *testing.T) {
	bin := proctest.Build(t)
	dataDir := filepath.Join(t.TempDir(), "fresh")
	out, errOut, ok := hearthCmd(t, bin, "rooms", "create", "--name", "Tuesday Group", "--data-dir", dataDir,
		"--public-url", "https://meet.example.org")
	m := roomLines.FindStringSubmatch(out)
	if !ok || m == nil || m[2] != "Tuesday Group" {
		t.Fatalf("rooms create: ok %v\n%s%s", ok, out, errOut)
	}
	id := m[1]
	if !strings.HasPrefix(m[3], "https://meet.example.org/r/"+id+"#k=") || !strings.HasPrefix(m[4], "https://meet.example.org/r/"+id+"#f=") {
		t.Errorf("links: %q %q", m[3], m[4])
	}
	listed, errOut, ok := hearthCmd(t, bin, "rooms", "list", "--data-dir", dataDir, "--public-url", "https://meet.example.org")
	if !ok || !strings.Contains(listed, m[0]) {
		t.Errorf("rooms list does not show the room as created (ok %v):\n%s%s\nwant\n%s", ok, listed, errOut, m[0])
	}
	if _, err := os.Stat(filepath.Join(dataDir, "rooms.db")); err != nil {
		t.Errorf("the data directory was not made: %v", err)
	}

	out, _, ok = hearthCmd(t, bin, "invites", "create", id, "--uses", "1", "--expires", "24h", "--data-dir", dataDir)
	if !ok || !regexp.MustCompile(`invite link: http://localhost:8080/r/`+id+`#i=\S{43}\nuses: 1\nexpires: `).MatchString(out) {
		t.Errorf("invites create: %v\n%s", ok, out)
	}
	out, _, ok = hearthCmd(t, bin, "rooms", "rotate-links", id, "--data-dir", dataDir, "--public-url", "https://meet.example.org")
	if r := roomLines.FindStringSubmatch(out); !ok || r == nil || r[3] == m[3] || r[4] == m[4] {
		t.Errorf("rotate-links: %v\n%s", ok, out)
	}
	if _, errOut, ok := hearthCmd(t, bin, "rooms", "delete", "6f1c2a52-4d0b-4c39-9b38-2b3a5d6c7e8f", "--data-dir", dataDir); ok ||
		!strings.Contains(errOut, "no such room") {
		t.Errorf("deleting a room that does not exist: ok %v, %q", ok, errOut)
	}
	if out, _, ok := hearthCmd(t, bin, "rooms", "delete", id, "--data-dir", dataDir); !ok || !strings.Contains(out, id) {
		t.Errorf("delete: %v %s", ok, out)
	}
	if out, _, _ := hearthCmd(t, bin, "rooms", "list", "--data-dir", dataDir); out != "no rooms\n" {
		t.Errorf("list after delete: %q", out)
	}

	// The server's configuration file gives the data directory and the
	// links' base; a command that finds no rooms where it looks says so
	// and makes no directory.
	conf := filepath.Join(t.TempDir(), "hearth.yaml")
	confDir := filepath.Join(t.TempDir(), "configured")
	if err := os.WriteFile(conf, []byte("data-dir: "+confDir+"\npublic-url: https://groups.example.org\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, errOut, ok := hearthCmdEnv(t, bin, []string{"HEARTH_CONFIG=" + conf}, "rooms", "list"); ok || !strings.Contains(errOut, "no rooms in "+confDir) {
		t.Errorf("rooms list before any room: ok %v, %q", ok, errOut)
	}
	if _, err := os.Stat(confDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rooms list made the data directory: %v", err)
	}
	hearthCmd(t, bin, "rooms", "create", "--name", "Saturday Group", "--config", conf)
	out, _, ok = hearthCmdEnv(t, bin, []string{"HEARTH_CONFIG=" + conf}, "rooms", "list")
	if r := roomLines.FindStringSubmatch(out); !ok || r == nil || r[2] != "Saturday Group" || !strings.HasPrefix(r[3], "https://groups.example.org/r/") {
		t.Errorf("rooms list with the server's configuration: %v\n%s", ok, out)
	}
}

// While a server holds the data directory, the CLI says to use --server;
// with --server and the token file it works through the API, and the
// server's meeting sees the change.
func TestRoomsCLIThroughTheServer(t *testing.T) {
	bin := proctest.Build(t)
	dataDir := t.TempDir()
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("tok\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, "--data-dir", dataDir, "--admin-token-file", tokenFile)
	_, errOut, ok := hearthCmd(t, bin, "rooms", "list", "--data-dir", dataDir)
	if ok || !strings.Contains(errOut, "--server") {
		t.Errorf("rooms list on a data directory in use: ok %v, %q; want it to say to use --server", ok, errOut)
	}
	server := "http://" + ts.addr.String()
	out, errOut, ok := hearthCmd(t, bin, "rooms", "create", "--name", "Saturday Group", "--server", server, "--admin-token-file", tokenFile)
	m := roomLines.FindStringSubmatch(out)
	if !ok || m == nil || !strings.HasPrefix(m[3], server+"/r/") {
		t.Fatalf("rooms create --server: %v\n%s%s", ok, out, errOut)
	}
	listed, _, _ := hearthCmd(t, bin, "rooms", "list", "--server", server, "--admin-token-file", tokenFile)
	if !strings.Contains(listed, m[0]) || !strings.Contains(listed, "Demo meeting") {
		t.Errorf("rooms list --server:\n%s", listed)
	}
	if _, errOut, ok := hearthCmd(t, bin, "rooms", "list", "--server", server, "--admin-token", "wrong"); ok || !strings.Contains(errOut, "unauthorized") {
		t.Errorf("a wrong token: ok %v, %q", ok, errOut)
	}
	out, _, ok = hearthCmd(t, bin, "invites", "create", m[1], "--uses", "3", "--expires", "7d", "--label", "A.B.",
		"--server", server, "--admin-token-file", tokenFile)
	if !ok || !strings.Contains(out, "invite link: "+server+"/r/"+m[1]+"#i=") || !strings.Contains(out, "uses: 3") {
		t.Errorf("invites create --server: %v\n%s", ok, out)
	}
}
