package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/hearth-meet/hearth/signaling/protocol"
)

// MediaParams configures a Participant's peer connections.
type MediaParams struct {
	// LoopbackOnly gathers and accepts only loopback candidates (tests).
	LoopbackOnly bool
	// OnTrack is called for every track received: publisher is the
	// participant id of whoever sends it.
	OnTrack func(publisher string, t *webrtc.TrackRemote)
	// OnMessage is called, from the participant's loop, with every server
	// message other than SDP (welcome excluded). It must not block long.
	OnMessage func(Message)
	// NoInterceptors turns off NACK and RTCP reports (the load generator's
	// lighter bots).
	NoInterceptors bool
	// Simulcast negotiates the mid and rid header extensions on video, as
	// a browser publishing simulcast does (see AddSimulcastTrack).
	Simulcast bool
	// TWCC sends transport-wide congestion control feedback on what the
	// participant receives, as browsers do: the server then numbers each
	// packet it sends the participant and estimates its bandwidth.
	TWCC bool
}

// Participant is a joined Conn with a publish and a subscribe peer
// connection, negotiated as docs/protocol.md says.
type Participant struct {
	Conn    *Conn
	Welcome protocol.Welcome

	params MediaParams
	pub    *webrtc.PeerConnection
	sub    *webrtc.PeerConnection
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	pubAnswer chan string
	err       error
}

// Join dials url, joins, and starts the participant's loop. Stop it with
// Close or Leave.
func Join(ctx context.Context, url string, j protocol.Join, params MediaParams) (*Participant, error) {
	c, err := DialConn(ctx, url)
	if err != nil {
		return nil, err
	}
	w, err := c.Join(ctx, j)
	if err != nil {
		_ = c.CloseNow()
		return nil, err
	}
	api, err := newAPI(params)
	if err != nil {
		_ = c.CloseNow()
		return nil, err
	}
	p := &Participant{Conn: c, Welcome: w, params: params}
	if p.pub, err = api.NewPeerConnection(webrtc.Configuration{}); err == nil {
		p.sub, err = api.NewPeerConnection(webrtc.Configuration{})
	}
	if err != nil {
		_ = c.CloseNow()
		return nil, fmt.Errorf("peer connection: %w", err)
	}
	p.sub.OnTrack(func(t *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if params.OnTrack != nil {
			params.OnTrack(t.StreamID(), t)
		}
	})
	p.start()
	return p, nil
}

// start starts the loop over p.Conn.
func (p *Participant) start() {
	loopCtx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	p.done = make(chan struct{})
	go p.loop(loopCtx, p.done)
}

// Resume takes the participant's session back over a new connection to
// url after its connection dropped (docs/protocol.md, "Reconnecting"):
// it closes the old connection if it is still open, then joins with j,
// the resume token and the identity of the last welcome. The peer
// connections are kept. The welcome returned is not Resumed when the
// server held no session: the participant then joined again, and its
// peer connections no longer match. Resume must not run at the same
// time as the participant's other methods.
func (p *Participant) Resume(ctx context.Context, url string, j protocol.Join) (protocol.Welcome, error) {
	p.cancel()
	_ = p.Conn.CloseNow()
	<-p.done
	c, err := DialConn(ctx, url)
	if err != nil {
		return protocol.Welcome{}, err
	}
	j.Resume, j.Identity = p.Welcome.Resume, p.Welcome.Identity
	w, err := c.Join(ctx, j)
	if err != nil {
		_ = c.CloseNow()
		return protocol.Welcome{}, err
	}
	p.mu.Lock()
	p.err = nil
	p.mu.Unlock()
	p.Conn, p.Welcome = c, w
	p.start()
	return w, nil
}

// RestartICE restarts ICE on both connections, as a client whose network
// changed does: a publish offer with new credentials, and ice_restart for
// the subscribe connection (whose offer the loop answers).
func (p *Participant) RestartICE(ctx context.Context) error {
	if err := p.Conn.Send(ctx, protocol.ICERestart{Type: protocol.TypeICERestart, PC: protocol.PCSubscribe}); err != nil {
		return err
	}
	return p.negotiatePublish(ctx, &webrtc.OfferOptions{ICERestart: true})
}

func newAPI(params MediaParams) (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		return nil, err
	}
	// Like browsers, the client can send and receive each audio packet's
	// level (RFC 6464; see AudioLevelID).
	if err := me.RegisterHeaderExtension(webrtc.RTPHeaderExtensionCapability{URI: sdp.AudioLevelURI}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, err
	}
	if params.Simulcast {
		if err := webrtc.ConfigureSimulcastExtensionHeaders(me); err != nil {
			return nil, err
		}
	}
	reg := &interceptor.Registry{}
	if params.TWCC {
		if err := webrtc.ConfigureTWCCSender(me, reg); err != nil {
			return nil, err
		}
	}
	if !params.NoInterceptors {
		if err := webrtc.ConfigureNack(me, reg); err != nil {
			return nil, err
		}
		if err := webrtc.ConfigureRTCPReports(reg); err != nil {
			return nil, err
		}
	}
	se := webrtc.SettingEngine{}
	if params.LoopbackOnly {
		se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
		se.SetIncludeLoopbackCandidate(true)
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
		se.SetRemoteIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se)), nil
}

// ID is the participant's id.
func (p *Participant) ID() string { return p.Welcome.Self.ID }

// Publish adds tracks to the publish connection and negotiates it. For
// each track the returned sender's RTCP is drained in the background.
func (p *Participant) Publish(ctx context.Context, tracks ...webrtc.TrackLocal) error {
	for _, t := range tracks {
		tr, err := p.pub.AddTransceiverFromTrack(t, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
		if err != nil {
			return fmt.Errorf("add track: %w", err)
		}
		go drainRTCP(tr.Sender())
	}
	return p.negotiatePublish(ctx, nil)
}

// negotiatePublish offers the publish connection and applies the answer.
func (p *Participant) negotiatePublish(ctx context.Context, opts *webrtc.OfferOptions) error {
	offer, err := p.pub.CreateOffer(opts)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(p.pub)
	if err := p.pub.SetLocalDescription(offer); err != nil {
		return err
	}
	<-gathered
	answerCh := make(chan string, 1)
	p.mu.Lock()
	p.pubAnswer = answerCh
	p.mu.Unlock()
	err = p.Conn.Send(ctx, protocol.SDP{Type: protocol.TypeOffer, PC: protocol.PCPublish, SDP: p.pub.LocalDescription().SDP})
	if err != nil {
		return err
	}
	select {
	case sdp := <-answerCh:
		return p.pub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
	case <-p.done:
		return p.loopErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// AudioLevelID is the id the publish connection negotiated for the audio
// level header extension (RFC 6464), 0 before Publish or when
// the server did not take it. A sender of audio puts each packet's level
// under it.
func (p *Participant) AudioLevelID() uint8 {
	for _, tr := range p.pub.GetTransceivers() {
		if tr.Sender() == nil || tr.Kind() != webrtc.RTPCodecTypeAudio {
			continue
		}
		for _, h := range tr.Sender().GetParameters().HeaderExtensions {
			if h.URI == sdp.AudioLevelURI && h.ID > 0 && h.ID < 15 {
				return uint8(h.ID)
			}
		}
	}
	return 0
}

func drainRTCP(s *webrtc.RTPSender) {
	buf := make([]byte, 1500)
	for {
		if _, _, err := s.Read(buf); err != nil {
			return
		}
	}
}

func (p *Participant) loopErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		return errors.New("participant closed")
	}
	return p.err
}

// loop reads every server message: it answers subscribe offers, passes the
// publish answer to Publish, and hands everything else to OnMessage.
func (p *Participant) loop(ctx context.Context, done chan struct{}) {
	defer close(done)
	for {
		m, err := p.Conn.Recv(ctx)
		if err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
			return
		}
		switch m.Type {
		case protocol.TypeAnswer:
			var a protocol.SDP
			if m.Decode(&a) == nil {
				p.mu.Lock()
				ch := p.pubAnswer
				p.mu.Unlock()
				if ch != nil {
					select {
					case ch <- a.SDP:
					default:
					}
				}
			}
		case protocol.TypeOffer:
			var o protocol.SDP
			if err := m.Decode(&o); err == nil {
				if err := p.answerSubscribe(ctx, o.SDP); err != nil && p.params.OnMessage != nil {
					p.params.OnMessage(Message{Type: "client_error", Raw: []byte(err.Error())})
				}
			}
		default:
			if p.params.OnMessage != nil {
				p.params.OnMessage(m)
			}
		}
	}
}

func (p *Participant) answerSubscribe(ctx context.Context, sdp string) error {
	if err := p.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return err
	}
	answer, err := p.sub.CreateAnswer(nil)
	if err != nil {
		return err
	}
	gathered := webrtc.GatheringCompletePromise(p.sub)
	if err := p.sub.SetLocalDescription(answer); err != nil {
		return err
	}
	<-gathered
	return p.Conn.Send(ctx, protocol.SDP{Type: protocol.TypeAnswer, PC: protocol.PCSubscribe, SDP: p.sub.LocalDescription().SDP})
}

// SetSelf sends set_self.
func (p *Participant) SetSelf(ctx context.Context, muted, camera *bool) error {
	return p.Conn.Send(ctx, protocol.SetSelf{Type: protocol.TypeSetSelf, Muted: muted, Camera: camera})
}

// Done is closed when the connection to the server ended.
func (p *Participant) Done() <-chan struct{} { return p.done }

// Leave sends leave, then closes everything.
func (p *Participant) Leave(ctx context.Context) error {
	err := p.Conn.Send(ctx, protocol.Leave{Type: protocol.TypeLeave})
	select {
	case <-p.done:
	case <-ctx.Done():
	}
	p.Close()
	return err
}

// Close closes the peer connections and the WebSocket.
func (p *Participant) Close() {
	p.cancel()
	_ = p.Conn.CloseNow()
	_ = p.pub.Close()
	_ = p.sub.Close()
	<-p.done
}
