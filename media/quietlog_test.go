package media

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Each kind of pion warning is logged once a minute at most; the next line
// of a kind says how many were not logged since its last one.
func TestPionWarningsOncePerMinutePerKind(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	var suppressed atomic.Uint64
	f := newPionLoggers(zap.New(core), clock.Now, &suppressed)
	ice, mux := f.NewLogger("ice"), f.NewLogger("mux")

	type line struct {
		msg, kind  string
		suppressed int64
	}
	steps := []struct {
		name    string
		advance time.Duration
		log     func()
		want    []line // logged by this step
	}{
		{"first of a kind is logged", 0,
			func() { ice.Warnf("Discard request with wrong username from (%s), %v", "peer", "mismatch") },
			[]line{{"Discard request with wrong username from (peer), mismatch", "stun_refused", 0}}},
		{"same kind, other text, within the minute", time.Second,
			func() {
				for range 100 {
					ice.Warnf("Discard request with broken integrity from (%s), %v", "peer", "bad")
				}
			}, nil},
		{"another kind is logged", time.Second,
			func() {
				mux.Warnf("Warning: mux: no endpoint for packet starting with %d, adding to queue size(%d)", 7, 1)
			},
			[]line{{"Warning: mux: no endpoint for packet starting with 7, adding to queue size(1)", "no_endpoint", 0}}},
		{"unnamed warnings are kinds by their format", 0,
			func() {
				ice.Warn("Failed to ping without candidate pairs. Connection is not possible yet.")
				ice.Warn("Failed to ping without candidate pairs. Connection is not possible yet.")
				ice.Errorf("Failed to read UDP packet: %v", "closed")
			},
			[]line{{"Failed to ping without candidate pairs. Connection is not possible yet.", "", 0},
				{"Failed to read UDP packet: closed", "", 0}}},
		{"still within the minute", 57 * time.Second,
			func() { ice.Warnf("Discarded message from %s, not a valid remote candidate", "peer") },
			[]line{{"Discarded message from peer, not a valid remote candidate", "unknown_sender", 0}}},
		{"a minute after the first: logged with the count", time.Second,
			func() {
				ice.Warnf("Discard request with wrong username from (%s), %v", "peer", "mismatch")
				ice.Warnf("Discard request with wrong username from (%s), %v", "peer", "mismatch")
			},
			[]line{{"Discard request with wrong username from (peer), mismatch", "stun_refused", 100}}},
		{"info and debug are dropped", time.Hour,
			func() { ice.Info("gathering"); ice.Debugf("%d", 1) }, nil},
	}
	for _, s := range steps {
		clock.Advance(s.advance)
		s.log()
		var got []line
		for _, e := range logs.TakeAll() {
			l := line{msg: e.Message}
			if f, ok := e.ContextMap()["kind"]; ok {
				l.kind = f.(string)
			}
			if f, ok := e.ContextMap()["suppressed"]; ok {
				l.suppressed = int64(f.(uint64))
			}
			got = append(got, l)
		}
		if fmt.Sprint(got) != fmt.Sprint(s.want) {
			t.Errorf("%s: logged %v, want %v", s.name, got, s.want)
		}
	}
	// 99 broken integrity + 1 wrong username, 1 ping, 1 wrong username.
	if n := suppressed.Load(); n != 102 {
		t.Errorf("suppressed = %d, want 102", n)
	}
}

// The kinds remembered are bounded: warnings whose text keeps changing
// share one kind once there are maxWarnKinds.
func TestPionWarningKindsBounded(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	var suppressed atomic.Uint64
	f := newPionLoggers(zap.New(core), clock.Now, &suppressed)
	l := f.NewLogger("pc")
	for i := range 10 * maxWarnKinds {
		l.Warn(fmt.Sprintf("error number %d", i))
	}
	if n := logs.Len(); n != maxWarnKinds+1 {
		t.Errorf("%d lines logged, want %d", n, maxWarnKinds+1)
	}
	if len(f.kinds) > maxWarnKinds+1 {
		t.Errorf("%d kinds remembered, want at most %d", len(f.kinds), maxWarnKinds+1)
	}
}

// Garbage sent to the media port (random bytes, STUN requests for unknown
// and known users, DTLS- and RTP-looking datagrams), from new addresses
// and from an established participant's own address, writes a few log
// lines at most; the rest is counted.
func TestGarbageUDPIsQuiet(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	sfu, err := New(Config{LoopbackOnly: true}, zap.New(core))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sfu.Close() }()
	peer, err := sfu.NewPeer(PeerParams{ID: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()

	// A publisher whose UDP socket the test holds, to send garbage from
	// an address the server knows.
	own, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	pc, track := newMuxedPublisher(t, own)
	defer func() { _ = pc.Close() }()
	connected := make(chan struct{})
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(connected) })
		}
	})
	negotiate(t, pc, peer)
	select {
	case <-connected:
	case <-time.After(10 * time.Second):
		t.Fatal("the publisher did not connect")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go sendAudio(ctx, []*webrtc.TrackLocalStaticRTP{track})
	serverUfrag := sdpAttr(pc.RemoteDescription().SDP, "ice-ufrag")
	clientUfrag := sdpAttr(pc.LocalDescription().SDP, "ice-ufrag")
	time.Sleep(200 * time.Millisecond)
	before := logs.TakeAll()

	rng := rand.New(rand.NewPCG(9, 9))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	kinds := []struct {
		name string
		make func() []byte
	}{
		{"random", func() []byte { return rnd(20 + rng.IntN(200)) }},
		{"STUN, unknown user", func() []byte { return stunRequest(rnd, "abcd:efgh", true) }},
		{"STUN, no username", func() []byte { return stunRequest(rnd, "", false) }},
		{"STUN, truncated", func() []byte { b := stunRequest(rnd, "abcd:efgh", true); return b[:len(b)-7] }},
		{"STUN, server's user, wrong client", func() []byte { return stunRequest(rnd, serverUfrag+":zzzz", true) }},
		{"STUN, right users, wrong password", func() []byte { return stunRequest(rnd, serverUfrag+":"+clientUfrag, true) }},
		{"DTLS-looking", func() []byte {
			b := rnd(40 + rng.IntN(100))
			b[0], b[1], b[2] = 22, 0xfe, 0xfd // handshake, DTLS 1.2
			return b
		}},
		{"RTP-looking", func() []byte {
			b := rnd(60 + rng.IntN(100))
			b[0], b[1] = 0x80, 111
			return b
		}},
	}
	// From fresh addresses, then from the publisher's own address.
	var senders []*net.UDPConn
	for range 4 {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		senders = append(senders, c)
	}
	senders = append(senders, own)
	dst := sfu.LocalAddr().(*net.UDPAddr)
	const total = 12000
	sent := 0
	for i := range total {
		k := kinds[i%len(kinds)]
		from := senders[(i/len(kinds))%len(senders)]
		if _, err := from.WriteToUDP(k.make(), dst); err != nil {
			t.Fatalf("send %s: %v", k.name, err)
		}
		sent++
		if i%200 == 199 {
			time.Sleep(2 * time.Millisecond) // let the server read, not drop in the kernel
		}
	}
	time.Sleep(500 * time.Millisecond)
	during := logs.TakeAll()
	counted := sfu.Stats().WarningsSuppressed.Load()

	byKind := map[string]int{}
	for _, e := range during {
		k, _ := e.ContextMap()["kind"].(string)
		byKind[fmt.Sprintf("%s %q", k, trim(e.Message, 60))]++
	}
	var lines []string
	for k, n := range byKind {
		lines = append(lines, fmt.Sprintf("  %d × %s", n, k))
	}
	sort.Strings(lines)
	t.Logf("garbage datagrams sent: %d (%d kinds, from %d addresses); log lines during the flood: %d; "+
		"hearth_media_warnings_suppressed_total: %d; lines before the flood: %d\n%s",
		sent, len(kinds), len(senders), len(during), counted, len(before), strings.Join(lines, "\n"))
	if len(during) > 10 {
		t.Errorf("%d datagrams of garbage wrote %d log lines, want at most 10", sent, len(during))
	}
	if counted < total/4 {
		t.Errorf("WarningsSuppressed = %d: the garbage did not reach pion's warnings (want ≥ %d)", counted, total/4)
	}
}

// newMuxedPublisher is a client publish connection with one Opus track,
// on loopback, whose ICE uses conn.
func newMuxedPublisher(t *testing.T, conn *net.UDPConn) (*webrtc.PeerConnection, *webrtc.TrackLocalStaticRTP) {
	t.Helper()
	pc := newLoopbackClient(t, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn}), nil)
	track, _ := addOpusTrack(t, pc, "mic")
	return pc, track
}

// stunRequest is a STUN binding request (RFC 8489): with a USERNAME if
// user is set, and a MESSAGE-INTEGRITY of random bytes if integrity is.
func stunRequest(rnd func(int) []byte, user string, integrity bool) []byte {
	b := make([]byte, 20, 128)
	binary.BigEndian.PutUint16(b[0:], 0x0001) // binding request
	binary.BigEndian.PutUint32(b[4:], 0x2112A442)
	copy(b[8:20], rnd(12))
	attr := func(typ uint16, v []byte) {
		b = binary.BigEndian.AppendUint16(b, typ)
		b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
		b = append(b, v...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	if user != "" {
		attr(0x0006, []byte(user))
	}
	if integrity {
		attr(0x0008, rnd(20))
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)-20))
	return b
}

// sdpAttr is the first value of attribute a= name in sdp.
func sdpAttr(sdp, name string) string {
	for _, l := range strings.Split(sdp, "\r\n") {
		if v, ok := strings.CutPrefix(l, "a="+name+":"); ok {
			return v
		}
	}
	return ""
}

func trim(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
