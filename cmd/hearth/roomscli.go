package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/boltdir"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling/admin"
	"github.com/hearth-meet/hearth/signaling/verify"
)

// This file holds `hearth rooms ...` and `hearth invites ...`: the
// operators' work on rooms from a terminal. Both speak the operators' API
// (docs/admin-api.md): with --server, to a running server over HTTP;
// otherwise to the API served in this process over the data directory,
// which is possible only while no server holds it.

// cliWait is how long the CLI waits for the data directory's file.
const cliWait = time.Second

// roomsCommand runs `hearth rooms create|list|rotate-links|delete`.
func roomsCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	usage := "usage: hearth rooms create --name NAME [--passcode P] [--format F] [--contributions-url URL] | list | " +
		"set-format ID [--format TEMPLATE|FILE|none] [--contributions-url URL] | rotate-links ID | delete ID " +
		"[--data-dir DIR | --server URL --admin-token-file FILE]"
	if len(args) == 0 {
		return errors.New(usage)
	}
	sub, args := args[0], args[1:]
	fs, o := cliFlags("hearth rooms "+sub, getenv, stderr)
	name := fs.String("name", "", "the room's name (create)")
	passcode := fs.String("passcode", "", "the room's passcode, 4 to 64 characters (create; optional)")
	ff := addFormatFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	want := map[string]int{"create": 0, "list": 0, "set-format": 1, "rotate-links": 1, "delete": 1}
	n, ok := want[sub]
	if !ok || len(pos) != n {
		return errors.New(usage)
	}
	settings, err := ff.update()
	if err != nil {
		return err
	}
	if sub == "set-format" && settings == nil {
		return errors.New("hearth rooms set-format ID needs --format or --contributions-url")
	}
	c, err := o.client(sub == "create")
	if err != nil {
		return err
	}
	defer c.close()
	switch sub {
	case "create":
		var r admin.Room
		if err := c.call(ctx, http.MethodPost, "/api/rooms", admin.NewRoom{Name: *name, Passcode: *passcode, Settings: settings}, &r); err != nil {
			return err
		}
		printRoom(stdout, r)
	case "set-format":
		var r admin.Room
		if err := c.call(ctx, http.MethodPatch, "/api/rooms/"+pos[0], admin.RoomPatch{Settings: settings}, &r); err != nil {
			return err
		}
		printRoom(stdout, r)
	case "list":
		var list admin.RoomList
		if err := c.call(ctx, http.MethodGet, "/api/rooms", nil, &list); err != nil {
			return err
		}
		if len(list.Rooms) == 0 {
			fmt.Fprintln(stdout, "no rooms")
		}
		for i, r := range list.Rooms {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			printRoom(stdout, r)
		}
	case "rotate-links":
		var r admin.Room
		if err := c.call(ctx, http.MethodPost, "/api/rooms/"+pos[0]+"/rotate-links", nil, &r); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "new links (the old ones no longer work):")
		printRoom(stdout, r)
	case "delete":
		if err := c.call(ctx, http.MethodDelete, "/api/rooms/"+pos[0], nil, nil); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "deleted room %s\n", pos[0])
	}
	return nil
}

// invitesCommand runs `hearth invites create ROOM --uses N --expires D`.
func invitesCommand(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	usage := "usage: hearth invites create ROOM-ID [--uses 1] [--expires 24h] [--label TEXT] " +
		"[--data-dir DIR | --server URL --admin-token-file FILE]"
	if len(args) == 0 || args[0] != "create" {
		return errors.New(usage)
	}
	fs, o := cliFlags("hearth invites create", getenv, stderr)
	uses := fs.Int("uses", 1, "how many people may join through the link")
	expires := fs.String("expires", "24h", "how long the link may be used: 90m, 24h, 7d (at most 90 days)")
	label := fs.String("label", "", "a note to tell invites apart, e.g. initials; never shown in the meeting")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New(usage)
	}
	c, err := o.client(false)
	if err != nil {
		return err
	}
	defer c.close()
	var inv admin.CreatedInvite
	if err := c.call(ctx, http.MethodPost, "/api/rooms/"+pos[0]+"/invites",
		admin.NewInvite{Uses: *uses, Expires: *expires, Label: *label}, &inv); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "invite link: %s\n", inv.Link)
	fmt.Fprintf(stdout, "uses: %d\nexpires: %s\n", inv.Uses, inv.ExpiresAt.Format(time.RFC3339))
	return nil
}

// printRoom prints a room: its id and name, then its links in the form
// the server prints at start.
func printRoom(w io.Writer, r admin.Room) {
	fmt.Fprintf(w, "room: %s %s\n", r.ID, r.Name)
	fmt.Fprintf(w, "member link: %s\n", r.MemberLink)
	fmt.Fprintf(w, "facilitator link: %s\n", r.FacilitatorLink)
	if f := r.Settings.Format; f != nil {
		fmt.Fprintf(w, "format: %s (%d segments)\n", cmp.Or(f.Name, "unnamed"), len(f.Segments))
	}
	if r.Settings.ContributionsURL != "" {
		fmt.Fprintf(w, "contributions: %s\n", r.Settings.ContributionsURL)
	}
}

// cliOptions are the flags every rooms and invites command shares. The
// data directory, the links' base and the admin token default to the
// server's configuration (--config file, then HEARTH_* variables; see
// resolve), so that the commands find what the server uses.
type cliOptions struct {
	config, dataDir, server, token, tokenFile, publicURL string

	fs     *flag.FlagSet
	getenv func(string) string
	stderr io.Writer
}

func cliFlags(name string, getenv func(string) string, stderr io.Writer) (*flag.FlagSet, *cliOptions) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &cliOptions{fs: fs, getenv: getenv, stderr: stderr}
	fs.StringVar(&o.config, "config", getenv(configEnv), "the server's YAML configuration file, for the settings below ("+configEnv+")")
	fs.StringVar(&o.dataDir, "data-dir", "", "the data directory, when no server runs on it (default: the server's, ./hearth-data)")
	fs.StringVar(&o.server, "server", getenv("HEARTH_SERVER"), "a running server's base URL, e.g. https://meet.example.org: work through its API (HEARTH_SERVER)")
	fs.StringVar(&o.token, "admin-token", "", "the server's admin token, with --server (default: the server's)")
	fs.StringVar(&o.tokenFile, "admin-token-file", "", "a file holding the admin token, with --server (default: the server's)")
	fs.StringVar(&o.publicURL, "public-url", "", "the base of the links printed, without --server (default: the server's)")
	return fs, o
}

// resolve fills the options not given on the command line from the
// server's configuration: the --config file and the HEARTH_* variables,
// read as the server reads them.
func (o *cliOptions) resolve() error {
	var args []string
	if o.config != "" {
		args = []string{"--config", o.config}
	}
	given := map[string]bool{}
	o.fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	if given["admin-token-file"] || given["admin-token"] {
		// The server's token settings would only be in the way.
		o.getenvWithout("HEARTH_ADMIN_TOKEN", "HEARTH_ADMIN_TOKEN_FILE")
	}
	cfg, err := parseConfig(args, o.getenv, o.stderr)
	if err != nil {
		return fmt.Errorf("the server's configuration: %w", err)
	}
	if !given["data-dir"] {
		o.dataDir = cfg.DataDir
	}
	if !given["public-url"] {
		o.publicURL = cfg.baseURL(listenText(cfg.Addr))
	}
	if !given["admin-token"] && !given["admin-token-file"] {
		o.token = cfg.AdminToken
	}
	return nil
}

// getenvWithout hides the named variables from o.getenv.
func (o *cliOptions) getenvWithout(names ...string) {
	getenv := o.getenv
	o.getenv = func(k string) string {
		for _, n := range names {
			if k == n {
				return ""
			}
		}
		return getenv(k)
	}
}

// listenText is a listening address as configured (e.g. ":8080"), for
// config.baseURL.
type listenText string

func (a listenText) Network() string { return "tcp" }
func (a listenText) String() string  { return string(a) }

// parseInterspersed parses flags anywhere among the arguments (e.g.
// `create ROOM --uses 1`) and returns the others in order.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// apiClient calls the operators' API, of a server or in this process.
type apiClient struct {
	base  string
	token string
	http  *http.Client
	close func()
}

// client returns the API to call: the server's, with --server, or one
// served in this process over the data directory, which only create may
// make (the others say where they looked).
func (o *cliOptions) client(create bool) (*apiClient, error) {
	if err := o.resolve(); err != nil {
		return nil, err
	}
	if o.server != "" {
		token := o.token
		if o.tokenFile != "" {
			b, err := os.ReadFile(o.tokenFile)
			if err != nil {
				return nil, fmt.Errorf("--admin-token-file: %w", err)
			}
			token = strings.TrimSpace(string(b))
		}
		if token == "" {
			return nil, errors.New("--server needs the admin token: --admin-token-file FILE (or --admin-token, HEARTH_ADMIN_TOKEN)")
		}
		return &apiClient{base: strings.TrimRight(o.server, "/"), token: token,
			http: &http.Client{Timeout: 30 * time.Second}, close: func() {}}, nil
	}
	if _, err := os.Stat(filepath.Join(o.dataDir, boltdir.DBFile)); !create && errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("no rooms in %s (no %s there): give the server's --data-dir, or --config, or --server URL",
			o.dataDir, boltdir.DBFile)
	}
	dir, err := openDataDir(o.dataDir, cliWait)
	if err != nil {
		return nil, err
	}
	token := room.NewSecret()
	h := admin.Handler(admin.Params{
		Rooms: room.NewServiceWith(room.ServiceParams{Store: memory.New(), Directory: dir}),
		Token: token, BaseURL: o.publicURL, Version: versionLine(), Instance: "cli", ProofKeys: verify.StoreKeys(dir)})
	return &apiClient{base: "http://hearth.invalid", token: token, http: &http.Client{Transport: inProcess{h}},
		close: func() { _ = dir.Close() }}, nil
}

// call sends body (when not nil) as JSON and decodes the answer into out
// (when not nil); an error answer becomes an error with its message.
func (c *apiClient) call(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e admin.Error
		if json.Unmarshal(data, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%s)", e.Error.Message, e.Error.Code)
		}
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// inProcess is an http.RoundTripper that serves requests with a handler
// in this process.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p.h.ServeHTTP(rec, r)
	return rec.Result(), nil
}
