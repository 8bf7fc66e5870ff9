package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// writeSummary prints the report for people.
func writeSummary(w io.Writer, r *Report) {
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("hearth-load: %d room(s) × %d participants (%d audio, %d video publishers per room; video %d kbit/s = %d fps × %d × %d B) against %s",
		r.Rooms, r.ParticipantsPerRoom, r.AudioPublishersPerRoom, r.VideoPublishersPerRoom,
		r.VideoBitrateKbps, r.Video.FPS, r.Video.PacketsPerFrame, r.Video.PayloadBytes, strings.Join(r.Servers, ", "))
	p("run %.0f s, ramp-up %.1f s, warmup %.1f s; measured over %.1f s", r.DurationS, r.RampUpS, r.WarmupS, r.WindowS)
	p("joins: %d of %d bots", r.Joined, r.Bots)
	p("  dial → welcome        %s", fmtQ(r.SignalingJoinMs, "ms"))
	p("  dial → published      %s", fmtQ(r.PublishedMs, "ms"))
	p("  dial → first RTP      %s", fmtQ(r.MediaJoinMs, "ms"))
	p("tracks: %d expected, %d receiving, %d missing, %d first seen in the window, %d from others",
		r.Tracks.Expected, r.Tracks.Receiving, r.Tracks.Missing, r.Tracks.Late, r.Tracks.Foreign)
	for _, f := range []struct {
		name string
		f    Flow
	}{{"audio", r.Audio}, {"video", r.VideoFlow}, {"total", r.Total}} {
		if f.f.Tracks == 0 && f.name != "total" {
			continue
		}
		p("%s: %d tracks; sent %d, received %d of %d expected, loss %.3f %% (worst track %.2f %%); %.0f packets/s, %.2f Mbit/s",
			f.name, f.f.Tracks, f.f.Sent, f.f.Received, f.f.Expected, f.f.LossPct, f.f.WorstTrackLossPct, f.f.PacketsPerS, f.f.Mbps)
		p("  added latency %s; jitter mean %.2f ms, max %.2f ms",
			fmtQ(f.f.LatencyMs, "ms"), f.f.JitterMeanMs, f.f.JitterMaxMs)
	}
	if s := r.Simulcast; s != nil {
		var shapes []string
		for i, l := range s.Layers {
			shapes = append(shapes, fmt.Sprintf("%s %d kbit/s = %d fps × %d × %d B", s.RIDs[i], s.BitratesKbps[i], l.FPS, l.PacketsPerFrame, l.PayloadBytes))
		}
		p("simulcast (instead of the video above): %s; tiles %s", strings.Join(shapes, "; "), strings.Join(r.TileSizes, ", "))
		p("  video packets sent by layer %s, received by layer %s", fmtLayers(r.VideoFlow.SentByLayer), fmtLayers(r.VideoFlow.ReceivedByLayer))
	}
	p("keyframe requests received by publishers: %d", r.KeyframeRequests)
	for _, kind := range []string{cmdRaise, cmdLower, cmdChat} {
		if c, ok := r.Commands[kind]; ok {
			p("%s: %d sent, %d answered, %d lost, %d refused; round trip %s", kind, c.Sent, c.Answered, c.Lost, c.Refused, fmtQ(c.RTTMs, "ms"))
		}
	}
	if c := r.Chat; c != nil {
		p("chat: %d messages, %d of %d deliveries received (%d lost)", c.Messages, c.Delivered, c.Expected, c.Lost)
	}
	if s := r.Server; s != nil {
		if len(s.PIDs) > 1 {
			p("servers (pids %v, summed): %.2f CPU-s in the window (%.0f %% of one core)", s.PIDs, s.CPUSeconds, s.CPUPercent)
		} else {
			p("server (pid %d): %.2f CPU-s in the window (%.0f %% of one core)", s.PID, s.CPUSeconds, s.CPUPercent)
		}
		p("  %.0f forwarded packets per server CPU-second (%.2f CPU-s per million packets)", s.PacketsPerCPUSecond, s.CPUSecondsPerMillionPackets)
		p("  RSS %.1f MiB at start, peak %.1f MiB (HWM %.1f MiB): %.2f MiB per participant", s.RSSStartMiB, s.RSSPeakMiB, s.HWMMiB, s.MiBPerParticipant)
	}
	p("load generator: %.2f CPU-s in the window (%.0f %% of one core), max RSS %.1f MiB", r.LoadGen.CPUSeconds, r.LoadGen.CPUPercent, r.LoadGen.MaxRSSMiB)
	if h := r.Host; h != nil {
		p("host: %.2f of %d cores busy on average, %.2f of them by other processes", h.BusyCores, h.Cores, h.OtherCores)
	}
	if len(r.Warnings) > 0 {
		p("warnings (%d):", len(r.Warnings))
		for _, e := range r.Warnings {
			p("  %s", e)
		}
	}
	if len(r.Errors) > 0 {
		p("ERRORS (%d):", len(r.Errors))
		for _, e := range r.Errors {
			p("  %s", e)
		}
	}
}

func fmtQ(q Quantiles, unit string) string {
	if q.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("p50 %.1f %s, p95 %.1f, p99 %.1f, max %.1f (n=%d)", q.P50, unit, q.P95, q.P99, q.Max, q.N)
}

// fmtLayers prints packet counts by rid, lowest layer first.
func fmtLayers(m map[string]int64) string {
	var parts []string
	for _, rid := range layerRIDs() {
		parts = append(parts, fmt.Sprintf("%s %d", rid, m[rid]))
	}
	return strings.Join(parts, ", ")
}
