package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"
)

// writeFile writes content to a file in a test directory and returns its
// path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A key set in the file, the environment and a flag takes the flag's
// value; without the flag the environment's; without both the file's;
// without any its default.
func TestConfigPrecedence(t *testing.T) {
	file := writeFile(t, "hearth.yaml", `
# a comment
ice-udp-port: 1000
batch-size: 8
log-level: warn
drain-timeout: 5m
trusted-proxies: [10.0.0.0/8, 192.0.2.1]
ice-loopback-only: true
`)
	env := map[string]string{"HEARTH_CONFIG": file, "HEARTH_ICE_UDP_PORT": "2000", "HEARTH_BATCH_SIZE": "4"}
	c, err := parseConfig([]string{"--ice-udp-port=3000"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.ICEUDPPort != 3000 || c.BatchSize != 4 || c.LogLevel != "warn" || c.DrainTimeout != 5*time.Minute ||
		c.TrustedProxies != "10.0.0.0/8,192.0.2.1" || !c.ICELoopbackOnly {
		t.Errorf("flag > env > file: got %+v", c)
	}
	if c.Addr != ":8080" || c.ResumeGrace != 30*time.Second || c.DataDir != "./hearth-data" || c.JoinBurst != 40 {
		t.Errorf("defaults: got %+v", c)
	}
	// --config on the command line wins over HEARTH_CONFIG.
	other := writeFile(t, "other.yaml", "batch-size: 2\n")
	c, err = parseConfig([]string{"--config", other}, func(k string) string {
		return map[string]string{"HEARTH_CONFIG": file}[k]
	}, io.Discard)
	if err != nil || c.BatchSize != 2 || c.ICEUDPPort != 50000 {
		t.Errorf("--config over HEARTH_CONFIG: %+v %v", c, err)
	}
}

// Every mistake is refused with a message naming the key (and, in a
// file, the line), whichever layer it comes from.
func TestConfigErrorsNameTheKey(t *testing.T) {
	noEnv := func(string) string { return "" }
	for _, tc := range []struct {
		name, file string
		env        map[string]string
		args       []string
		want       string
	}{
		{name: "unknown key", file: "addr: :80\nice-udp-prot: 5\n", want: `line 2: unknown key "ice-udp-prot"`},
		{name: "bad number", file: "ice-udp-port: many\n", want: `line 1: ice-udp-port: "many" is not a whole number`},
		{name: "bad duration", file: "drain-timeout: 30\n", want: `drain-timeout: "30" is not a duration`},
		{name: "bad bool", file: "ice-loopback-only: maybe\n", want: `ice-loopback-only: "maybe" is not true or false`},
		{name: "twice", file: "addr: :1\naddr: :2\n", want: `line 2: key "addr" given twice`},
		{name: "mapping value", file: "addr:\n  port: 1\n", want: "addr: want a plain value"},
		{name: "not a mapping", file: "- addr\n", want: "line 1: want key: value lines"},
		{name: "bad log format", file: "log-format: xml\n", want: `log-format must be json or console, not "xml"`},
		{name: "cert without key", file: "tls-cert: /c.pem\n", want: "tls-cert and tls-key go together"},
		{name: "domain and cert", file: "tls-cert: /c.pem\ntls-key: /k.pem\ndomain: meet.example.org\n", want: "exclude each other"},
		{name: "bad metrics address", file: "metrics-addr: 9090\n", want: `metrics-addr: "9090" is not a listen address`},
		{name: "bad public url", file: "public-url: meet.example.org\n", want: "public-url:"},
		{name: "env", env: map[string]string{"HEARTH_RESUME_GRACE": "soon"}, want: `HEARTH_RESUME_GRACE: "soon" is not a duration`},
		{name: "flag", args: []string{"--batch-size", "x"}, want: `invalid value "x" for flag -batch-size: not a whole number`},
		{name: "unknown flag", args: []string{"--batchsize", "1"}, want: "flag provided but not defined: -batchsize"},
		{name: "negative", args: []string{"--join-burst", "-1"}, want: "join-burst cannot be negative"},
		{name: "missing file", args: []string{"--config", "/nonexistent/hearth.yaml"}, want: "no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if tc.file != "" {
				args = append(args, "--config", writeFile(t, "hearth.yaml", tc.file))
			}
			getenv := noEnv
			if tc.env != nil {
				getenv = func(k string) string { return tc.env[k] }
			}
			_, err := parseConfig(args, getenv, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
}

// An empty file, or one of comments only, sets nothing.
func TestConfigEmptyFile(t *testing.T) {
	for _, content := range []string{"", "# nothing yet\n"} {
		c, err := parseConfig([]string{"--config", writeFile(t, "e.yaml", content)}, func(string) string { return "" }, io.Discard)
		if err != nil || c.Addr != ":8080" {
			t.Errorf("%q: %+v %v", content, c, err)
		}
	}
}

// The admin token comes from a file when asked, white space trimmed.
func TestAdminTokenFile(t *testing.T) {
	f := writeFile(t, "token", "s3cret-token\n")
	c, err := parseConfig([]string{"--admin-token-file", f}, func(string) string { return "" }, io.Discard)
	if err != nil || c.AdminToken != "s3cret-token" {
		t.Errorf("token %q, %v", c.AdminToken, err)
	}
	if _, err := parseConfig([]string{"--admin-token-file", f, "--admin-token", "x"}, func(string) string { return "" }, io.Discard); err == nil {
		t.Error("both --admin-token and --admin-token-file accepted")
	}
}

// Every key of the table is in docs/configuration.md's reference with its
// flag, environment variable and default, and the reference names no key
// the server does not have.
func TestConfigKeysDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	// A row of the reference table: | `key` | `--key` | `HEARTH_KEY` | default | meaning |
	docRow := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\| `--([a-z0-9-]+)` \\| `(HEARTH_[A-Z0-9_]+)` \\| ([^|]*) \\|")
	rows := map[string][]string{}
	for _, m := range docRow.FindAllStringSubmatch(string(b), -1) {
		rows[m[1]] = m
	}
	known := map[string]bool{}
	for _, k := range keys() {
		known[k.name] = true
		m, ok := rows[k.name]
		if !ok {
			t.Errorf("key %s is not in the reference table of docs/configuration.md", k.name)
			continue
		}
		if m[2] != k.name || m[3] != envName(k.name) {
			t.Errorf("key %s documented as --%s / %s, want --%s / %s", k.name, m[2], m[3], k.name, envName(k.name))
		}
		def := strings.TrimSpace(m[4])
		if k.def != "" && def != "`"+k.def+"`" {
			t.Errorf("key %s: documented default %s, want `%s`", k.name, def, k.def)
		}
		if k.def == "" && strings.HasPrefix(def, "`") {
			t.Errorf("key %s has no default but is documented with %s", k.name, def)
		}
	}
	for name := range rows {
		if !known[name] {
			t.Errorf("docs/configuration.md documents %s, which is not a key", name)
		}
	}
	for _, want := range []string{"`--config`", "`" + configEnv + "`", "`hearth config check"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("docs/configuration.md does not mention %s", want)
		}
	}
}

// The built binary: `hearth config check` prints ok for a good file and
// exits 1 naming the key for a bad one; `hearth version` prints the
// version given at link time.
func TestConfigCheckAndVersionCommands(t *testing.T) {
	bin := proctest.Build(t, "-ldflags", "-X main.version=v9.8.7-test")
	good := writeFile(t, "good.yaml", "addr: :443\ndomain: meet.example.org\ndata-dir: /var/lib/hearth\n")
	out, err := exec.Command(bin, "config", "check", good).CombinedOutput()
	if err != nil || string(out) != "ok\n" {
		t.Errorf("good file: %q %v", out, err)
	}
	for file, want := range map[string]string{
		"addr: :443\nlisten: :80\n": `unknown key "listen"`,
		"join-rate: fast\n":         `join-rate: "fast" is not a number`,
	} {
		cmd := exec.Command(bin, "config", "check", writeFile(t, "bad.yaml", file))
		out, err := cmd.CombinedOutput()
		if cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 1 || !strings.Contains(string(out), want) {
			t.Errorf("%q: exit %v, output %q; want exit 1 and %q", file, err, out, want)
		}
	}
	out, err = exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "hearth v9.8.7-test (") {
		t.Errorf("version: %q %v", out, err)
	}
}
