package media

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/dtls/v3"
	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/transport/v5/udp"
	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// SFU owns the media socket and creates peers. It is safe for concurrent use.
type SFU struct {
	// static after construction
	cfg    Config
	log    *zap.Logger
	conns  []net.PacketConn // one per local address, all on cfg.UDPPort
	ips    []net.IP         // their addresses
	mux    ice.UDPMux
	tcpMux ice.TCPMux  // ICE over TCP on cfg.TCPPort; nil when off
	pubAPI *webrtc.API // publish peer connections: receive, send feedback
	subAPI *webrtc.API // subscribe peer connections: send, with RTX
	// relayAPI receives relays from other instances. It does not use the
	// shared media port: a relay between two instances in each direction
	// would otherwise have the same address pair on both sides, which the
	// port's demultiplexer cannot tell apart.
	relayAPI *webrtc.API

	// estimatorMu serialises the making of subscribe connections, so that
	// the bandwidth estimator pion makes for one (nextEstimator, set by
	// the congestion controller's callback) is taken by its peer.
	estimatorMu   sync.Mutex
	nextEstimator cc.BandwidthEstimator

	stats Stats
}

// Stats are the SFU's counters since start. All fields are updated
// atomically.
type Stats struct {
	PacketsForwarded atomic.Uint64
	BytesForwarded   atomic.Uint64
	PacketsMuted     atomic.Uint64 // read but not forwarded: the track was off
	KeyframeRequests atomic.Uint64 // PLI/FIR sent to publishers
	// KeyframeRequestsCoalesced counts keyframe requests folded into
	// another one sent at the end of the keyframe interval.
	KeyframeRequestsCoalesced atomic.Uint64
	NACKs                     atomic.Uint64 // NACK packets received from subscribers
	// RTXSent counts packets sent again to subscribers that lost them
	// (on their RTX stream, or as they were when they have none).
	RTXSent atomic.Uint64
	// RTXFromFeedback counts packets sent again because a subscriber's
	// transport-wide feedback reported them lost and no NACK had asked
	// for them (rtx.go, resendUnasked).
	RTXFromFeedback atomic.Uint64
	// NACKMissed counts packets subscribers asked for again that the
	// cache no longer held (or never could: too large, or not sent).
	NACKMissed atomic.Uint64
	// NACKNotReceived counts packets subscribers asked for again that
	// the SFU had not received: lost on the publisher's link, they are
	// forwarded when the publisher sends them again (the publish
	// connection asks for them too).
	NACKNotReceived atomic.Uint64
	SenderReports   atomic.Uint64 // RTCP sender reports read from publishers
	// SenderReportsSent counts the sender reports sent to subscribers
	// (one per stream a second; report.go).
	SenderReportsSent atomic.Uint64
	Tracks            atomic.Int64 // published tracks now
	// ICE counts participants' connections by how they connected.
	ICE ICEStats
	// WarningsSuppressed counts pion's warnings not logged because one of
	// their kind was logged less than a minute before: mostly packets
	// dropped on the media port (unknown STUN users, datagrams from no
	// known candidate), which anyone can send.
	WarningsSuppressed atomic.Uint64
	// ICERestarts counts ICE restarts of clients' connections: offers
	// from a client with new ICE credentials (publish), and restart offers
	// made for a client (subscribe).
	ICERestarts atomic.Uint64
	// PacketsUndelivered counts copies of forwarded packets not written to
	// a subscriber: its connection was not negotiated yet, or the write
	// failed (the connection is closing).
	PacketsUndelivered atomic.Uint64
	// LayerSwitches counts the times a subscriber's copy of a video
	// track moved to another simulcast layer (or resumed after a pause).
	LayerSwitches atomic.Uint64
	// VideoPaused is the number of subscribers' video copies paused now
	// because their bandwidth does not carry even the lowest layer.
	VideoPaused atomic.Int64
	// Probes counts bandwidth probes (padding sent to see whether a
	// subscriber's link carries more).
	Probes atomic.Uint64
	// Estimates holds each subscriber's bandwidth budget (the estimate,
	// or what a probe showed), observed once a second, in bits/s.
	Estimates *Histogram
}

// New opens the media UDP socket and returns an SFU using it. log receives
// pion's warnings too (each kind once a minute at most), which name network
// addresses: give it a logger that removes them (Hearth logs no
// addresses).
func New(cfg Config, log *zap.Logger) (*SFU, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	ips, err := listenIPs(cfg)
	if err != nil {
		return nil, err
	}
	s := &SFU{cfg: cfg, log: log}
	s.stats.Estimates = newHistogram(EstimateBuckets()...)
	loggers := newPionLoggers(log.Named("pion"), cfg.Now, &s.stats.WarningsSuppressed)
	muxes := make([]ice.UDPMux, 0, len(ips))
	for _, ip := range ips {
		uc, err := net.ListenUDP("udp", &net.UDPAddr{IP: ip, Port: cfg.UDPPort})
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("media: listen on UDP port %d: %w", cfg.UDPPort, err)
		}
		var conn net.PacketConn = uc
		if cfg.BatchWriteSize > 1 {
			conn = udp.NewBatchConn(uc, cfg.BatchWriteSize, cfg.BatchWriteInterval)
		}
		s.conns = append(s.conns, conn)
		muxes = append(muxes, ice.NewUDPMuxDefault(ice.UDPMuxParams{UDPConn: conn, Logger: loggers.NewLogger("udpmux")}))
	}
	s.mux = ice.NewMultiUDPMuxDefault(muxes...)
	s.ips = ips
	if cfg.TCPPort != 0 {
		if err := s.listenTCP(loggers); err != nil {
			_ = s.Close()
			return nil, err
		}
	}

	if s.pubAPI, err = s.newAPI(loggers, true, true); err == nil {
		if s.subAPI, err = s.newAPI(loggers, false, true); err == nil {
			s.relayAPI, err = s.newAPI(loggers, true, false)
		}
	}
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// listenIPs returns the addresses to open the media port on: the
// configured one, or every usable address of the machine's interfaces that
// are up and in the configured networks (one socket each, so that each
// candidate's packets leave from the address the peer knows). Loopback
// addresses are used only when a network names them.
func listenIPs(cfg Config) ([]net.IP, error) {
	if cfg.ListenIP != "" {
		return []net.IP{net.ParseIP(cfg.ListenIP)}, nil
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("media: list interfaces: %w", err)
	}
	var ips []net.IP
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLinkLocalUnicast() || (ipn.IP.IsLoopback() && len(cfg.Networks) == 0) ||
				!inNetworks(cfg.Networks, ipn.IP) {
				continue
			}
			ips = append(ips, ipn.IP)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("media: no usable network address (in the ICE networks); set a listen address")
	}
	return ips, nil
}

// listenTCP opens the ICE-over-TCP port: on the listen address if one is
// configured, else on every address (candidates are still gathered only
// in the configured networks).
func (s *SFU) listenTCP(loggers *pionLoggers) error {
	var ip net.IP
	if s.cfg.ListenIP != "" {
		ip = net.ParseIP(s.cfg.ListenIP)
	}
	ln, err := net.ListenTCP("tcp", &net.TCPAddr{IP: ip, Port: s.cfg.TCPPort})
	if err != nil {
		return fmt.Errorf("media: listen on TCP port %d: %w", s.cfg.TCPPort, err)
	}
	// A connection's write buffer is bounded at 512 KiB (a few seconds
	// of a participant's media): beyond it, packets are dropped rather
	// than queued into ever later audio, as UDP would lose them.
	s.tcpMux = ice.NewTCPMuxDefault(ice.TCPMuxParams{Listener: ln, Logger: loggers.NewLogger("tcpmux"),
		ReadBufferSize: 64, WriteBufferSize: 512 << 10})
	return nil
}

// networkTypes are the ICE network types of the addresses the media
// sockets listen on (TCP too when ICE over TCP is on, for the shared
// port's connections).
func (s *SFU) networkTypes(muxed bool) []webrtc.NetworkType {
	var v4, v6 bool
	for _, ip := range s.ips {
		if ip.To4() != nil {
			v4 = true
		} else {
			v6 = true
		}
	}
	var out []webrtc.NetworkType
	if v4 {
		out = append(out, webrtc.NetworkTypeUDP4)
	}
	if v6 {
		out = append(out, webrtc.NetworkTypeUDP6)
	}
	if muxed && s.tcpMux != nil {
		if v4 {
			out = append(out, webrtc.NetworkTypeTCP4)
		}
		if v6 {
			out = append(out, webrtc.NetworkTypeTCP6)
		}
	}
	return out
}

// newAPI builds a pion API. Only Opus, VP8 and H.264 are taken, and a
// publisher that can send VP8 is asked to (see preferVP8): the SFU never
// transcodes, and VP8 is what every subscriber decodes.
func (s *SFU) newAPI(loggers *pionLoggers, publish, muxed bool) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me); err != nil {
		return nil, err
	}
	// Every audio track carries its loudness (RFC 6464): publishers send
	// it, the SFU reads it for the active speaker and passes it on to
	// subscribers and relays.
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("media: audio level extension: %w", err)
	}
	if publish {
		// Simulcast: the mid and rid header extensions tell a browser's
		// encodings apart (RFC 8852, 8853).
		if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
			return nil, fmt.Errorf("media: simulcast extensions: %w", err)
		}
	}
	// Subscribe connections (and relays, which receive from them) use
	// RTX (RFC 4588) for the packets subscribers lost.
	if !publish || !muxed {
		if err := registerRTX(me); err != nil {
			return nil, err
		}
	}
	reg := &interceptor.Registry{}
	if err := registerInterceptors(reg, publish); err != nil {
		return nil, err
	}
	if !publish {
		if err := s.configureCongestionControl(me, reg); err != nil {
			return nil, err
		}
	}
	if publish {
		// Transport-wide congestion feedback lets the browser estimate its
		// uplink and raise its video bitrate.
		if err := webrtc.ConfigureTWCCSender(me, reg); err != nil {
			return nil, fmt.Errorf("media: twcc: %w", err)
		}
	}
	se := webrtc.SettingEngine{LoggerFactory: loggers}
	if muxed {
		se.SetICEUDPMux(s.mux)
	}
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	// AES-128-GCM first: on a CPU with AES instructions it encrypts a
	// 120-byte audio packet in ~265 ns against ~290 ns for AES-256-GCM
	// (pion's first choice) and ~490 ns for AES-CM with HMAC-SHA1, which
	// stays for peers that have nothing else (docs/benchmarks.md). The
	// side that is the DTLS server picks; for subscribe connections that
	// is the SFU.
	se.SetSRTPProtectionProfiles(dtls.SRTP_AEAD_AES_128_GCM, dtls.SRTP_AEAD_AES_256_GCM,
		dtls.SRTP_AES128_CM_HMAC_SHA1_80)
	se.SetNetworkTypes(s.networkTypes(muxed))
	if nets := s.cfg.Networks; len(nets) > 0 {
		for _, n := range nets {
			if n.Contains(netip.MustParseAddr("127.0.0.1")) || n.Contains(netip.IPv6Loopback()) {
				se.SetIncludeLoopbackCandidate(true)
			}
		}
		se.SetIPFilter(func(ip net.IP) bool { return inNetworks(nets, ip) })
		se.SetRemoteIPFilter(func(ip net.IP) bool { return inNetworks(nets, ip) })
	}
	if muxed && s.tcpMux != nil {
		se.SetICETCPMux(s.tcpMux)
	}
	if len(s.cfg.PublicIPs) > 0 {
		err := se.SetICEAddressRewriteRules(webrtc.ICEAddressRewriteRule{
			External:        s.cfg.PublicIPs,
			AsCandidateType: webrtc.ICECandidateTypeHost,
			Mode:            webrtc.ICEAddressRewriteReplace,
		})
		if err != nil {
			return nil, fmt.Errorf("media: public IPs: %w", err)
		}
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)), nil
}

// videoCodecs are the video codecs the SFU takes, most preferred first:
// VP8, which every browser sends and decodes, then H.264 (constrained
// baseline and baseline, packetization mode 1), which Safari prefers and
// some devices can only encode in hardware.
func videoCodecs() []webrtc.RTPCodecParameters {
	fb := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"},
		{Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	h264 := func(pt webrtc.PayloadType, profile string) webrtc.RTPCodecParameters {
		return webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeH264, ClockRate: 90000, RTCPFeedback: fb,
			SDPFmtpLine: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=" + profile}, PayloadType: pt}
	}
	return []webrtc.RTPCodecParameters{
		{RTPCodecCapability: webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb}, PayloadType: 96},
		h264(102, "42e01f"),
		h264(104, "42001f"),
	}
}

func registerCodecs(me *webrtc.MediaEngine) error {
	opus := webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
		SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111}
	if err := me.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return fmt.Errorf("media: register %s: %w", opus.MimeType, err)
	}
	for _, c := range videoCodecs() {
		if err := me.RegisterCodec(c, webrtc.RTPCodecTypeVideo); err != nil {
			return fmt.Errorf("media: register %s: %w", c.MimeType, err)
		}
	}
	return nil
}

// LocalAddr is the address of the (first) media socket.
func (s *SFU) LocalAddr() net.Addr { return s.conns[0].LocalAddr() }

// Stats returns the SFU's live counters.
func (s *SFU) Stats() *Stats { return &s.stats }

// Close closes the media sockets. Close peers first.
func (s *SFU) Close() error {
	var errs []error
	if s.tcpMux != nil {
		errs = append(errs, s.tcpMux.Close())
	}
	if s.mux != nil {
		return errors.Join(append(errs, s.mux.Close())...) // closes the sockets too
	}
	for _, c := range s.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// ListenIPs are the addresses the media sockets listen on.
func (s *SFU) ListenIPs() []net.IP { return append([]net.IP(nil), s.ips...) }
