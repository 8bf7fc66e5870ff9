package media

import (
	"errors"
	"fmt"
	"iter"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// renegotiation is a subscribe connection carrying the tracks of twelve
// publishers (audio and video: 24 media sections), negotiated with a
// client on loopback, as in a room of 25 where one more joins: the
// answer is the client's, ready to answer every later offer that
// changes nothing.
type renegotiation struct {
	peer   *Peer
	offer  string
	answer string
}

func newRenegotiation(tb testing.TB) *renegotiation {
	tb.Helper()
	sfu, err := New(Config{LoopbackOnly: true}, zap.NewNop())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = sfu.Close() })
	peer, err := sfu.NewPeer(PeerParams{ID: "bob", Log: zap.NewNop()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(peer.Close)
	for i := range 12 {
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
			codec := webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
			if kind == webrtc.RTPCodecTypeVideo {
				codec = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
			}
			id := fmt.Sprintf("bot%d", i)
			t := &Track{sfu: sfu, id: id + "-" + kind.String(), streamID: id, kind: kind, codec: codec,
				codecKind: codecOf(codec.MimeType), done: make(chan struct{})}
			t.source = sourceOf(t.kind, t.id, t.streamID)
			t.downs.Store(&[]*downTrack{})
			if err := peer.Subscribe(t); err != nil {
				tb.Fatal(err)
			}
		}
	}
	client := newLoopbackClient(tb, nil, nil)
	tb.Cleanup(func() { _ = client.Close() })
	offer, err := peer.CreateOffer()
	if err != nil {
		tb.Fatal(err)
	}
	r := &renegotiation{peer: peer, offer: offer, answer: clientAnswerTo(tb, client, offer)}
	if err := peer.HandleAnswer(r.answer); err != nil {
		tb.Fatal(err)
	}
	return r
}

// BenchmarkHandleAnswer measures applying a client's answer of 24 media
// sections to a renegotiation of its subscribe connection: the checks and
// pion's SetRemoteDescription. Making the offer is not counted.
func BenchmarkHandleAnswer(b *testing.B) {
	r := newRenegotiation(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		if _, err := r.peer.CreateOffer(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := r.peer.HandleAnswer(r.answer); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckAnswer measures the checks alone, on the same answer and
// offer of 24 media sections.
func BenchmarkCheckAnswer(b *testing.B) {
	r := newRenegotiation(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := checkAnswer(r.answer, r.offer, false); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzParseDescription: from whatever pion's parser takes, parseDescription
// reads the same "a=" and "m=" lines, or refuses it as bad SDP for one of
// the reasons it gives: a carriage return within a line or a line with
// more fields than RFC 8866 gives it (after which pion's reading could
// differ), or a line that is not "<type>=<value>" (pion ignores one byte
// at the very end).
func FuzzParseDescription(f *testing.F) {
	offer := pionOffer(f)
	for _, s := range []string{
		offer,
		strings.ReplaceAll(offer, "\r\n", "\n"),
		strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\r\n\r\na=:x\r\na=flag\r\n", 1),
		strings.Replace(offer, " 111 ", " \t111  ", 1),
		strings.Replace(offer, "c=IN IP4 0.0.0.0\r\n", "c=IN IP4 0.0.0.0 a=fingerprint:sha-256 AB\r\n", 1),
		strings.Replace(offer, "t=0 0\r\n", "t=0 0 m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n", 1),
		strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\ra=mid:1\r\n", 1),
		"",
		"v=0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		var ref sdp.SessionDescription
		perr := ref.UnmarshalString(text)
		d, err := parseDescription(text)
		if perr != nil {
			return
		}
		if err != nil {
			if !errors.Is(err, ErrBadSDP) || !strings.Contains(err.Error(), "carriage return") && !strings.Contains(err.Error(), "fields of a") && !strings.Contains(err.Error(), "<type>=<value>") {
				t.Fatalf("pion parses %q, parseDescription refuses it: %v", text, err)
			}
			return
		}
		type read struct {
			media, formats string
			port           int
			attrs          [][2]string
		}
		want := []read{{attrs: pionAttributes(ref.Attributes)}} // the session, then each section
		for _, m := range ref.MediaDescriptions {
			want = append(want, read{m.MediaName.Media, strings.Join(m.MediaName.Formats, " "), m.MediaName.Port.Value, pionAttributes(m.Attributes)})
		}
		got := []read{{attrs: collect(attributes(d.session))}}
		for _, s := range d.sections {
			got = append(got, read{s.media, strings.Join(slices.Collect(fields(s.formats)), " "), s.port, collect(attributes(s.lines))})
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("from %q\npion reads           %+v\nparseDescription reads %+v", text, want, got)
		}
	})
}

func pionAttributes(as []sdp.Attribute) [][2]string {
	var out [][2]string
	for _, a := range as {
		out = append(out, [2]string{a.Key, a.Value})
	}
	return out
}

func collect(seq iter.Seq2[string, string]) [][2]string {
	var out [][2]string
	for k, v := range seq {
		out = append(out, [2]string{k, v})
	}
	return out
}

// pionOffer is an offer of audio and video as pion makes it.
func pionOffer(tb testing.TB) string {
	tb.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		tb.Fatal(err)
	}
	defer func() { _ = pc.Close() }()
	for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(kind); err != nil {
			tb.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	return offer.SDP
}

// Lines that pion's parser reads otherwise than line by line are refused
// with ErrBadSDP, so that the checks never pass a description whose
// attributes pion reads differently.
func TestParseDescriptionRefusesWhatPionReadsOtherwise(t *testing.T) {
	offer := pionOffer(t)
	for _, tt := range []struct{ name, sdp string }{
		{"an attribute after a c= line's fields", strings.Replace(offer, "c=IN IP4 0.0.0.0\r\n", "c=IN IP4 0.0.0.0 a=fingerprint:sha-256 AB\r\n", 1)},
		{"a media section after a t= line's fields", strings.Replace(offer, "t=0 0\r\n", "t=0 0 m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n", 1)},
		{"an attribute after a t= line starting with a blank", strings.Replace(offer, "t=0 0\r\n", "t= 0 a=ice-lite\r\n", 1)},
		{"a carriage return within a line", strings.Replace(offer, "a=mid:0\r\n", "a=mid:0\ra=mid:1\r\n", 1)},
		{"not a line of SDP", offer + "hello\r\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseDescription(tt.sdp); !errors.Is(err, ErrBadSDP) {
				t.Errorf("parseDescription: %v, want ErrBadSDP", err)
			}
			if err := checkOffer(tt.sdp, true); !errors.Is(err, ErrBadSDP) {
				t.Errorf("checkOffer: %v, want ErrBadSDP", err)
			}
		})
	}
}
