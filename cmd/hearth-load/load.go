package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// Phases of a run, as the bots see them.
const (
	phaseJoin    int32 = iota // joining and warming up: nothing is counted
	phaseMeasure              // the measuring window
	phaseDone                 // after the window
)

// closeTimeout bounds the teardown: closing the bots and waiting for
// their read loops.
const closeTimeout = 15 * time.Second

// maxNotes caps the messages kept from the bots' connections.
const maxNotes = 50

// load is one run.
type load struct {
	// static after construction
	cfg   config
	rooms []roomRef
	log   io.Writer
	bots  []*bot
	shape videoShape
	// layerShapes are the simulcast layers' shapes, lowest first.
	layerShapes []videoShape
	// ready[r] is closed once room r's facilitator bot set the room up
	// (or failed to: then roomErr[r] says why).
	ready   []chan struct{}
	roomErr []error

	phase atomic.Int32

	// cmds adds up the hand and chat commands; cmdWG waits for them.
	cmds  commands
	cmdWG sync.WaitGroup

	mu           sync.Mutex // guards everything below
	tracksClosed bool       // no more read loops may start
	rxWG         sync.WaitGroup
	tracks       []*rxTrack // of ended read loops
	notes        []string   // errors the server or the client reported
	droppedNotes int
}

func newLoad(cfg config, rooms []roomRef, log io.Writer) *load {
	l := &load{cfg: cfg, rooms: rooms, log: log, shape: shapeVideo(cfg.VideoBitrate),
		ready: make([]chan struct{}, len(rooms)), roomErr: make([]error, len(rooms)),
		cmds: commands{byKind: map[string]*cmdAcc{}, chats: map[int]int{}}}
	for _, k := range cfg.LayerBitrates {
		l.layerShapes = append(l.layerShapes, shapeVideo(k))
	}
	for r := range rooms {
		l.ready[r] = make(chan struct{})
	}
	// Interleave the rooms, so that they fill up together; each room's
	// facilitator comes first.
	for i := range cfg.Participants {
		for r := range rooms {
			k := len(l.bots)
			b := &bot{
				index: k, room: r, seat: i, name: fmt.Sprintf("Bot%d-%d", r+1, i+1),
				url:   wsURL(cfg.URLs[k%len(cfg.URLs)]),
				audio: i < cfg.AudioPublishers, video: i < cfg.VideoPublishers,
				facilitator: i == 0 && rooms[r].FacilitatorKey != "",
			}
			if b.facilitator {
				b.setup = make(chan client.Message, 64)
			}
			if n := len(cfg.TileSizes); n > 0 {
				b.tile = cfg.TileSizes[i%n]
			}
			l.bots = append(l.bots, b)
		}
	}
	return l
}

// run joins the bots, measures, tears everything down and returns the
// report. The error tells what went wrong; the report, when not nil, is
// worth printing all the same.
func (l *load) run(ctx context.Context) (*Report, error) {
	start := time.Now()
	end := start.Add(l.cfg.Duration)
	var sampler *procSampler
	if l.cfg.ServerPID > 0 {
		var err error
		if sampler, err = startSampler(l.cfg.ServerPIDs); err != nil {
			return nil, fmt.Errorf("--server-pid: %w", err)
		}
	}
	fmt.Fprintf(l.log, "hearth-load: %d bots in %d room(s), joining over %v\n", len(l.bots), len(l.rooms), l.cfg.RampUp)

	sendCtx, stopSending := context.WithCancel(context.Background())
	defer stopSending()
	var senders sync.WaitGroup
	l.joinAll(ctx, sendCtx, &senders, start, end)
	errs, lastJoin, joined := l.joinErrors()
	fmt.Fprintf(l.log, "hearth-load: %d of %d bots joined in %v\n", joined, len(l.bots), lastJoin.Sub(start).Round(time.Millisecond))

	var w window
	if err := l.measureAfterJoins(ctx, start, end, lastJoin, joined, sampler, &w); err != nil {
		errs = append(errs, err)
	}
	l.phase.Store(phaseDone)
	l.cmdWG.Wait()
	errs = append(errs, l.lostConnections()...)

	stopSending()
	senders.Wait()
	if err := l.closeAll(); err != nil {
		errs = append(errs, err)
	}
	if sampler != nil {
		sampler.stop()
		if sampler.err != nil && w.serverErr == nil {
			errs = append(errs, fmt.Errorf("server process %v: %w", l.cfg.ServerPIDs, sampler.err))
		}
	}
	rep := l.report(w, sampler)
	errs = l.addProblems(rep, errs)
	if ctx.Err() != nil {
		errs = append(errs, fmt.Errorf("run cut short: %w", context.Cause(ctx)))
	}
	return rep, errors.Join(errs...)
}

// joinAll joins each bot at its time in the ramp-up from start, and starts
// the senders of those that joined (in senders, until sendCtx ends). It
// returns once every join has ended.
func (l *load) joinAll(ctx, sendCtx context.Context, senders *sync.WaitGroup, start, end time.Time) {
	var joins sync.WaitGroup
	for i, b := range l.bots {
		at := start.Add(time.Duration(int64(l.cfg.RampUp) * int64(i) / int64(len(l.bots))))
		joins.Go(func() {
			if !sleepUntil(ctx, at) {
				b.err = fmt.Errorf("not started: %w", context.Cause(ctx))
				return
			}
			l.join(ctx, b, end)
			if b.err != nil {
				return
			}
			if b.audioTx != nil {
				senders.Go(func() { b.audioTx.sendAudio(sendCtx, &l.phase) })
			}
			if b.videoTx != nil {
				senders.Go(func() { b.videoTx.sendVideo(sendCtx, l.shape, &l.phase) })
			}
			for i, t := range b.layersTx {
				senders.Go(func() { t.sendVideo(sendCtx, l.layerShapes[i], &l.phase) })
			}
		})
	}
	joins.Wait()
}

// joinErrors returns an error per bot that failed to join, how many
// joined, and when the last of them was ready.
func (l *load) joinErrors() (errs []error, lastJoin time.Time, joined int) {
	for _, b := range l.bots {
		if b.err != nil {
			errs = append(errs, fmt.Errorf("%s (room %d) failed to join: %w", b.name, b.room+1, b.err))
			continue
		}
		joined++
		if b.readyAt.After(lastJoin) {
			lastJoin = b.readyAt
		}
	}
	return errs, lastJoin, joined
}

// measureAfterJoins measures over the window from --warmup after the last
// join to end, if a bot joined and the window is long enough.
func (l *load) measureAfterJoins(ctx context.Context, start, end, lastJoin time.Time, joined int, sampler *procSampler, w *window) error {
	windowStart := lastJoin.Add(l.cfg.Warmup)
	switch {
	case joined == 0:
		return errors.New("no bot joined; nothing was measured")
	case end.Sub(windowStart) < minWindow:
		return fmt.Errorf("the joins took %v: no measuring window of %v is left after the %v warmup; raise --duration",
			lastJoin.Sub(start).Round(time.Millisecond), minWindow, l.cfg.Warmup)
	}
	return l.measure(ctx, windowStart, end, sampler, w)
}

// lostConnections returns an error per bot whose connection to the
// server ended during the run.
func (l *load) lostConnections() []error {
	var errs []error
	for _, b := range l.bots {
		if b.p == nil {
			continue
		}
		select {
		case <-b.p.Done():
			errs = append(errs, fmt.Errorf("%s lost its connection to the server during the run", b.name))
		default:
		}
	}
	return errs
}

// addProblems adds to errs an error for the tracks that never arrived,
// and writes into the report every error, a line per missing track (at
// most maxNotes) and, as warnings, the notes from the bots' connections.
// It returns errs.
func (l *load) addProblems(rep *Report, errs []error) []error {
	if rep.Tracks.Missing > 0 {
		errs = append(errs, fmt.Errorf("%d track(s) never reached the bot that should have received them (see the report's errors)", rep.Tracks.Missing))
	}
	for _, e := range errs {
		rep.Errors = append(rep.Errors, e.Error())
	}
	for i, m := range rep.missing {
		if i == maxNotes {
			rep.Errors = append(rep.Errors, fmt.Sprintf("... and %d more missing tracks", len(rep.missing)-maxNotes))
			break
		}
		rep.Errors = append(rep.Errors, m)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	rep.Warnings = append(rep.Warnings, l.notes...)
	if l.droppedNotes > 0 {
		rep.Warnings = append(rep.Warnings, fmt.Sprintf("... and %d more messages like these", l.droppedNotes))
	}
	return errs
}

// window is what is read at the edges of the measuring window.
type window struct {
	start, end       time.Time
	server0, server1 procSample
	serverErr        error
	self0, self1     time.Duration
	host0, host1     hostCPU
	hostErr          error
	measured         bool
}

// measure waits for the window, opens it, waits until end and closes it.
func (l *load) measure(ctx context.Context, from, end time.Time, sampler *procSampler, w *window) error {
	if !sleepUntil(ctx, from) {
		return nil
	}
	if sampler != nil {
		w.server0, w.serverErr = readProcs(l.cfg.ServerPIDs)
	}
	w.self0, _ = selfUsage()
	w.host0, w.hostErr = readHostCPU()
	w.start = time.Now()
	l.phase.Store(phaseMeasure)
	w.measured = true
	l.runCommands(w.start, end, &l.cmdWG)
	fmt.Fprintf(l.log, "hearth-load: measuring for %v\n", end.Sub(w.start).Round(time.Millisecond))
	stopProfile, err := startProfile(l.cfg.CPUProfile)
	if err != nil {
		return err
	}
	sleepUntil(ctx, end) // cut short: run reports ctx's error
	if err := stopProfile(); err != nil {
		return err
	}
	l.phase.Store(phaseDone)
	w.end = time.Now()
	w.self1, _ = selfUsage()
	if w.hostErr == nil {
		w.host1, w.hostErr = readHostCPU()
	}
	if sampler != nil && w.serverErr == nil {
		w.server1, w.serverErr = readProcs(l.cfg.ServerPIDs)
	}
	if w.serverErr != nil {
		return fmt.Errorf("server process %v: %w", l.cfg.ServerPIDs, w.serverErr)
	}
	return nil
}

// join joins b, adds its tracks and publishes them, all before the
// earlier of the join timeout and the end of the run. A room's
// facilitator bot sets the room up first; the others wait for it.
func (l *load) join(ctx context.Context, b *bot, end time.Time) {
	room := l.rooms[b.room]
	if b.facilitator {
		defer close(l.ready[b.room])
	} else if room.FacilitatorKey != "" {
		select {
		case <-l.ready[b.room]:
			if err := l.roomErr[b.room]; err != nil {
				b.err = fmt.Errorf("the room was not set up: %w", err)
				return
			}
		case <-ctx.Done():
			b.err = context.Cause(ctx)
			return
		}
	}
	deadline := time.Now().Add(l.cfg.JoinTimeout)
	if end.Before(deadline) {
		deadline = end
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	muted, camera := !b.audio, b.video
	j := protocol.Join{Room: room.ID, Name: b.name, MemberKey: room.MemberKey, Muted: &muted, Camera: &camera}
	if b.facilitator {
		j.FacilitatorKey = room.FacilitatorKey
	}
	b.dialStart = time.Now()
	p, err := client.Join(ctx, b.url, j,
		client.MediaParams{
			LoopbackOnly:   l.cfg.LoopbackOnly,
			NoInterceptors: true,
			Simulcast:      l.cfg.Simulcast,
			TWCC:           l.cfg.TWCC,
			OnTrack:        func(publisher string, t *webrtc.TrackRemote) { l.receive(b, publisher, t) },
			OnMessage:      func(m client.Message) { l.onMessage(b, m) },
		})
	if err != nil {
		b.err = err
		return
	}
	b.welcomeAt = time.Now()
	b.p, b.id = p, p.ID()
	var cameras []string
	for _, o := range p.Welcome.Participants {
		if o.Camera {
			cameras = append(cameras, o.ID)
		}
	}
	l.show(b, p.Conn, b.id, cameras...)
	if p.Welcome.Self.Status == statusWaiting {
		b.err = errors.New("put in the waiting room: add the facilitator key to the link (--room-link http://host/r/<id>#k=<key>&f=<key>) or turn the room's waiting room off")
		return
	}
	if b.facilitator {
		if err := l.setUpRoom(ctx, b); err != nil {
			l.roomErr[b.room] = err
			b.err = err
			return
		}
	}
	if err := l.publish(ctx, b); err != nil {
		b.err = err
		return
	}
	b.readyAt = time.Now()
}

// publish adds b's tracks (audio, video or its simulcast layers) and
// negotiates them.
func (l *load) publish(ctx context.Context, b *bot) error {
	var senders []*webrtc.RTPSender
	add := func(ts ...*sendTrack) error {
		locals := make([]webrtc.TrackLocal, len(ts))
		for i, t := range ts {
			locals[i] = t
		}
		sender, err := b.p.AddSimulcastTrack(locals...)
		if err != nil {
			return err
		}
		for _, t := range ts {
			go t.readRTCP(sender)
		}
		senders = append(senders, sender)
		return nil
	}
	if b.audio {
		b.audioTx = newSendTrack(webrtc.RTPCodecTypeAudio, b.id)
		if err := add(b.audioTx); err != nil {
			return err
		}
	}
	switch {
	case b.video && l.cfg.Simulcast:
		for i, rid := range layerRIDs() {
			b.layersTx = append(b.layersTx, newLayerTrack(b.id, i, len(layerRIDs()), rid))
		}
		if err := add(b.layersTx...); err != nil {
			return err
		}
	case b.video:
		b.videoTx = newSendTrack(webrtc.RTPCodecTypeVideo, b.id)
		if err := add(b.videoTx); err != nil {
			return err
		}
	}
	if len(senders) == 0 {
		return nil
	}
	if err := b.p.Publish(ctx); err != nil {
		return fmt.Errorf("publish: %w", err)
	}
	if len(b.layersTx) > 0 {
		mid := b.p.Mid(senders[len(senders)-1])
		for _, t := range b.layersTx {
			t.mid = mid
		}
	}
	return nil
}

// receive is the read loop of one track b receives.
func (l *load) receive(b *bot, publisher string, t *webrtc.TrackRemote) {
	l.mu.Lock()
	if l.tracksClosed {
		l.mu.Unlock()
		return
	}
	l.rxWG.Add(1)
	l.mu.Unlock()
	defer l.rxWG.Done()
	rx := &rxTrack{bot: b, publisher: publisher, kind: t.Kind().String()}
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			break
		}
		rx.onPacket(buf[:n], time.Now().UnixNano(), l.phase.Load() == phaseMeasure)
	}
	l.mu.Lock()
	l.tracks = append(l.tracks, rx)
	l.mu.Unlock()
}

// onMessage keeps the errors the server sends a bot, and the client's own,
// and passes events and errors to a facilitator bot's room setup.
func (l *load) onMessage(b *bot, m client.Message) {
	if b.setup != nil && (m.Type == protocol.TypeEvent || m.Type == protocol.TypeError) {
		select {
		case b.setup <- m:
		default: // setup is over, or not listening yet: drop
		}
	}
	switch m.Type {
	case protocol.TypeEvent:
		l.onCommandEvent(b, m)
		l.onCameraEvent(b, m)
	case protocol.TypeError:
		l.onCommandError(b, m)
	}
	if l.phase.Load() == phaseDone {
		return // teardown: closing connections fail their last messages
	}
	var note string
	switch m.Type {
	case "client_error":
		note = fmt.Sprintf("%s: client: %s", b.name, m.Raw)
	case protocol.TypeError:
		var e protocol.Error
		if m.Decode(&e) == nil {
			note = fmt.Sprintf("%s: server error %s: %s", b.name, e.Code, e.Message)
		}
	case protocol.TypeBye:
		note = fmt.Sprintf("%s: server said bye: %s", b.name, m.Raw)
	}
	if note != "" {
		l.note(note)
	}
}

// note keeps a warning for the report (at most maxNotes).
func (l *load) note(note string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.notes) < maxNotes {
		l.notes = append(l.notes, note)
	} else {
		l.droppedNotes++
	}
}

// closeAll closes every bot and waits for the read loops to end.
func (l *load) closeAll() error {
	l.mu.Lock()
	l.tracksClosed = true
	l.mu.Unlock()
	done := make(chan struct{})
	go func() {
		var wg sync.WaitGroup
		for _, b := range l.bots {
			if b.p != nil {
				wg.Go(b.p.Close)
			}
		}
		wg.Wait()
		l.rxWG.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(closeTimeout):
		return fmt.Errorf("the bots did not close within %v", closeTimeout)
	}
}

// sleepUntil waits until t; it reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
