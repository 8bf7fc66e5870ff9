package media

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
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
	mux    ice.UDPMux
	pubAPI *webrtc.API // publish peer connections: receive, send feedback
	subAPI *webrtc.API // subscribe peer connections: send, answer NACKs
	// relayAPI receives relays from other instances. It does not use the
	// shared media port: a relay between two instances in each direction
	// would otherwise have the same address pair on both sides, which the
	// port's demultiplexer cannot tell apart.
	relayAPI *webrtc.API

	stats Stats
}

// Stats are the SFU's counters since start. All fields are updated
// atomically.
type Stats struct {
	PacketsForwarded atomic.Uint64
	BytesForwarded   atomic.Uint64
	PacketsMuted     atomic.Uint64 // read but not forwarded: the track was off
	KeyframeRequests atomic.Uint64 // PLI/FIR sent to publishers
	NACKs            atomic.Uint64 // NACK packets received from subscribers
	SenderReports    atomic.Uint64 // RTCP sender reports read from publishers
	Tracks           atomic.Int64  // published tracks now
	// WarningsSuppressed counts pion's warnings not logged because one of
	// their kind was logged less than a minute before: mostly packets
	// dropped on the media port (unknown STUN users, datagrams from no
	// known candidate), which anyone can send.
	WarningsSuppressed atomic.Uint64
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
// are up (one socket each, so that each candidate's packets leave from the
// address the peer knows).
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
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok || ipn.IP.IsLinkLocalUnicast() || ipn.IP.IsLoopback() {
				continue
			}
			ips = append(ips, ipn.IP)
		}
	}
	if len(ips) == 0 {
		return nil, fmt.Errorf("media: no usable network address; set a listen address")
	}
	return ips, nil
}

// newAPI builds a pion API. Only Opus and VP8 are offered, so every
// publisher's codec is one every subscriber decodes: the SFU never
// transcodes.
func (s *SFU) newAPI(loggers *pionLoggers, publish, muxed bool) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := registerCodecs(me); err != nil {
		return nil, err
	}
	reg := &interceptor.Registry{}
	// Each subscriber's copy of a video track keeps its own history for
	// answering NACKs: 256 packets (seconds of video, far more than a
	// round trip) instead of pion's 1024 keeps memory per participant low.
	if err := webrtc.ConfigureNackWithOptions(me, reg, nil, nack.ResponderSize(256)); err != nil {
		return nil, fmt.Errorf("media: nack: %w", err)
	}
	if err := webrtc.ConfigureRTCPReports(reg); err != nil {
		return nil, fmt.Errorf("media: rtcp reports: %w", err)
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
	if s.cfg.LoopbackOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	} else {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4, webrtc.NetworkTypeUDP6})
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

func registerCodecs(me *webrtc.MediaEngine) error {
	fb := []webrtc.RTCPFeedback{{Type: "goog-remb"}, {Type: "ccm", Parameter: "fir"},
		{Type: "nack"}, {Type: "nack", Parameter: "pli"}}
	codecs := []struct {
		p webrtc.RTPCodecParameters
		k webrtc.RTPCodecType
	}{
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"}, PayloadType: 111}, webrtc.RTPCodecTypeAudio},
		{webrtc.RTPCodecParameters{RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeVP8, ClockRate: 90000, RTCPFeedback: fb}, PayloadType: 96},
			webrtc.RTPCodecTypeVideo},
	}
	for _, c := range codecs {
		if err := me.RegisterCodec(c.p, c.k); err != nil {
			return fmt.Errorf("media: register %s: %w", c.p.MimeType, err)
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
	if s.mux != nil {
		return s.mux.Close() // closes the sockets too
	}
	var errs []error
	for _, c := range s.conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
