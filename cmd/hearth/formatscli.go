package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/hearth-meet/hearth/room"
)

// This file holds `hearth formats list|show` (the ready meeting formats,
// docs/formats.md) and the rooms commands' --format and
// --contributions-url flags.

// formatsCommand runs `hearth formats list` and `hearth formats show ID`.
// It needs no server: the templates are built in.
func formatsCommand(_ context.Context, args []string, _ func(string) string, stdout, _ io.Writer) error {
	usage := "usage: hearth formats list | show TEMPLATE (prints its JSON, to edit and give to --format FILE)"
	switch {
	case len(args) == 1 && args[0] == "list":
		for _, t := range room.Templates() {
			fmt.Fprintf(stdout, "%-14s %s\n", t.ID, t.Description)
		}
		return nil
	case len(args) == 2 && args[0] == "show":
		t, ok := room.TemplateByID(args[1])
		if !ok {
			return fmt.Errorf("no template %q; `hearth formats list` lists them", args[1])
		}
		b, err := json.MarshalIndent(t.Format, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "%s\n", b)
		return err
	}
	return errors.New(usage)
}

// formatFlags are the rooms commands' --format and --contributions-url.
type formatFlags struct {
	format, contributions string
	fs                    *flag.FlagSet
}

func addFormatFlags(fs *flag.FlagSet) *formatFlags {
	f := &formatFlags{fs: fs}
	fs.StringVar(&f.format, "format", "", `the room's meeting format: a template ("12-step", "smart", "therapy-group"), `+
		`a JSON file (see hearth formats show), or "none" (create, set-format)`)
	fs.StringVar(&f.contributions, "contributions-url", "", `the room's contributions link, shown in the format's closing segment; "" removes it (create, set-format)`)
	return f
}

// given reports whether the flag name was on the command line.
func (f *formatFlags) given(name string) bool {
	seen := false
	f.fs.Visit(func(fl *flag.Flag) { seen = seen || fl.Name == name })
	return seen
}

// update returns the settings change the flags ask for, nil when none.
func (f *formatFlags) update() (*room.SettingsUpdate, error) {
	var u room.SettingsUpdate
	if f.given("format") {
		c, err := readFormat(f.format)
		if err != nil {
			return nil, err
		}
		u.Format = c
	}
	if f.given("contributions-url") {
		u.ContributionsURL = &f.contributions
	}
	if !u.Format.Set && u.ContributionsURL == nil {
		return nil, nil
	}
	return &u, nil
}

// readFormat reads --format: "none", a template's id, or a JSON file
// (checked by the server, which says what is wrong).
func readFormat(v string) (room.FormatChange, error) {
	if v == "none" {
		return room.FormatChange{Set: true}, nil
	}
	if t, ok := room.TemplateByID(v); ok {
		return room.FormatChange{Set: true, Format: &t.Format}, nil
	}
	b, err := os.ReadFile(v)
	if err != nil {
		return room.FormatChange{}, fmt.Errorf("--format %q is neither a template (hearth formats list) nor a readable file: %w", v, err)
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return room.FormatChange{}, fmt.Errorf("--format %s: the file must hold a format's JSON object", v)
	}
	var c room.FormatChange
	if err := json.Unmarshal(b, &c); err != nil {
		return room.FormatChange{}, fmt.Errorf("--format %s: %w", v, err)
	}
	return c, nil
}
