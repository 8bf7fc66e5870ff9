package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The operators' formats from a terminal, in process over a fresh data
// directory: list and show the templates, create a room with one and a
// contributions link, replace it with an edited file, refuse a broken
// file with the server's message, remove it.
func TestFormatsCLI(t *testing.T) {
	ctx := context.Background()
	dataDir := filepath.Join(t.TempDir(), "data")
	hearth := func(args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := dispatch(ctx, nil, args, func(string) string { return "" }, &out, &errOut)
		return out.String() + errOut.String(), err
	}
	out, err := hearth("formats", "list")
	if err != nil || !strings.Contains(out, "12-step ") || !strings.Contains(out, "smart ") || !strings.Contains(out, "therapy-group ") {
		t.Fatalf("formats list: %v\n%s", err, out)
	}
	smart, err := hearth("formats", "show", "smart")
	if err != nil || !strings.Contains(smart, `"title": "Check-in round"`) {
		t.Fatalf("formats show smart: %v\n%s", err, smart)
	}
	if _, err := hearth("formats", "show", "13-step"); err == nil || !strings.Contains(err.Error(), "no template") {
		t.Errorf("formats show 13-step: %v", err)
	}

	out, err = hearth("rooms", "create", "--name", "Tuesday group", "--format", "12-step",
		"--contributions-url", "https://example.org/give", "--data-dir", dataDir)
	m := roomLines.FindStringSubmatch(out)
	if err != nil || m == nil || !strings.Contains(out, "format: 12-step meeting (6 segments)\ncontributions: https://example.org/give\n") {
		t.Fatalf("rooms create: %v\n%s", err, out)
	}
	id := m[1]

	edited := filepath.Join(t.TempDir(), "ours.json")
	if err := os.WriteFile(edited, []byte(strings.Replace(smart, "SMART-style meeting", "Our SMART meeting", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err = hearth("rooms", "set-format", id, "--format", edited, "--data-dir", dataDir); err != nil ||
		!strings.Contains(out, "format: Our SMART meeting (5 segments)") {
		t.Errorf("set-format FILE: %v\n%s", err, out)
	}
	broken := filepath.Join(t.TempDir(), "broken.json")
	if err := os.WriteFile(broken, []byte(`{"segments":[{"title":"Sharing","speaking":"whoever"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err = hearth("rooms", "set-format", id, "--format", broken, "--data-dir", dataDir); err == nil ||
		!strings.Contains(err.Error(), `segment 1: speaking must be "facilitators", "called_on" or "open"`) {
		t.Errorf("set-format broken: %v", err)
	}
	if _, err = hearth("rooms", "set-format", id, "--format", "nonsense", "--data-dir", dataDir); err == nil ||
		!strings.Contains(err.Error(), "neither a template") {
		t.Errorf("set-format nonsense: %v", err)
	}
	if _, err = hearth("rooms", "set-format", id, "--data-dir", dataDir); err == nil {
		t.Error("set-format without a flag succeeded")
	}
	if out, err = hearth("rooms", "list", "--data-dir", dataDir); err != nil || !strings.Contains(out, "format: Our SMART meeting") {
		t.Errorf("rooms list: %v\n%s", err, out)
	}
	if out, err = hearth("rooms", "set-format", id, "--format", "none", "--contributions-url", "", "--data-dir", dataDir); err != nil ||
		strings.Contains(out, "format:") || strings.Contains(out, "contributions:") {
		t.Errorf("set-format none: %v\n%s", err, out)
	}
}
