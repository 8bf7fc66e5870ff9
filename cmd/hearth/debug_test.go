package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// --debug-addr and HEARTH_DEBUG_ADDR take a loopback address; any other,
// or none that parses, is refused naming the key; unset, it is off.
func TestDebugAddrConfig(t *testing.T) {
	noEnv := func(string) string { return "" }
	c, err := parseConfig(nil, noEnv, io.Discard)
	if err != nil || c.DebugAddr != "" {
		t.Fatalf("default debug-addr %q (%v), want empty (off)", c.DebugAddr, err)
	}
	for _, ok := range []string{"127.0.0.1:6060", "[::1]:6060", "localhost:0", "127.0.0.2:6060"} {
		if c, err := parseConfig([]string{"--debug-addr", ok}, noEnv, io.Discard); err != nil || c.DebugAddr != ok {
			t.Errorf("--debug-addr %s: %q, %v", ok, c.DebugAddr, err)
		}
	}
	env := func(k string) string {
		if k == "HEARTH_DEBUG_ADDR" {
			return "127.0.0.1:6061"
		}
		return ""
	}
	if c, err := parseConfig(nil, env, io.Discard); err != nil || c.DebugAddr != "127.0.0.1:6061" {
		t.Errorf("HEARTH_DEBUG_ADDR: %q, %v", c.DebugAddr, err)
	}
	for _, bad := range []string{":6060", "0.0.0.0:6060", "[::]:6060", "192.0.2.1:6060", "example.org:6060", "6060"} {
		_, err := parseConfig([]string{"--debug-addr", bad}, noEnv, io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), "debug-addr: ") {
			t.Errorf("--debug-addr %s: %v, want an error naming debug-addr", bad, err)
		}
	}
}

// With --debug-addr the runtime profiles are served on their own
// listener (a heap profile in pprof's format, the goroutine dump), and
// not the command line, which holds the admin token; nothing of them is
// on the public listener. Without it, no debug listener is opened.
func TestDebugProfilesServed(t *testing.T) {
	ts := startServer(t, "--debug-addr", "127.0.0.1:0", "--admin-token", "secret-token-123")
	debug := "http://127.0.0.1:" + strconv.Itoa(loggedPort(t, ts, "debug_port"))
	if code, body := get(t, debug+"/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "heap") || !strings.Contains(body, "goroutine") {
		t.Errorf("/debug/pprof/: %d\n%.300s", code, body)
	}
	resp, err := http.Get(debug + "/debug/pprof/heap")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// A profile is a gzipped protocol buffer.
	if resp.StatusCode != http.StatusOK || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
		t.Errorf("/debug/pprof/heap: %d, %d bytes, want a gzipped profile", resp.StatusCode, len(b))
	}
	if code, body := get(t, debug+"/debug/pprof/goroutine?debug=1"); code != http.StatusOK || !strings.Contains(body, "goroutine profile:") {
		t.Errorf("goroutine dump: %d\n%.300s", code, body)
	}
	if code, body := get(t, debug+"/debug/pprof/cmdline"); code == http.StatusOK || strings.Contains(body, "secret-token-123") {
		t.Errorf("/debug/pprof/cmdline: %d %q, want it not served", code, body)
	}
	public := "http://" + ts.addr.String()
	for _, p := range []string{"/debug/pprof/", "/debug/pprof/heap"} {
		if code, _ := get(t, public+p); code != http.StatusNotFound {
			t.Errorf("public %s: %d, want 404", p, code)
		}
	}

	off := startServer(t)
	for _, line := range strings.Split(off.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "serving" {
			if _, ok := m["debug_port"]; ok {
				t.Errorf("a debug listener without --debug-addr: %s", line)
			}
		}
	}
	if code, _ := get(t, "http://"+off.addr.String()+"/debug/pprof/"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/ without --debug-addr: %d, want 404", code)
	}
}
