package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// configCommand is `hearth config check FILE`: it reads FILE as the
// server would (without the environment and flags) and prints "ok", or
// fails naming the bad key.
func configCommand(_ context.Context, args []string, _ func(string) string, stdout, _ io.Writer) error {
	if len(args) != 2 || args[0] != "check" {
		return errors.New("usage: hearth config check FILE")
	}
	c, err := defaults()
	if err != nil {
		return err
	}
	if err := applyFile(&c, args[1]); err != nil {
		return err
	}
	if err := c.check(); err != nil {
		return fmt.Errorf("%s: %w", args[1], err)
	}
	fmt.Fprintln(stdout, "ok")
	return nil
}

// version is Hearth's version when set at link time with
// -ldflags "-X main.version=v1.2.3" (the linker can set only a package
// variable; nothing writes it at run time). Empty: from the build info.
var version string

// versionCommand is `hearth version`: it prints the version, the VCS
// revision and the Go version the binary was built with.
func versionCommand(_ context.Context, _ []string, _ func(string) string, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, versionLine())
	return nil
}

// buildInfo is what the binary knows of its build.
type buildInfo struct {
	version, revision, goVersion string
	modified                     bool
}

// readBuildInfo is the build's version (from -ldflags, else the module's,
// else "(devel)"), VCS revision and Go version.
func readBuildInfo() buildInfo {
	b := buildInfo{version: version}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.goVersion = bi.GoVersion
		if b.version == "" {
			b.version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.revision = s.Value
			case "vcs.modified":
				b.modified = s.Value == "true"
			}
		}
	}
	if b.version == "" {
		b.version = "(devel)"
	}
	return b
}

// versionLine is "hearth VERSION (REVISION[, modified]) GOVERSION".
func versionLine() string {
	b := readBuildInfo()
	rev := b.revision
	if rev == "" {
		rev = "unknown revision"
	}
	if b.modified {
		rev += ", modified"
	}
	return strings.TrimSpace(fmt.Sprintf("hearth %s (%s) %s", b.version, rev, b.goVersion))
}

// healthcheckCommand is `hearth healthcheck`: for container images
// without a shell or curl, it asks this host's server for /healthz (the
// address from the same configuration the server reads: file, environment
// and flags) and fails unless it answers 200. With TLS the certificate is
// not checked: the request goes to this host's own address, which the
// certificate's name does not match.
func healthcheckCommand(ctx context.Context, args []string, getenv func(string) string, _, stderr io.Writer) error {
	c, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1" // listening on every address, or by name
	}
	scheme := "http"
	if c.tlsOn() {
		scheme = "https"
	}
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // loopback, see above
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %s", resp.Status)
	}
	return nil
}
