package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Garbage sent to the running server's media port writes a few log lines
// at most, none with an address, and /metrics counts the warnings not
// written.
func TestGarbageOnMediaPortIsCounted(t *testing.T) {
	ts := startServer(t)
	port := 0
	for _, l := range logLines(t, ts.logs.String()) {
		if l["msg"] == "serving" {
			port = int(l["media_udp_port"].(float64))
		}
	}
	if port == 0 {
		t.Fatalf("no media port in the logs:\n%s", ts.logs)
	}
	before := len(logLines(t, ts.logs.String()))

	dst := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	var conns []*net.UDPConn
	for range 3 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		conns = append(conns, c)
	}
	stun := func(user string) []byte { // a binding request (RFC 8489)
		b := make([]byte, 20, 64)
		binary.BigEndian.PutUint16(b[0:], 0x0001)
		binary.BigEndian.PutUint32(b[4:], 0x2112A442)
		if user != "" {
			b = binary.BigEndian.AppendUint16(b, 0x0006)
			b = binary.BigEndian.AppendUint16(b, uint16(len(user)))
			b = append(b, user...)
			for len(b)%4 != 0 {
				b = append(b, 0)
			}
		}
		binary.BigEndian.PutUint16(b[2:], uint16(len(b)-20))
		return b
	}
	packets := [][]byte{
		stun(""),                    // no USERNAME
		stun("abcd:efgh")[:27],      // truncated
		stun("abcd:efgh"),           // unknown user
		[]byte("\x16\xfe\xfdhello"), // DTLS-looking
		{0x80, 111, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9, 1, 2, 3}, // RTP-looking
	}
	// settled reads the server's count of suppressed warnings until it
	// stopped rising for quiet (the server read what was sent), for at
	// most 10 s.
	metrics := "http://" + ts.addr.String() + "/metrics"
	settled := func(quiet time.Duration) float64 {
		last, changed := -1.0, time.Now()
		for deadline := time.Now().Add(10 * time.Second); time.Since(changed) < quiet && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if n := metric(t, metrics, "hearth_media_warnings_suppressed_total"); n != last {
				last, changed = n, time.Now()
			}
		}
		return last
	}

	// Sent in batches of 200, each once the server has read the one
	// before: 3000 datagrams sent at once overflow the socket's receive
	// buffer (a few hundred) of a server that a loaded machine slows,
	// and the kernel drops them unread (519 warnings counted, seen; 1198
	// when none is dropped).
	const total, batch = 3000, 200
	for i := range total {
		if _, err := conns[i%len(conns)].WriteToUDP(packets[i%len(packets)], dst); err != nil {
			t.Fatal(err)
		}
		if i%batch == batch-1 {
			settled(30 * time.Millisecond)
		}
	}
	// The server has read the garbage when its count stops rising (half
	// a second without a new one: waited for, not a 300 ms pause); then
	// its log lines are counted.
	suppressed := settled(500 * time.Millisecond)

	logs := ts.logs.String()
	lines := len(logLines(t, logs)) - before
	if strings.Contains(logs, "127.0.0.1") {
		t.Errorf("the logs hold an address:\n%s", logs)
	}
	t.Logf("garbage datagrams sent: %d; log lines: %d; hearth_media_warnings_suppressed_total: %v", total, lines, suppressed)
	if lines > 10 {
		t.Errorf("%d log lines for %d datagrams of garbage, want at most 10", lines, total)
	}
	if suppressed < total/4 {
		t.Errorf("hearth_media_warnings_suppressed_total = %v, want ≥ %d", suppressed, total/4)
	}
}

// logLines decodes the server's JSON log lines.
func logLines(t *testing.T, logs string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// metric reads one unlabelled metric's value from a Prometheus endpoint.
func metric(t *testing.T, url, name string) float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	t.Fatalf("%s has no %s", url, name)
	return 0
}
