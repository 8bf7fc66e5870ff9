package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"

	"go.uber.org/zap"
)

// Every form an IP address takes in a log line is replaced by <addr>
// (with its port, zone or brackets), in messages, string fields, errors
// and Stringers alike; text that holds no address is left as it is.
func TestLoggerRedactsAddresses(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		// IPv4
		{"IPv4", "from 192.0.2.1 now", "from <addr> now"},
		{"IPv4 with port", "from 192.0.2.1:50000 now", "from <addr> now"},
		{"IPv4 loopback in parentheses", "from (127.0.0.1:60075), bad", "from (<addr>), bad"},
		{"IPv4 candidate", "candidate:1 1 udp 2130706431 198.51.100.7 9 typ host", "candidate:1 1 udp 2130706431 <addr> 9 typ host"},
		// IPv6 loopback and unspecified
		{"::1", "dial ::1 refused", "dial <addr> refused"},
		{"::1 at the start", "::1 refused", "<addr> refused"},
		{"[::1]", "dial [::1] refused", "dial <addr> refused"},
		{"[::1]:port", "dial [::1]:6379: refused", "dial <addr>: refused"},
		{"udp6 [::1]:port", "read udp6 [::1]:3478->[::1]:51000: closed", "read udp6 <addr>-><addr>: closed"},
		{"::", "listen on ::", "listen on <addr>"},
		{"[::]:port", "listen on [::]:3478", "listen on <addr>"},
		// full and compressed
		{"full", "from 2001:0db8:0000:0000:0000:ff00:0042:8329 x", "from <addr> x"},
		{"full, upper case", "from 2001:0DB8:85A3:0000:0000:8A2E:0370:7334 x", "from <addr> x"},
		{"compressed", "from 2001:db8::ff00:42:8329 x", "from <addr> x"},
		{"compressed at the end", "prefix 2001:db8:: x", "prefix <addr> x"},
		{"compressed, bracketed with port", "to [2001:db8::1]:443.", "to <addr>."},
		{"followed by a colon", "dial 2001:db8::1: no route", "dial <addr>: no route"},
		{"followed by a comma", "(2001:db8::1), retrying", "(<addr>), retrying"},
		// zones
		{"link-local with zone", "host fe80::1%eth0 typ host", "host <addr> typ host"},
		{"zone with dot and dash", "host fe80::a00:27ff:fe4e:66a1%br-lan.2 typ", "host <addr> typ"},
		{"bracketed zone with port", "to [fe80::1%eth0]:5000 x", "to <addr> x"},
		{"URL-escaped zone", "http://[fe80::1%25eth0]:8080/x", "http://<addr>/x"},
		// embedded IPv4
		{"IPv4-mapped", "from ::ffff:192.0.2.128 x", "from <addr> x"},
		{"IPv4-mapped, bracketed", "from [::ffff:192.0.2.128]:3478 x", "from <addr> x"},
		{"IPv4-mapped, upper case", "from ::FFFF:1.2.3.4 x", "from <addr> x"},
		{"NAT64", "from 64:ff9b::198.51.100.1 x", "from <addr> x"},
		{"IPv4-compatible", "from ::1.2.3.4 x", "from <addr> x"},
		// several in one line
		{"two", "192.0.2.1:1 -> [2001:db8::2]:2", "<addr> -> <addr>"},
		// no address
		{"room id", "room 5f0c3b8e-2d4a-4c1b-9a7e-1f2e3d4c5b6a", "room 5f0c3b8e-2d4a-4c1b-9a7e-1f2e3d4c5b6a"},
		{"version", "pion v4.2.26", "pion v4.2.26"},
		{"duration", "took 1.5s, 12:30 left", "took 1.5s, 12:30 left"},
		{"ufrag pair", "username mismatch expected(abcd:efgh)", "username mismatch expected(abcd:efgh)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := newLogger(config{LogLevel: "info", LogFormat: "json"}, &buf)
			if err != nil {
				t.Fatal(err)
			}
			log.With(zap.String("with", tt.in)).Info(tt.in,
				zap.String("field", tt.in),
				zap.Error(errors.New(tt.in)),
				zap.Stringer("stringer", stringer(tt.in)))
			var line map[string]any
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			for _, key := range []string{"msg", "with", "field", "error", "stringer"} {
				if got := fmt.Sprint(line[key]); got != tt.want {
					t.Errorf("%s: %q\n  became %q\n  want   %q", key, tt.in, got, tt.want)
				}
			}
		})
	}
}

// Random addresses, written in every form net/netip writes them (IPv4,
// IPv6 compressed and expanded, IPv4-mapped, with zones, with ports), are
// all removed wherever they stand in a sentence.
func TestLoggerRedactsRandomAddresses(t *testing.T) {
	var buf bytes.Buffer
	log, err := newLogger(config{LogLevel: "info", LogFormat: "json"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const addrs = 600
	forms := 0
	for i := range addrs {
		var a netip.Addr
		switch i % 4 {
		case 0:
			a = netip.AddrFrom4([4]byte{byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())})
		case 1, 2:
			var b [16]byte
			for j := range b {
				if rng.IntN(3) > 0 { // runs of zeros, for "::"
					b[j] = byte(rng.Uint32())
				}
			}
			a = netip.AddrFrom16(b)
			if i%8 == 2 {
				a = a.WithZone([]string{"eth0", "wlp2s0", "br-lan.2", "7"}[rng.IntN(4)])
			}
		case 3:
			a = netip.AddrFrom16(netip.AddrFrom4([4]byte{byte(rng.Uint32()), 0, 2, byte(rng.Uint32())}).As16()) // ::ffff:a.b.c.d
		}
		written := []string{a.String(), netip.AddrPortFrom(a, uint16(rng.Uint32())).String()}
		if a.Is6() {
			written = append(written, a.StringExpanded())
		}
		for _, w := range written {
			for _, sentence := range []string{"from %s, retrying", "(%s)", "%s: refused", "x=%s;"} {
				forms++
				buf.Reset()
				log.Info(fmt.Sprintf(sentence, w))
				var line struct{ Msg string }
				if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
					t.Fatal(err)
				}
				if want := fmt.Sprintf(sentence, "<addr>"); line.Msg != want {
					t.Fatalf("%q became %q, want %q", fmt.Sprintf(sentence, w), line.Msg, want)
				}
			}
		}
	}
	t.Logf("%d addresses, %d written forms in sentences: all removed", addrs, forms)
}

type stringer string

func (s stringer) String() string { return string(s) }

// The redactor runs on every line: a line without an address, the common
// case, must stay cheap.
func BenchmarkRedact(b *testing.B) {
	var buf bytes.Buffer
	log, err := newLogger(config{LogLevel: "info", LogFormat: "json"}, &buf)
	if err != nil {
		b.Fatal(err)
	}
	msg := "participant joined " + strings.Repeat("x", 40)
	for b.Loop() {
		buf.Reset()
		log.Info(msg, zap.String("room", "5f0c3b8e-2d4a-4c1b-9a7e-1f2e3d4c5b6a"), zap.String("from", "[2001:db8::1]:443"))
	}
}
