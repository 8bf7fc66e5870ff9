package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// histogram counts durations in microseconds in log-linear buckets: exact
// below 32 µs, then 32 buckets per power of two (at most about 3 %
// error). Values from 2^30 µs (18 minutes) on share the last bucket.
type histogram struct {
	counts [histBuckets]uint32
	total  uint64
	max    int64 // µs
}

const (
	histSubBits = 5
	histSub     = 1 << histSubBits
	histMaxBits = 30
	histBuckets = histSub + (histMaxBits-histSubBits)*histSub
)

func histIndex(us uint64) int {
	if us < histSub {
		return int(us)
	}
	if us >= 1<<histMaxBits {
		return histBuckets - 1
	}
	shift := bits.Len64(us) - histSubBits - 1
	return histSub + shift*histSub + int(us>>shift) - histSub
}

// histValue is the middle of bucket i, in microseconds.
func histValue(i int) float64 {
	if i < histSub {
		return float64(i)
	}
	shift := (i - histSub) / histSub
	m := uint64(i-histSub-shift*histSub) + histSub
	return float64(m<<shift) + float64(uint64(1)<<shift)/2
}

// add records d.
func (h *histogram) add(d time.Duration) {
	us := d.Microseconds()
	if us < 0 {
		us = 0
	}
	h.counts[histIndex(uint64(us))]++
	h.total++
	if us > h.max {
		h.max = us
	}
}

// merge adds o's counts to h.
func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.total += o.total
	h.max = max(h.max, o.max)
}

// quantile returns the q-quantile (0 < q <= 1) in milliseconds, or 0 with
// no values.
func (h *histogram) quantile(q float64) float64 {
	if h.total == 0 {
		return 0
	}
	rank := uint64(q*float64(h.total) + 0.5)
	rank = max(rank, 1)
	var seen uint64
	for i, c := range h.counts {
		seen += uint64(c)
		if seen >= rank {
			return min(histValue(i), float64(h.max)) / 1000
		}
	}
	return float64(h.max) / 1000
}

// rxTrack is what one bot measures about one track it receives. It is
// owned by the track's read loop until that loop ends.
type rxTrack struct {
	bot       *bot
	publisher string // the publisher's participant id
	kind      string // "audio" or "video"
	firstAt   int64  // Unix ns of the first packet ever received; 0: none

	// In the measuring window:
	started     bool
	baseSeq     int64 // extended sequence number of the first packet
	maxSeq      int64 // highest extended sequence number
	received    int64
	bytes       int64
	stamped     int64   // packets carrying a plausible send time
	jitter      float64 // RFC 3550 interarrival jitter, ns
	lastTransit int64
	latency     histogram
	// layers counts packets by their simulcast tag (0: not simulcast).
	layers [numTags]int64
}

// numTags is how many values the simulcast tag after the send time
// takes: 0 without simulcast, 1 + the layer's index with.
const numTags = 4

// onPacket accounts one packet pkt received at now (Unix ns); measuring
// tells whether the window is open.
func (t *rxTrack) onPacket(pkt []byte, now int64, measuring bool) {
	if t.firstAt == 0 {
		t.firstAt = now
	}
	if !measuring || len(pkt) < 12 {
		return
	}
	seq := uint16(pkt[2])<<8 | uint16(pkt[3])
	if !t.started {
		t.started = true
		t.baseSeq, t.maxSeq = int64(seq), int64(seq)
	} else {
		// The nearest extended number to the highest so far: handles the
		// 16-bit wrap and reordering.
		ext := t.maxSeq + int64(int16(seq-uint16(t.maxSeq)))
		if ext > t.maxSeq {
			t.maxSeq = ext
		} else if ext < t.baseSeq {
			t.baseSeq = ext
		}
	}
	t.received++
	t.bytes += int64(len(pkt))
	stamp, ok := payloadStamp(pkt, t.kind == "video")
	sent := int64(0)
	if ok {
		sent = int64(binary.BigEndian.Uint64(stamp))
	}
	if !ok || sent < now-int64(time.Minute) || sent > now+int64(time.Second) {
		return // not one of ours (e.g. a browser in the room)
	}
	if t.kind == "video" && len(stamp) > 8 && stamp[8] < numTags {
		t.layers[stamp[8]]++
	}
	transit := now - sent
	if t.stamped > 0 {
		d := float64(transit - t.lastTransit)
		if d < 0 {
			d = -d
		}
		t.jitter += (d - t.jitter) / 16
	}
	t.lastTransit = transit
	t.stamped++
	t.latency.add(time.Duration(transit))
}

// expected is the number of packets the window should have brought.
func (t *rxTrack) expected() int64 {
	if !t.started {
		return 0
	}
	return t.maxSeq - t.baseSeq + 1
}

// payloadStamp returns what hearth-load bots put at the start of the
// payload (video: after the VP8 payload descriptor and, on the first
// packet of a frame, the VP8 frame header): the send time (8 bytes, Unix
// nanoseconds) and, for video, the simulcast tag (1 byte); the rest of
// the payload follows.
func payloadStamp(pkt []byte, video bool) ([]byte, bool) {
	off := 12 + 4*int(pkt[0]&0x0f)
	if pkt[0]&0x10 != 0 { // header extension
		if len(pkt) < off+4 {
			return nil, false
		}
		off += 4 + 4*(int(pkt[off+2])<<8|int(pkt[off+3]))
	}
	end := len(pkt)
	if pkt[0]&0x20 != 0 && end > 0 { // padding
		end -= int(pkt[end-1])
	}
	if off > end {
		return nil, false
	}
	p := pkt[off:end]
	if video {
		n, ok := vp8HeaderLen(p)
		if !ok {
			return nil, false
		}
		p = p[n:]
	}
	if len(p) < 8 {
		return nil, false
	}
	return p, true
}

// vp8HeaderLen is the length of the VP8 payload descriptor (RFC 7741
// section 4.2) plus, when the packet starts a frame, the frame header (3
// bytes, 10 for a key frame).
func vp8HeaderLen(p []byte) (int, bool) {
	if len(p) < 1 {
		return 0, false
	}
	n := 1
	if p[0]&0x80 != 0 { // X: extension byte
		if len(p) < 2 {
			return 0, false
		}
		x := p[1]
		n = 2
		if x&0x80 != 0 { // I: picture id, 7 or 15 bits
			if len(p) <= n {
				return 0, false
			}
			if p[n]&0x80 != 0 {
				n += 2
			} else {
				n++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX
			n++
		}
		if x&0x30 != 0 { // T or K
			n++
		}
	}
	if p[0]&0x10 != 0 && p[0]&0x07 == 0 { // S and partition 0: frame header
		if len(p) <= n {
			return 0, false
		}
		if p[n]&0x01 == 0 { // P = 0: key frame
			n += 10
		} else {
			n += 3
		}
	}
	return n, len(p) >= n
}

// procSample is one reading of a process's CPU time and memory.
type procSample struct {
	CPU time.Duration // user + system
	RSS uint64        // bytes
	HWM uint64        // bytes, the kernel's peak RSS
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on
// every Linux architecture Go supports.
const clockTicks = 100

// readProcs reads the processes and sums their figures.
func readProcs(pids []int) (procSample, error) {
	var sum procSample
	for _, pid := range pids {
		s, err := readProc(pid)
		if err != nil {
			return sum, err
		}
		sum.CPU += s.CPU
		sum.RSS += s.RSS
		sum.HWM += s.HWM
	}
	return sum, nil
}

// readProc reads /proc/<pid>/stat and /proc/<pid>/status.
func readProc(pid int) (procSample, error) {
	var s procSample
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return s, err
	}
	// Fields after the command name, which is in parentheses and may
	// hold spaces: state is field 3, utime 14, stime 15.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 13 {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return s, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	s.CPU = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return s, err
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		name, val, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		if err != nil {
			return s, fmt.Errorf("/proc/%d/status: %s: unexpected format", pid, name)
		}
		if name == "VmRSS" {
			s.RSS = kb << 10
		} else {
			s.HWM = kb << 10
		}
	}
	return s, nil
}

// hostCPU is the machine's CPU time from /proc/stat: busy and total, in
// clock ticks, summed over all cores.
type hostCPU struct {
	busy, total uint64
	cores       int
}

// readHostCPU reads the first line of /proc/stat ("cpu user nice system
// idle iowait irq softirq steal ...") and counts the per-core lines.
func readHostCPU() (hostCPU, error) {
	var h hostCPU
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return h, err
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			h.cores++
			continue
		}
		for i, v := range f[1:min(len(f), 9)] { // up to steal; guest time is in user already
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return h, fmt.Errorf("/proc/stat: unexpected format")
			}
			h.total += n
			if i != 3 && i != 4 { // idle, iowait
				h.busy += n
			}
		}
	}
	return h, nil
}

// selfUsage returns this process's CPU time and peak RSS.
func selfUsage() (cpu time.Duration, maxRSS uint64) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0
	}
	cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	return cpu, uint64(ru.Maxrss) << 10 // Linux: kilobytes
}
