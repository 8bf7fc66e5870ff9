// Command hearth-load is a load generator for the Hearth server: it joins
// rooms with bots built on the Go protocol client (signaling/client, real
// pion peer connections), makes some of them publish synthetic Opus and
// VP8 RTP, lets every bot receive everything the SFU forwards, and reports
// join times, loss, added latency, jitter and, given the server's process
// id, the server's CPU time and memory. It stops by itself after
// --duration and exits non-zero when a bot failed to join or never got a
// track it should have received.
//
// Usage:
//
//	hearth-load [flags]
//
// Flags:
//
//	--url URLS              server base URL(s), comma-separated (default
//	                        http://127.0.0.1:8080); bots are spread
//	                        round-robin across them, rooms are created
//	                        through the first, so several URLs must be
//	                        instances of one cluster
//	--admin-token TOKEN     bearer token of the admin API, to create the
//	                        rooms with POST /api/rooms; required unless
//	                        --room-link is given
//	--room-link LINK        use this existing room instead of creating
//	                        rooms; then --rooms is 1. Give the member link
//	                        with the facilitator key added to its fragment
//	                        (http://host/r/<room-id>#k=<key>&f=<key>); the
//	                        member link alone does if the room's waiting
//	                        room is already off
//	--rooms N               rooms to create (default 1)
//	--participants N        bots per room (default 4)
//	--audio-publishers N    bots per room that publish audio (default: all)
//	--video-publishers N    bots per room that publish video (default 0);
//	                        the first bots of a room publish
//	--video-bitrate KBPS    bitrate of each video track (default 500)
//	--duration D            whole run, joins included (default 30s, at most 1h)
//	--ramp-up D             spread the joins over this time (default 2s)
//	--warmup D              time after the last join that is not measured
//	                        (default 2s)
//	--join-timeout D        longest one bot may take to join and publish
//	                        (default 20s)
//	--server-pid PID[,PID]  sample the server's CPU time and memory from
//	                        /proc/PID every 250 ms; with several
//	                        instances' pids, their figures are summed
//	--json                  print the report as JSON instead of a summary
//	--loopback-only         ICE over loopback only (default true)
//	--simulcast             video publishers send three VP8 layers (rids
//	                        q, h, f, as the browser client), each packet
//	                        naming its mid and rid in header extensions
//	--simulcast-bitrates K,K,K
//	                        kbit/s of the layers q, h, f (default
//	                        150,500,1500)
//	--tile-sizes WxH,...    receiving bots, round-robin, tell the server
//	                        (video_sizes) that they show every camera of
//	                        the room at one of these sizes; "none": no
//	                        video_sizes; default "auto": 320x180,640x360,
//	                        1280x720 with --simulcast, else none
//	--hands N               bots per room (the last ones) that raise and
//	                        lower their hand in the measuring window
//	--hand-interval D       time between one bot's raise and lower
//	                        (default 4s)
//	--chat-interval D       a bot of each room sends a chat message this
//	                        often in the measuring window (default 0: none)
//	--cpu-profile FILE      write the load generator's own CPU profile
//	                        over the measuring window
//
// Rooms: the first bot of each room joins as its facilitator (with the
// key from the admin API's facilitator link, or from --room-link) and
// turns the waiting room and mute-on-entry off before the other bots join;
// it stays, so the room never locks itself. Several --url servers must
// be instances of one cluster (one Redis, docs/scaling.md): every bot
// expects every track of its room, whichever instance it came through.
//
// What is measured: media join time runs from the WebSocket dial to the
// first RTP packet the bot receives (or from the first packet sent by any
// other publisher of the room, if that came later). Everything else is
// measured over a window that opens --warmup after the last bot joined
// and closes when --duration has passed since the start: per received
// track, packets expected (from the first to the highest sequence number
// seen in the window; the SFU keeps them contiguous), received and lost;
// added latency (every payload starts with the 8-byte send time in Unix
// nanoseconds, after the VP8 descriptor and frame header for video);
// RFC 3550 interarrival jitter from those send times; and with
// --server-pid the server's CPU-seconds in the window, its peak RSS, and
// forwarded packets per server CPU-second (packets received by all bots
// in the window divided by the server's CPU-seconds). With --simulcast,
// every video payload also carries its layer after the send time, and
// the report counts packets sent and received by layer. Hand and chat
// commands are timed from the send to the event that shows them done
// coming back to the sender (the hands queue with or without the sender,
// the sender's chat message); a command unanswered within 5 s is lost,
// and every bot of the room should get every chat message.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hearth-load:", err)
		os.Exit(1)
	}
}

// Limits on the flags, to keep every run bounded.
const (
	maxDuration     = time.Hour
	maxBots         = 2000
	maxVideoBitrate = 20000
	minWindow       = time.Second
)

// config holds the parsed flags.
type config struct {
	// URLs are the servers' HTTP base URLs, without a trailing slash.
	URLs            []string
	AdminToken      string
	RoomLink        string
	Rooms           int
	Participants    int
	AudioPublishers int
	VideoPublishers int
	VideoBitrate    int // kbit/s per video track
	Duration        time.Duration
	RampUp          time.Duration
	Warmup          time.Duration
	JoinTimeout     time.Duration
	// ServerPID is the server's process id, the first of ServerPIDs:
	// with several instances, their figures are summed.
	ServerPID    int
	ServerPIDs   []int
	JSON         bool
	LoopbackOnly bool
	// Simulcast: video publishers send their camera as three layers
	// (rids q, h, f) at LayerBitrates (kbit/s, lowest first).
	Simulcast     bool
	LayerBitrates []int
	// TWCC: bots send transport-wide congestion control feedback, as
	// browsers do (the server numbers their packets and estimates).
	TWCC bool
	// TileSizes: receiving bots, round-robin, say (video_sizes) that they
	// show every publisher's camera at one of these sizes; none: they
	// send no video_sizes.
	TileSizes [][2]int
	// Hands bots per room raise and lower their hand, each every
	// HandInterval; a bot of the room sends a chat message every
	// ChatInterval (0: none). Both only in the measuring window.
	Hands        int
	HandInterval time.Duration
	ChatInterval time.Duration
	// CPUProfile: write the load generator's own CPU profile over the
	// measuring window to this file.
	CPUProfile string
	// room is the room of RoomLink.
	room roomRef
}

// parseConfig parses and checks the flags.
func parseConfig(args []string, stderr io.Writer) (config, error) {
	var c config
	fs, urls, lists := c.flagSet(stderr)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := c.parseLists(lists); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	if c.RoomLink != "" {
		if err := c.useRoomLink(set, urls); err != nil {
			return c, err
		}
	}
	if err := c.parseURLs(*urls); err != nil {
		return c, err
	}
	if c.AudioPublishers < 0 {
		c.AudioPublishers = c.Participants
	}
	return c, c.check()
}

// listFlags are the flags given as lists, parsed after the others.
type listFlags struct {
	layerBitrates, tileSizes string
}

// flagSet defines the flags, each filling in a field of c, except --url,
// whose value it returns, and the lists.
func (c *config) flagSet(stderr io.Writer) (*flag.FlagSet, *string, *listFlags) {
	fs := flag.NewFlagSet("hearth-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: hearth-load [flags]\n\nJoins bots to Hearth rooms, makes them publish synthetic Opus/VP8 RTP,\nmeasures what they receive, prints a report and stops after --duration.\n\nFlags:")
		fs.PrintDefaults()
	}
	urls := fs.String("url", "http://127.0.0.1:8080", "server base URL(s), comma-separated; bots are spread round-robin across them (rooms are created through the first)")
	fs.StringVar(&c.AdminToken, "admin-token", "", "admin API bearer token, to create rooms with POST /api/rooms; required unless --room-link is given")
	fs.StringVar(&c.RoomLink, "room-link", "", "use this existing room instead of creating rooms (then --rooms is 1): its member link with the facilitator key added, http://host/r/<room-id>#k=<key>&f=<key> (the member link alone if the room's waiting room is off)")
	fs.IntVar(&c.Rooms, "rooms", 1, "rooms to create")
	fs.IntVar(&c.Participants, "participants", 4, "bots per room")
	fs.IntVar(&c.AudioPublishers, "audio-publishers", -1, "bots per room that publish audio (-1: all)")
	fs.IntVar(&c.VideoPublishers, "video-publishers", 0, "bots per room that publish video (the first bots of each room)")
	fs.IntVar(&c.VideoBitrate, "video-bitrate", 500, "bitrate of each video track in kbit/s")
	fs.DurationVar(&c.Duration, "duration", 30*time.Second, "length of the whole run, joins included (at most 1h)")
	fs.DurationVar(&c.RampUp, "ramp-up", 2*time.Second, "spread the joins over this time")
	fs.DurationVar(&c.Warmup, "warmup", 2*time.Second, "time after the last join that is not measured")
	fs.DurationVar(&c.JoinTimeout, "join-timeout", 20*time.Second, "longest time one bot may take to join and publish")
	fs.Func("server-pid", "process id of the server, or comma-separated ids of several instances (their figures are summed): sample CPU time and memory from /proc every 250 ms", func(v string) error {
		c.ServerPIDs = c.ServerPIDs[:0]
		for _, f := range strings.Split(v, ",") {
			pid, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || pid < 0 {
				return fmt.Errorf("%q is not a process id", f)
			}
			if pid > 0 {
				c.ServerPIDs = append(c.ServerPIDs, pid)
			}
		}
		c.ServerPID = 0
		if len(c.ServerPIDs) > 0 {
			c.ServerPID = c.ServerPIDs[0]
		}
		return nil
	})
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON instead of the human summary")
	fs.BoolVar(&c.LoopbackOnly, "loopback-only", true, "gather and accept only loopback ICE candidates")
	var lists listFlags
	fs.BoolVar(&c.TWCC, "twcc", false, "bots send transport-wide congestion control feedback, as browsers do: the server numbers every packet it sends them and estimates their bandwidth")
	fs.BoolVar(&c.Simulcast, "simulcast", false, "video publishers send three layers (rids q, h, f) at --simulcast-bitrates")
	fs.StringVar(&lists.layerBitrates, "simulcast-bitrates", "150,500,1500", "kbit/s of the simulcast layers q, h and f")
	fs.StringVar(&lists.tileSizes, "tile-sizes", "auto", `sizes WxH at which receiving bots, round-robin, show every camera (video_sizes); "none": send none; "auto": 320x180,640x360,1280x720 with --simulcast, else none`)
	fs.IntVar(&c.Hands, "hands", 0, "bots per room that raise and lower their hand, each every --hand-interval, in the measuring window")
	fs.DurationVar(&c.HandInterval, "hand-interval", 4*time.Second, "time between one bot's hand raise and lower")
	fs.DurationVar(&c.ChatInterval, "chat-interval", 0, "a bot of each room sends a chat message this often in the measuring window (0: no chat)")
	fs.StringVar(&c.CPUProfile, "cpu-profile", "", "write the load generator's own CPU profile (pprof) over the measuring window to this file")
	return fs, urls, &lists
}

// parseLists parses the list flags.
func (c *config) parseLists(l *listFlags) error {
	for _, f := range strings.Split(l.layerBitrates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("--simulcast-bitrates: %q is not a number of kbit/s", f)
		}
		c.LayerBitrates = append(c.LayerBitrates, n)
	}
	sizes := l.tileSizes
	if sizes == "auto" {
		sizes = "none"
		if c.Simulcast {
			sizes = "320x180,640x360,1280x720"
		}
	}
	if sizes == "none" {
		return nil
	}
	for _, f := range strings.Split(sizes, ",") {
		w, h, ok := strings.Cut(strings.TrimSpace(f), "x")
		wi, err1 := strconv.Atoi(w)
		hi, err2 := strconv.Atoi(h)
		if !ok || err1 != nil || err2 != nil || wi < 0 || hi < 0 || wi > 16384 || hi > 16384 {
			return fmt.Errorf("--tile-sizes: %q is not a size WxH (e.g. 640x360)", f)
		}
		c.TileSizes = append(c.TileSizes, [2]int{wi, hi})
	}
	return nil
}

// useRoomLink takes the room, and the server unless --url was set, from
// --room-link; set holds the flags given.
func (c *config) useRoomLink(set map[string]bool, urls *string) error {
	base, id, err := parseRoomLink(c.RoomLink)
	if err != nil {
		return err
	}
	c.room = roomRef{ID: id, MemberKey: linkKey(c.RoomLink, "k"), FacilitatorKey: linkKey(c.RoomLink, "f")}
	if !set["url"] {
		*urls = base
	}
	if set["rooms"] && c.Rooms != 1 {
		return errors.New("--room-link gives one room; leave out --rooms or set it to 1")
	}
	c.Rooms = 1
	return nil
}

// parseURLs fills in URLs from --url's comma-separated list.
func (c *config) parseURLs(urls string) error {
	for _, u := range strings.Split(urls, ",") {
		u = strings.TrimRight(strings.TrimSpace(u), "/")
		if u == "" {
			continue
		}
		pu, err := url.Parse(u)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return fmt.Errorf("--url: %q is not an http(s) base URL", u)
		}
		c.URLs = append(c.URLs, u)
	}
	if len(c.URLs) == 0 {
		return errors.New("--url: give at least one server URL")
	}
	return nil
}

// check tells the first flag out of its bounds, or that a run of c
// measures nothing.
func (c *config) check() error {
	switch {
	case c.Rooms < 1:
		return errors.New("--rooms must be at least 1")
	case c.Participants < 1:
		return errors.New("--participants must be at least 1")
	case c.Rooms*c.Participants > maxBots:
		return fmt.Errorf("--rooms × --participants is %d; at most %d bots", c.Rooms*c.Participants, maxBots)
	case c.AudioPublishers > c.Participants:
		return errors.New("--audio-publishers cannot exceed --participants")
	case c.VideoPublishers < 0 || c.VideoPublishers > c.Participants:
		return errors.New("--video-publishers must be between 0 and --participants")
	case c.VideoBitrate < 30 || c.VideoBitrate > maxVideoBitrate:
		return fmt.Errorf("--video-bitrate must be between 30 and %d kbit/s", maxVideoBitrate)
	case c.Duration <= 0 || c.Duration > maxDuration:
		return fmt.Errorf("--duration must be above 0 and at most %v", maxDuration)
	case c.RampUp < 0 || c.Warmup < 0:
		return errors.New("--ramp-up and --warmup cannot be negative")
	case c.RampUp+c.Warmup+minWindow > c.Duration:
		return fmt.Errorf("--duration %v leaves no measuring window after --ramp-up %v and --warmup %v", c.Duration, c.RampUp, c.Warmup)
	case c.JoinTimeout <= 0:
		return errors.New("--join-timeout must be above 0")
	case len(c.LayerBitrates) != len(layerRIDs()):
		return fmt.Errorf("--simulcast-bitrates: give %d bitrates, one per layer (%s)", len(layerRIDs()), strings.Join(layerRIDs(), ", "))
	case slices.ContainsFunc(c.LayerBitrates, func(k int) bool { return k < 30 || k > maxVideoBitrate }):
		return fmt.Errorf("--simulcast-bitrates must be between 30 and %d kbit/s each", maxVideoBitrate)
	case c.Hands < 0 || c.Hands > c.Participants:
		return errors.New("--hands must be between 0 and --participants")
	case c.Hands > 0 && c.HandInterval < 100*time.Millisecond:
		return errors.New("--hand-interval must be at least 100ms")
	case c.ChatInterval < 0 || (c.ChatInterval > 0 && c.ChatInterval < 100*time.Millisecond):
		return errors.New("--chat-interval must be 0 or at least 100ms")
	case c.RoomLink == "" && c.AdminToken == "":
		return errors.New("--admin-token is required to create rooms (or give --room-link)")
	}
	return nil
}

// parseRoomLink splits a member link into the server's base URL and the
// room id.
func parseRoomLink(link string) (base, id string, err error) {
	u, err := url.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", fmt.Errorf("--room-link: %q is not an http(s) link", link)
	}
	rest, ok := strings.CutPrefix(u.Path, "/r/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", "", fmt.Errorf("--room-link: %q is not a room link (http://host/r/<room-id>)", link)
	}
	return u.Scheme + "://" + u.Host, rest, nil
}

// wsURL turns a server base URL into its signaling endpoint.
func wsURL(base string) string {
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		return "wss://" + rest + "/ws"
	}
	return "ws://" + strings.TrimPrefix(base, "http://") + "/ws"
}

// run parses args, runs the load and writes the report to stdout. It
// returns an error when the run could not be done or when bots failed to
// join or to receive a track; the report is printed either way once the
// bots ran.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseConfig(args, stderr)
	if err != nil {
		return err
	}
	// Every step below has its own bound; this one catches anything else.
	ctx, cancel := context.WithTimeout(ctx, cfg.Duration+cfg.JoinTimeout+time.Minute)
	defer cancel()

	rooms := []roomRef{cfg.room}
	if cfg.RoomLink == "" {
		if rooms, err = createRooms(ctx, cfg); err != nil {
			return err
		}
	}
	rep, runErr := newLoad(cfg, rooms, stderr).run(ctx)
	if rep != nil {
		if cfg.JSON {
			if err := writeJSON(stdout, rep); err != nil {
				return err
			}
		} else {
			writeSummary(stdout, rep)
		}
	}
	return runErr
}
