package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

type trackKey struct{ receiver, publisher, kind string }

// report builds the report from the bots and the ended read loops.
func (l *load) report(w window, sampler *procSampler) *Report {
	r := l.newReport(w)
	byID := l.addJoins(r)
	l.mu.Lock()
	tracks := slices.Clone(l.tracks)
	l.mu.Unlock()
	l.addMediaJoins(r, byID, tracks)
	addTrackCounts(r, byID, tracks)
	addFlows(r, byID, tracks, w)
	l.addCommands(r, byID)
	addLoadGenCosts(r, w)
	if sampler != nil {
		r.Server = l.serverStats(r, w, sampler)
		if r.Host != nil {
			r.Host.OtherCores -= r.Server.CPUPercent / 100
		}
	}
	if r.Host != nil {
		r.Host.OtherCores = max(r.Host.OtherCores, 0)
	}
	return r
}

// newReport is a report of the run's settings and window, without results.
func (l *load) newReport(w window) *Report {
	cfg := l.cfg
	r := &Report{
		Servers: cfg.URLs, Rooms: len(l.rooms), ParticipantsPerRoom: cfg.Participants,
		AudioPublishersPerRoom: cfg.AudioPublishers, VideoPublishersPerRoom: cfg.VideoPublishers,
		VideoBitrateKbps: cfg.VideoBitrate, TWCC: cfg.TWCC,
		Video:     VideoShape{FPS: l.shape.fps, PacketsPerFrame: l.shape.packetsPerFrame, PayloadBytes: l.shape.payload},
		DurationS: cfg.Duration.Seconds(), RampUpS: cfg.RampUp.Seconds(), WarmupS: cfg.Warmup.Seconds(),
		Bots: len(l.bots), Errors: []string{}, Warnings: []string{}, PerBot: []BotStats{}, PerTrack: []TrackStats{},
	}
	if w.measured {
		r.WindowS = w.end.Sub(w.start).Seconds()
	}
	if cfg.Simulcast {
		r.Simulcast = &SimulcastShape{RIDs: layerRIDs(), BitratesKbps: cfg.LayerBitrates}
		for _, s := range l.layerShapes {
			r.Simulcast.Layers = append(r.Simulcast.Layers, VideoShape{FPS: s.fps, PacketsPerFrame: s.packetsPerFrame, PayloadBytes: s.payload})
		}
	}
	for _, t := range cfg.TileSizes {
		r.TileSizes = append(r.TileSizes, fmt.Sprintf("%dx%d", t[0], t[1]))
	}
	return r
}

// addCommands adds the commands' round trips and the chat deliveries.
func (l *load) addCommands(r *Report, byID map[string]*bot) {
	l.cmds.mu.Lock()
	defer l.cmds.mu.Unlock()
	for kind, a := range l.cmds.byKind {
		if r.Commands == nil {
			r.Commands = map[string]CommandStats{}
		}
		r.Commands[kind] = CommandStats{Sent: a.sent, Answered: a.answered, Lost: a.lost, Refused: a.refused,
			RTTMs: Quantiles{N: int(a.rtt.total), P50: a.rtt.quantile(0.5), P95: a.rtt.quantile(0.95),
				P99: a.rtt.quantile(0.99), Max: float64(a.rtt.max) / 1000}}
		if a.lost > 0 {
			r.Errors = append(r.Errors, fmt.Sprintf("%d %s command(s) got no answer within %v", a.lost, kind, cmdTimeout))
		}
	}
	r.Warnings = append(r.Warnings, l.cmds.refusal...)
	if len(l.cmds.chats) == 0 {
		return
	}
	c := &ChatStats{}
	inRoom := map[int]int64{}
	for _, b := range byID {
		inRoom[b.room]++
		c.Delivered += b.chatsReceived.Load()
	}
	for room, n := range l.cmds.chats {
		c.Messages += n
		c.Expected += int64(n) * inRoom[room]
	}
	c.Lost = max(c.Expected-c.Delivered, 0)
	if c.Lost > 0 {
		r.Errors = append(r.Errors, fmt.Sprintf("%d of %d chat deliveries did not arrive", c.Lost, c.Expected))
	}
	r.Chat = c
}

// addJoins counts the bots that joined, their signaling join times and the
// keyframe requests they got; it returns the bots that joined, by id.
func (l *load) addJoins(r *Report) map[string]*bot {
	byID := map[string]*bot{}
	var welcome, published []float64
	for _, b := range l.bots {
		if b.err != nil || b.p == nil {
			continue
		}
		r.Joined++
		byID[b.id] = b
		welcome = append(welcome, ms(b.welcomeAt.Sub(b.dialStart)))
		published = append(published, ms(b.readyAt.Sub(b.dialStart)))
		for _, t := range b.sendTracks() {
			r.KeyframeRequests += t.plis.Load()
		}
	}
	r.SignalingJoinMs = quantiles(welcome)
	r.PublishedMs = quantiles(published)
	return byID
}

// addMediaJoins adds each bot's media join time: to the first packet it
// received, from its dial or from the first packet another publisher of
// its room sent, whichever came later.
func (l *load) addMediaJoins(r *Report, byID map[string]*bot, tracks []*rxTrack) {
	firstRecv := map[*bot]int64{}
	for _, t := range tracks {
		if t.firstAt == 0 {
			continue
		}
		if f, ok := firstRecv[t.bot]; !ok || t.firstAt < f {
			firstRecv[t.bot] = t.firstAt
		}
	}
	firstSent := l.firstSent(byID)
	var mediaJoin []float64
	for _, b := range l.bots {
		f, ok := firstRecv[b]
		if !ok || b.err != nil {
			continue
		}
		var other int64 // the first packet sent by another publisher
		for _, s := range firstSent[b.room] {
			if s.b != b && (other == 0 || s.at < other) {
				other = s.at
			}
		}
		from := max(b.dialStart.UnixNano(), other)
		mediaJoin = append(mediaJoin, float64(f-from)/1e6)
		r.PerBot = append(r.PerBot, BotStats{Name: b.name, ID: b.id, Server: b.url, Facilitator: b.facilitator,
			WelcomeMs: ms(b.welcomeAt.Sub(b.dialStart)), PublishedMs: ms(b.readyAt.Sub(b.dialStart)),
			MediaJoinMs: float64(f-from) / 1e6})
	}
	r.MediaJoinMs = quantiles(mediaJoin)
}

// firstPacket is when a publisher sent its first packet, in Unix
// nanoseconds.
type firstPacket struct {
	b  *bot
	at int64
}

// firstSent returns, per room, the earliest first packet of each of its
// publishers.
func (l *load) firstSent(byID map[string]*bot) [][]firstPacket {
	firstSent := make([][]firstPacket, len(l.rooms))
	for _, b := range byID {
		var at int64
		for _, t := range b.sendTracks() {
			if f := t.firstSent.Load(); f != 0 && (at == 0 || f < at) {
				at = f
			}
		}
		if at != 0 {
			firstSent[b.room] = append(firstSent[b.room], firstPacket{b, at})
		}
	}
	return firstSent
}

// addTrackCounts counts the tracks expected against the tracks received,
// with a line per missing one.
func addTrackCounts(r *Report, byID map[string]*bot, tracks []*rxTrack) {
	got := map[trackKey]bool{}
	for _, t := range tracks {
		if t.firstAt != 0 {
			got[trackKey{t.bot.id, t.publisher, t.kind}] = true
		}
	}
	for _, rx := range byID {
		for _, tx := range byID {
			if rx == tx || rx.room != tx.room {
				continue
			}
			for _, k := range []struct {
				on   bool
				kind string
			}{{tx.audio, "audio"}, {tx.video, "video"}} {
				if !k.on {
					continue
				}
				r.Tracks.Expected++
				if got[trackKey{rx.id, tx.id, k.kind}] {
					r.Tracks.Receiving++
				} else {
					r.Tracks.Missing++
					r.missing = append(r.missing, fmt.Sprintf("%s never received %s from %s", rx.name, k.kind, tx.name))
				}
			}
		}
	}
	slices.Sort(r.missing)
}

// addFlows adds what the tracks brought in the window, per track and per
// kind, and counts the late and the foreign tracks.
func addFlows(r *Report, byID map[string]*bot, tracks []*rxTrack, w window) {
	flows := map[string]*flowAcc{"audio": {}, "video": {}}
	for _, t := range tracks {
		pub := byID[t.publisher]
		if pub == nil {
			r.Tracks.Foreign++
		}
		late := w.measured && t.firstAt > w.start.UnixNano()
		if late {
			r.Tracks.Late++
		}
		if !t.started {
			continue
		}
		f := flows[t.kind]
		if f == nil {
			continue
		}
		f.add(t)
		r.PerTrack = append(r.PerTrack, trackStats(t, pub, late))
	}
	slices.SortFunc(r.PerTrack, func(a, b TrackStats) int {
		return strings.Compare(a.Receiver+"\x00"+a.Publisher+a.Kind, b.Receiver+"\x00"+b.Publisher+b.Kind)
	})
	for _, b := range byID {
		for _, t := range b.sendTracks() {
			f := flows[t.kind.String()]
			f.sent += t.sent.Load()
			if t.rid != "" {
				f.sentLayers[t.tag] += t.sent.Load()
			}
		}
	}
	total := &flowAcc{}
	total.merge(flows["audio"])
	total.merge(flows["video"])
	r.Audio = flows["audio"].flow(r.WindowS)
	r.VideoFlow = flows["video"].flow(r.WindowS)
	r.Total = total.flow(r.WindowS)
}

// trackStats is one received track's line; pub is its publisher, nil if
// not one of the run's bots.
func trackStats(t *rxTrack, pub *bot, late bool) TrackStats {
	var sent int64
	if pub != nil {
		sent = pub.sent(t.kind)
	}
	ts := TrackStats{Receiver: t.bot.name, Publisher: t.publisher, Kind: t.kind, Sent: sent,
		Expected: t.expected(), Received: t.received, LossPct: lossPct(t.expected(), t.received),
		P50Ms: t.latency.quantile(0.5), P99Ms: t.latency.quantile(0.99), JitterMs: t.jitter / 1e6, Late: late,
		ByLayer: byLayer(t.layers)}
	if pub != nil {
		ts.Publisher = pub.name
	}
	return ts
}

// addLoadGenCosts adds the load generator's CPU time and memory, and the
// host's CPU use in the window.
func addLoadGenCosts(r *Report, w window) {
	if w.measured && r.WindowS > 0 {
		cpu := (w.self1 - w.self0).Seconds()
		r.LoadGen.CPUSeconds = cpu
		r.LoadGen.CPUPercent = 100 * cpu / r.WindowS
	}
	if w.measured && w.hostErr == nil && w.host1.total > w.host0.total {
		h := &HostStats{Cores: w.host1.cores}
		h.BusyCores = float64(h.Cores) * float64(w.host1.busy-w.host0.busy) / float64(w.host1.total-w.host0.total)
		h.OtherCores = h.BusyCores - r.LoadGen.CPUPercent/100
		r.Host = h
	}
	_, maxRSS := selfUsage()
	r.LoadGen.MaxRSSMiB = float64(maxRSS) / mib
}

// serverStats is what the sampler and the window's edges measured of the
// server process.
func (l *load) serverStats(r *Report, w window, sampler *procSampler) *ServerStats {
	s := &ServerStats{PID: l.cfg.ServerPID, PIDs: l.cfg.ServerPIDs, Samples: sampler.samples,
		RSSStartMiB: float64(sampler.first.RSS) / mib, RSSPeakMiB: float64(sampler.peakRSS) / mib,
		HWMMiB: float64(max(sampler.last.HWM, sampler.first.HWM)) / mib}
	if r.Joined > 0 {
		s.MiBPerParticipant = (s.RSSPeakMiB - s.RSSStartMiB) / float64(r.Joined)
	}
	if w.measured && w.serverErr == nil && r.WindowS > 0 {
		s.CPUSeconds = (w.server1.CPU - w.server0.CPU).Seconds()
		s.CPUPercent = 100 * s.CPUSeconds / r.WindowS
		if s.CPUSeconds > 0 {
			s.PacketsPerCPUSecond = float64(r.Total.Received) / s.CPUSeconds
		}
		if r.Total.Received > 0 {
			s.CPUSecondsPerMillionPackets = s.CPUSeconds * 1e6 / float64(r.Total.Received)
		}
	}
	return s
}

// sent is the packets the bot sent in the window on its tracks of kind
// (all layers of a simulcast track).
func (b *bot) sent(kind string) int64 {
	var n int64
	for _, t := range b.sendTracks() {
		if t.kind.String() == kind {
			n += t.sent.Load()
		}
	}
	return n
}

// sendTracks returns the bot's tracks: audio, video or its layers.
func (b *bot) sendTracks() []*sendTrack {
	var ts []*sendTrack
	for _, t := range append([]*sendTrack{b.audioTx, b.videoTx}, b.layersTx...) {
		if t != nil {
			ts = append(ts, t)
		}
	}
	return ts
}

// flowAcc adds up tracks.
type flowAcc struct {
	tracks             int
	sent               int64
	expected, received int64
	bytes              int64
	worst              float64
	latency            histogram
	jitterSum          float64
	jitterMax          float64
	jittered           int
	// by simulcast tag (1 + the layer's index; 0: not simulcast)
	sentLayers, layers [numTags]int64
}

// byLayer names the counts of simulcast tags 1..3 by rid; nil if none.
func byLayer(n [numTags]int64) map[string]int64 {
	var m map[string]int64
	for i, rid := range layerRIDs() {
		if n[i+1] > 0 {
			if m == nil {
				m = map[string]int64{}
			}
			m[rid] = n[i+1]
		}
	}
	return m
}

func (f *flowAcc) add(t *rxTrack) {
	f.tracks++
	f.expected += t.expected()
	f.received += t.received
	f.bytes += t.bytes
	f.worst = max(f.worst, lossPct(t.expected(), t.received))
	f.latency.merge(&t.latency)
	if t.stamped > 1 {
		j := t.jitter / 1e6
		f.jitterSum += j
		f.jitterMax = max(f.jitterMax, j)
		f.jittered++
	}
	for i := range numTags {
		f.layers[i] += t.layers[i]
	}
}

func (f *flowAcc) merge(o *flowAcc) {
	f.tracks += o.tracks
	f.sent += o.sent
	f.expected += o.expected
	f.received += o.received
	f.bytes += o.bytes
	f.worst = max(f.worst, o.worst)
	f.latency.merge(&o.latency)
	f.jitterSum += o.jitterSum
	f.jitterMax = max(f.jitterMax, o.jitterMax)
	f.jittered += o.jittered
	for i := range numTags {
		f.sentLayers[i] += o.sentLayers[i]
		f.layers[i] += o.layers[i]
	}
}

func (f *flowAcc) flow(window float64) Flow {
	out := Flow{Tracks: f.tracks, Sent: f.sent, Expected: f.expected, Received: f.received,
		Lost: max(f.expected-f.received, 0), LossPct: lossPct(f.expected, f.received), WorstTrackLossPct: f.worst,
		LatencyMs: Quantiles{N: int(f.latency.total), P50: f.latency.quantile(0.5), P95: f.latency.quantile(0.95),
			P99: f.latency.quantile(0.99), Max: float64(f.latency.max) / 1000},
		JitterMaxMs: f.jitterMax, SentByLayer: byLayer(f.sentLayers), ReceivedByLayer: byLayer(f.layers)}
	if f.jittered > 0 {
		out.JitterMeanMs = f.jitterSum / float64(f.jittered)
	}
	if window > 0 {
		out.PacketsPerS = float64(f.received) / window
		out.Mbps = float64(f.bytes) * 8 / window / 1e6
	}
	return out
}

func lossPct(expected, received int64) float64 {
	if expected <= 0 || received >= expected {
		return 0
	}
	return 100 * float64(expected-received) / float64(expected)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// quantiles of a small set of values (nearest rank).
func quantiles(v []float64) Quantiles {
	if len(v) == 0 {
		return Quantiles{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	at := func(q float64) float64 {
		i := int(math.Ceil(q*float64(len(s)))) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	return Quantiles{N: len(s), P50: at(0.5), P95: at(0.95), P99: at(0.99), Max: s[len(s)-1]}
}
