package main

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hearth-meet/hearth/cmd/hearth/internal/proctest"
)

// get fetches url and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// With --metrics-addr, /metrics is served there and not on the public
// listener, which keeps /healthz and /readyz.
func TestMetricsOnTheirOwnListener(t *testing.T) {
	ts := startServer(t, "--metrics-addr", "127.0.0.1:0")
	public := "http://" + ts.addr.String()
	metrics := "http://127.0.0.1:" + strconv.Itoa(loggedPort(t, ts, "metrics_port"))
	if code, body := get(t, metrics+"/metrics"); code != http.StatusOK || !strings.Contains(body, "hearth_participants") ||
		!strings.Contains(body, "process_resident_memory_bytes") {
		t.Errorf("metrics listener /metrics: %d\n%.300s", code, body)
	}
	if code, _ := get(t, public+"/metrics"); code != http.StatusNotFound {
		t.Errorf("public /metrics: %d, want 404", code)
	}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code, _ := get(t, public+p); code != http.StatusOK {
			t.Errorf("public %s: %d", p, code)
		}
		if code, _ := get(t, metrics+p); code != http.StatusNotFound {
			t.Errorf("metrics listener %s: %d, want 404", p, code)
		}
	}
	// Without --metrics-addr, /metrics stays on the public listener.
	other := startServer(t)
	if code, body := get(t, "http://"+other.addr.String()+"/metrics"); code != http.StatusOK || !strings.Contains(body, "hearth_participants") {
		t.Errorf("/metrics without --metrics-addr: %d", code)
	}
}

// `hearth healthcheck` succeeds against a running server, over HTTP and
// HTTPS, and fails where none answers.
func TestHealthcheckCommand(t *testing.T) {
	ctx := context.Background()
	noEnv := func(string) string { return "" }
	ts := startServer(t)
	if err := dispatch(ctx, nil, []string{"healthcheck", "--addr", ts.addr.String()}, noEnv, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck over HTTP: %v", err)
	}
	certPEM, keyPEM, _ := selfSigned(t, "127.0.0.1")
	certFile, keyFile := writeFile(t, "cert.pem", string(certPEM)), writeFile(t, "key.pem", string(keyPEM))
	tlsArgs := []string{"--tls-cert", certFile, "--tls-key", keyFile}
	tts := startServer(t, append(tlsArgs, "--http-redirect-addr", "off")...)
	env := map[string]string{"HEARTH_ADDR": ":" + strconv.Itoa(portOf(tts.addr))}
	if err := dispatch(ctx, nil, append([]string{"healthcheck"}, tlsArgs...), func(k string) string { return env[k] }, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck over HTTPS, address from the environment: %v", err)
	}
	if err := dispatch(ctx, nil, []string{"healthcheck", "--addr", "127.0.0.1:" + strconv.Itoa(proctest.FreeTCPPort(t))}, noEnv, io.Discard, io.Discard); err == nil {
		t.Error("healthcheck succeeded with no server")
	}
}
