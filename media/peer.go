package media

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"
	"go.uber.org/zap"
)

// Direction names one of a peer's two connections.
type Direction string

// The two connections of a peer.
const (
	// Publish: the client offers the tracks it sends; the server answers.
	Publish Direction = "pub"
	// Subscribe: the server offers the tracks it forwards; the client answers.
	Subscribe Direction = "sub"
)

// Kind says whom a peer connects: a participant's client, or another
// instance of the server relaying a room's media.
type Kind int

// The kinds of peer.
const (
	// Client: a participant's browser or Go client.
	Client Kind = iota
	// RelayIn receives another instance's local tracks: it publishes them
	// here, under their publishers' ids, and subscribes to nothing.
	RelayIn
	// RelayOut sends this instance's local tracks to another instance: it
	// subscribes to client tracks only, never to relayed ones, so media
	// never loops between instances.
	RelayOut
)

// maxPendingCandidates bounds the candidates kept for a connection that
// has no remote description yet.
const maxPendingCandidates = 32

// ErrClosed is returned by a closed Peer.
var ErrClosed = errors.New("media: peer closed")

// PeerParams configures a new Peer.
type PeerParams struct {
	// ID becomes the MediaStream id of every track the peer publishes, as
	// subscribers see it (a RelayIn peer keeps the ids the other instance
	// gives).
	ID string
	// Kind is Client unless the peer is a relay between instances.
	Kind Kind
	// Log is the peer's logger (carrying the participant id).
	Log *zap.Logger
	// OnTrack is called, from a pion goroutine, for each track the peer
	// starts publishing.
	OnTrack func(*Track)
	// OnNegotiationNeeded is called when the subscribe connection needs a
	// new offer (CreateOffer). It must not block.
	OnNegotiationNeeded func()
	// MaxTracks bounds the tracks the peer may publish (DefaultMaxTracks
	// when 0); further tracks are read and dropped, never forwarded.
	MaxTracks int
}

// DefaultMaxTracks is a participant's limit: a microphone, a camera, and
// room for a screen share with its audio.
const DefaultMaxTracks = 4

// Peer is one participant's pair of peer connections.
type Peer struct {
	// static after construction
	sfu    *SFU
	id     string
	log    *zap.Logger
	params PeerParams
	pubAPI *webrtc.API
	sub    *webrtc.PeerConnection
	// est is the subscribe connection's bandwidth estimator (nil when
	// pion made another kind).
	est *estimator

	// pub is the publish connection. It is replaced only while it has
	// never been negotiated (see restorePublish), so never while it
	// carries tracks.
	pub atomic.Pointer[webrtc.PeerConnection]

	mu sync.Mutex // guards everything below
	// tracks are the tracks this peer publishes.
	tracks map[*Track]struct{}
	// downs are this peer's subscriptions, by source track.
	downs map[*Track]*downTrack
	// pending holds candidates that arrived before their connection had a
	// remote description.
	pending map[Direction][]webrtc.ICECandidateInit
	// reoffer is set when the subscribe connection's unanswered offer was
	// offered again: once it is answered, a new offer is needed.
	reoffer bool
	closed  bool
	// sizes are the sizes at which the subscriber shows videos
	// (SetVideoSizes); nil until it said.
	sizes map[sizeKey][2]int

	// audioOnly: the subscriber receives no video (SetAudioOnly).
	audioOnly atomic.Bool
	// feedback: the subscriber's answer accepted transport-wide
	// congestion control feedback, so its bandwidth is estimated.
	feedback atomic.Bool
	// realloc asks the allocator for a round now; quit ends it.
	realloc chan struct{}
	quit    chan struct{}
}

// NewPeer creates a peer with its two (not yet negotiated) connections.
func (s *SFU) NewPeer(params PeerParams) (*Peer, error) {
	if params.Log == nil {
		params.Log = s.log
	}
	p := &Peer{
		sfu: s, id: params.ID, log: params.Log, params: params,
		tracks:  map[*Track]struct{}{},
		downs:   map[*Track]*downTrack{},
		pending: map[Direction][]webrtc.ICECandidateInit{},
		realloc: make(chan struct{}, 1),
		quit:    make(chan struct{}),
	}
	p.pubAPI = s.pubAPI
	if params.Kind == RelayIn {
		p.pubAPI = s.relayAPI
	}
	pub, err := p.newPublishConn()
	if err != nil {
		return nil, err
	}
	p.pub.Store(pub)
	sub, est, err := s.newSubscribeConn()
	if err != nil {
		_ = pub.Close()
		return nil, fmt.Errorf("media: subscribe connection: %w", err)
	}
	p.sub = sub
	if params.Kind == Client {
		s.watchICE(p.sub)
	}
	if p.est, _ = est.(*estimator); p.est != nil {
		p.est.setOnLost(p.resendLost)
		p.watchPath()
	}
	go p.allocate(est)
	go p.reportLoop()
	return p, nil
}

func (p *Peer) newPublishConn() (*webrtc.PeerConnection, error) {
	pc, err := p.pubAPI.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("media: publish connection: %w", err)
	}
	pc.OnTrack(p.onTrack)
	if p.params.Kind == Client {
		p.sfu.watchICE(pc)
	}
	return pc, nil
}

// ID is the peer's id (see PeerParams.ID).
func (p *Peer) ID() string { return p.id }

// Kind is the peer's kind.
func (p *Peer) Kind() Kind { return p.params.Kind }

// onTrack starts reading a new track's RTP and its receiver's RTCP, each
// in a goroutine of its own, whether the track is forwarded or not. A
// simulcast layer of a track already known becomes one of its layers.
func (p *Peer) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	go p.readRTCP(receiver, remote.RID())
	max := p.params.MaxTracks
	if max == 0 {
		max = DefaultMaxTracks
	}
	id, _ := trackID(p, remote)
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	if remote.RID() != "" {
		for t := range p.tracks {
			if t.id == id && t.kind == remote.Kind() {
				p.mu.Unlock()
				if !t.addLayer(remote) {
					drain(remote)
				}
				return
			}
		}
	}
	if p.params.Kind == Client && len(p.tracks) >= max {
		p.mu.Unlock()
		p.log.Info("track over the limit; not forwarded", zap.Int("limit", max))
		drain(remote)
		return
	}
	t := newTrack(p, remote, receiver)
	p.tracks[t] = struct{}{}
	p.mu.Unlock()
	if !t.addLayer(remote) {
		drain(remote)
	}
	go func() {
		<-t.done
		p.mu.Lock()
		delete(p.tracks, t)
		p.mu.Unlock()
	}()
	p.log.Debug("track published", zap.String("track", t.id), zap.Stringer("kind", t.kind))
	if p.params.OnTrack != nil {
		p.params.OnTrack(t)
	}
}

// Tracks returns the tracks the peer publishes now.
func (p *Peer) Tracks() []*Track {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*Track, 0, len(p.tracks))
	for t := range p.tracks {
		out = append(out, t)
	}
	return out
}

func (p *Peer) conn(d Direction) (*webrtc.PeerConnection, error) {
	switch d {
	case Publish:
		return p.pub.Load(), nil
	case Subscribe:
		return p.sub, nil
	}
	return nil, fmt.Errorf("media: unknown connection %q", d)
}

// HandleOffer applies the client's offer on the publish connection and
// returns the answer, which holds all the server's candidates. An offer
// that cannot be applied leaves the connection ready for the next one:
// the error wraps ErrBadSDP when the offer was refused before pion saw it.
//
// An offer with new ICE credentials (the client's network changed; RFC
// 8445 section 9) restarts ICE on the connection; Stats.ICERestarts
// counts it.
func (p *Peer) HandleOffer(sdp string) (string, error) {
	pc := p.pub.Load()
	current := pc.CurrentRemoteDescription()
	if err := checkOffer(sdp, current == nil); err != nil {
		return "", fmt.Errorf("apply offer: %w", err)
	}
	answer, err := p.answer(pc, sdp)
	if err != nil {
		p.restorePublish(pc)
		return "", err
	}
	if current != nil && iceUfrag(current.SDP) != iceUfrag(sdp) {
		p.sfu.stats.ICERestarts.Add(1)
		p.log.Debug("ICE restarted by the client", zap.String("pc", string(Publish)))
	}
	return answer, nil
}

// iceUfrag returns the first ICE username fragment of an SDP ("" if none).
func iceUfrag(sdp string) string {
	const attr = "a=ice-ufrag:"
	i := strings.Index(sdp, attr)
	if i < 0 {
		return ""
	}
	rest := sdp[i+len(attr):]
	if j := strings.IndexAny(rest, "\r\n"); j >= 0 {
		rest = rest[:j]
	}
	return strings.TrimSpace(rest)
}

func (p *Peer) answer(pc *webrtc.PeerConnection, sdp string) (string, error) {
	if err := pc.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return "", fmt.Errorf("apply offer: %w", err)
	}
	p.flushCandidates(Publish)
	preferVP8(pc)
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("create answer: %w", err)
	}
	return p.setLocal(pc, answer)
}

// preferVP8 lists VP8 first in the answer's video sections, so a browser
// that offered both VP8 and H.264 (Safari prefers H.264) sends VP8, which
// every subscriber decodes; one that offered only H.264 still sends
// H.264.
func preferVP8(pc *webrtc.PeerConnection) {
	for _, tr := range pc.GetTransceivers() {
		if tr.Kind() == webrtc.RTPCodecTypeVideo {
			_ = tr.SetCodecPreferences(videoCodecs()) // registered, so never refused
		}
	}
}

// restorePublish brings the publish connection back to the stable state
// after an offer failed half-way, so that the client's next offer is
// answered: pion changes the state before most of its checks, and cannot
// roll back (it refuses webrtc.SDPTypeRollback). A connection never
// negotiated carries nothing yet and is replaced by a new one. One
// negotiated before, which may carry tracks, takes the failed offer after
// all, with an answer that is never sent; the client's next offer
// replaces both.
func (p *Peer) restorePublish(pc *webrtc.PeerConnection) {
	if pc.SignalingState() == webrtc.SignalingStateStable {
		return
	}
	if pc.CurrentRemoteDescription() != nil {
		answer, err := pc.CreateAnswer(nil)
		if err == nil {
			err = pc.SetLocalDescription(answer)
		}
		if err != nil {
			p.log.Warn("publish connection stuck after a failed offer", zap.Stringer("state", pc.SignalingState()), zap.Error(err))
		}
		return
	}
	fresh, err := p.newPublishConn()
	if err != nil {
		p.log.Warn("publish connection not renewed after a failed offer", zap.Error(err))
		return
	}
	p.mu.Lock()
	stale := p.closed || p.pub.Load() != pc
	if !stale {
		p.pub.Store(fresh)
	}
	p.mu.Unlock()
	if stale {
		pc = fresh
	}
	if err := pc.Close(); err != nil {
		p.log.Debug("close publish connection", zap.Error(err))
	}
}

// CreateOffer makes a new offer on the subscribe connection, for the
// tracks the peer is subscribed to now. While the last offer awaits a
// valid answer (a refused answer leaves it waiting: pion cannot take an
// offer back), it offers that one again, and once it is answered asks for
// a new one (PeerParams.OnNegotiationNeeded).
func (p *Peer) CreateOffer() (string, error) {
	if pending := p.sub.PendingLocalDescription(); pending != nil && p.sub.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		p.mu.Lock()
		p.reoffer = true
		p.mu.Unlock()
		return pending.SDP, nil
	}
	offer, err := p.sub.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("create offer: %w", err)
	}
	return p.setLocal(p.sub, offer)
}

// ErrOfferPending is returned by RestartOffer while the subscribe
// connection's last offer awaits its answer.
var ErrOfferPending = errors.New("media: an offer awaits its answer")

// RestartOffer makes a new offer on the subscribe connection that
// restarts ICE (new credentials, RFC 8445 section 9), for a client whose
// network changed; Stats.ICERestarts counts it. While the last offer
// awaits its answer it returns ErrOfferPending: ask again once answered.
func (p *Peer) RestartOffer() (string, error) {
	if p.sub.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		return "", ErrOfferPending
	}
	offer, err := p.sub.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return "", fmt.Errorf("create offer: %w", err)
	}
	sdp, err := p.setLocal(p.sub, offer)
	if err == nil {
		if p.est != nil {
			p.est.pathDown()
		}
		p.sfu.stats.ICERestarts.Add(1)
		p.log.Debug("ICE restarted for the client", zap.String("pc", string(Subscribe)))
	}
	return sdp, err
}

// watchPath tells the estimator when the subscribe connection's network
// path goes and comes back: an ICE restart (RestartOffer), ICE
// disconnected or failed, and a candidate pair selected or ICE connected
// again.
func (p *Peer) watchPath() {
	p.sub.OnICEConnectionStateChange(func(st webrtc.ICEConnectionState) {
		switch st {
		case webrtc.ICEConnectionStateDisconnected, webrtc.ICEConnectionStateFailed:
			p.est.pathDown()
		case webrtc.ICEConnectionStateConnected, webrtc.ICEConnectionStateCompleted:
			p.est.pathChanged()
		}
	})
	p.sub.SCTP().Transport().ICETransport().OnSelectedCandidatePairChange(func(*webrtc.ICECandidatePair) {
		p.est.pathChanged()
	})
}

// setLocal applies a local description and waits for ICE gathering, so
// that the description returned carries every candidate.
func (p *Peer) setLocal(pc *webrtc.PeerConnection, desc webrtc.SessionDescription) (string, error) {
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(desc); err != nil {
		return "", fmt.Errorf("set local description: %w", err)
	}
	<-gathered
	return pc.LocalDescription().SDP, nil
}

// HandleAnswer applies the client's answer on the subscribe connection.
// An answer that does not fit the offer is refused (the error wraps
// ErrBadSDP) and the offer keeps waiting: CreateOffer offers it again.
func (p *Peer) HandleAnswer(sdp string) error {
	if offer := p.sub.PendingLocalDescription(); offer != nil {
		if err := checkAnswer(sdp, offer.SDP, p.sub.CurrentRemoteDescription() == nil); err != nil {
			return fmt.Errorf("apply answer: %w", err)
		}
	}
	if err := p.sub.SetRemoteDescription(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp}); err != nil {
		return fmt.Errorf("apply answer: %w", err)
	}
	p.flushCandidates(Subscribe)
	p.feedback.Store(strings.Contains(sdp, "transport-cc"))
	p.mu.Lock()
	again := p.reoffer
	p.reoffer = false
	p.mu.Unlock()
	if again {
		p.negotiationNeeded()
	}
	return nil
}

// AddCandidate adds a remote ICE candidate to one of the connections. A
// candidate that arrives before the connection's remote description waits
// for it.
func (p *Peer) AddCandidate(d Direction, c webrtc.ICECandidateInit) error {
	pc, err := p.conn(d)
	if err != nil {
		return err
	}
	p.mu.Lock()
	if pc.RemoteDescription() == nil {
		defer p.mu.Unlock()
		if len(p.pending[d]) >= maxPendingCandidates {
			return errors.New("too many candidates before the offer")
		}
		p.pending[d] = append(p.pending[d], c)
		return nil
	}
	p.mu.Unlock()
	return pc.AddICECandidate(c)
}

func (p *Peer) flushCandidates(d Direction) {
	pc, _ := p.conn(d)
	p.mu.Lock()
	pending := p.pending[d]
	delete(p.pending, d)
	p.mu.Unlock()
	for _, c := range pending {
		if err := pc.AddICECandidate(c); err != nil {
			p.log.Debug("candidate dropped", zap.Error(err))
		}
	}
}

// Subscribe starts forwarding t to p. p's subscribe connection then needs
// a new offer (PeerParams.OnNegotiationNeeded is called).
func (p *Peer) Subscribe(t *Track) error {
	if t.publisher == p {
		return fmt.Errorf("media: a peer cannot subscribe to its own track")
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrClosed
	}
	if _, ok := p.downs[t]; ok {
		p.mu.Unlock()
		return nil
	}
	d := &downTrack{track: t, subscriber: p}
	d.initSelector()
	sender, err := p.sub.AddTrack(d)
	if err != nil {
		p.mu.Unlock()
		return fmt.Errorf("media: add track: %w", err)
	}
	d.sender = sender
	p.downs[t] = d
	p.mu.Unlock()
	go d.rtcpLoop()
	if !t.addDown(d) {
		p.dropDown(d) // the track ended meanwhile
		return nil
	}
	p.mu.Lock()
	closed := p.downs[t] != d // Close ran meanwhile and missed d
	p.mu.Unlock()
	if closed {
		t.removeDown(d)
		return ErrClosed
	}
	p.reallocate()
	p.negotiationNeeded()
	return nil
}

// Unsubscribe stops forwarding t to p.
func (p *Peer) Unsubscribe(t *Track) {
	p.mu.Lock()
	d, ok := p.downs[t]
	p.mu.Unlock()
	if ok {
		t.removeDown(d)
		p.dropDown(d)
	}
}

// dropDown removes a subscription from the subscribe connection.
func (p *Peer) dropDown(d *downTrack) {
	p.mu.Lock()
	if p.downs[d.track] != d {
		p.mu.Unlock()
		return
	}
	delete(p.downs, d.track)
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	if err := p.sub.RemoveTrack(d.sender); err != nil && !errors.Is(err, webrtc.ErrConnectionClosed) {
		p.log.Debug("remove track", zap.Error(err))
	}
	p.negotiationNeeded()
}

func (p *Peer) negotiationNeeded() {
	if p.params.OnNegotiationNeeded != nil {
		p.params.OnNegotiationNeeded()
	}
}

// Close closes both connections. The peer's tracks end, and with them every
// subscription to them; the peer's own subscriptions are dropped.
func (p *Peer) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	close(p.quit)
	downs := p.downs
	p.downs = map[*Track]*downTrack{}
	p.mu.Unlock()
	for t, d := range downs {
		t.removeDown(d)
	}
	if err := p.pub.Load().Close(); err != nil {
		p.log.Debug("close publish connection", zap.Error(err))
	}
	if err := p.sub.Close(); err != nil {
		p.log.Debug("close subscribe connection", zap.Error(err))
	}
}
