package meeting

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling/meeting/speakers"
)

// Timing of a meeting's owner.
const (
	// inboxSize bounds the work queued for an owner. Room events that do
	// not fit are replaced by a resync (the owner and its sessions reload
	// the room's state).
	inboxSize = 1024
	// opTimeout bounds one operation on the room's shared state.
	opTimeout = 5 * time.Second
	// retryEvery is how often a failed reload or leave is tried again.
	retryEvery = time.Second
)

// Meeting is the running meeting of one room on this instance. Its owner
// goroutine (run) owns every field under "owned by run"; others queue work
// with do, and the owner runs it in order. Room events enter the same
// queue, so a session's seat is taken before any event that follows its
// join.
type Meeting struct {
	// static after construction
	ms    *Meetings
	id    room.RoomID
	log   *zap.Logger
	inbox chan func()
	quit  chan struct{} // closed by Meetings.release when nobody uses it
	done  chan struct{} // closed when run has returned
	start sync.Once     // runs begin, before the first seat is taken

	refs    int          // guarded by ms.mu
	members atomic.Int32 // participants with a session here; written by run
	missed  atomic.Bool  // an event did not fit in the inbox

	// owned by run
	seats    map[*Seat]struct{}
	people   map[room.ParticipantID]room.Participant // the room's participants as the events tell
	info     room.Info
	seq      uint64 // last event applied to people and info
	loading  bool   // the room's state must be (re)loaded
	fetching bool   // a load goroutine is running
	wanted   uint64 // counts reloads asked for; a load of an older one is stale
	// resyncOwed: the sessions may have missed events; they get an
	// EventResync once the state is loaded again.
	resyncOwed bool
	held       []room.Event // events that came during the reload
	peers      map[*media.Peer]room.ParticipantID
	tracks     map[*media.Track]struct{}
	relaying   []string // the instances the cluster was last asked to relay from
	ticker     *time.Ticker
	ticking    bool // a share-timer tick is under way
	leaves     []pendingLeave
	unsub      func()
	// The active speaker (talking.go): the detector, the pacer of the
	// sets sent, the set last sent, the level ticker (nil while stopped)
	// and the levels of the frame being read.
	talk    *speakers.Detector[room.ParticipantID]
	pacer   *speakers.Pacer[room.ParticipantID]
	talking []room.ParticipantID
	listen  *time.Ticker
	heard   map[room.ParticipantID]speakers.Level
}

// pendingLeave is a participant's leave that the shared state did not
// take (it was unreachable); the owner tries again until it does.
type pendingLeave struct {
	actor    room.Actor
	explicit bool
}

func newMeeting(ms *Meetings, id room.RoomID) *Meeting {
	m := &Meeting{
		ms: ms, id: id, log: ms.p.Log.With(zap.Stringer("room", id)),
		inbox: make(chan func(), inboxSize), quit: make(chan struct{}), done: make(chan struct{}),
		seats: map[*Seat]struct{}{}, people: map[room.ParticipantID]room.Participant{},
		peers: map[*media.Peer]room.ParticipantID{}, tracks: map[*media.Track]struct{}{},
		talk:  speakers.New[room.ParticipantID](speakers.Config{}),
		pacer: speakers.NewPacer[room.ParticipantID](speakersEvery),
		heard: map[room.ParticipantID]speakers.Level{},
	}
	return m
}

// begin subscribes to the room's events before anyone joins through this
// meeting, so that no event of theirs is missed, starts loading the state
// as it is now, and starts the owner.
func (m *Meeting) begin() {
	m.unsub = m.ms.p.Rooms.Subscribe(m.id, m.enqueueEvent)
	m.reload()
	if c := m.ms.p.Cluster; c != nil {
		c.Hosting(m.id, true)
	}
	go m.run()
}

// ID is the meeting's room.
func (m *Meeting) ID() room.RoomID { return m.id }

// do queues f for the owner. It never blocks once the meeting has ended
// (f is then dropped).
func (m *Meeting) do(f func()) {
	select {
	case m.inbox <- f:
	case <-m.done:
	}
}

// enqueueEvent is the room store's delivery: it must not block.
func (m *Meeting) enqueueEvent(ev room.Event) {
	select {
	case m.inbox <- func() { m.onEvent(ev) }:
	default:
		m.missed.Store(true)
	}
}

// run is the owner loop.
func (m *Meeting) run() {
	defer close(m.done)
	retry := time.NewTicker(retryEvery)
	defer retry.Stop()
	for {
		select {
		case f := <-m.inbox:
			f()
		case <-m.tick():
			m.tickTimer()
		case <-m.listening():
			m.listenFrame()
		case <-retry.C:
			m.retry()
		case <-m.quit:
			m.drain()
			m.close()
			return
		}
		if m.missed.Swap(false) {
			m.onEvent(room.Event{Room: m.id, Kind: room.EventResync, Seq: m.seq})
		}
	}
}

// quitting reports whether nobody uses the meeting any more.
func (m *Meeting) quitting() bool {
	select {
	case <-m.quit:
		return true
	default:
		return false
	}
}

// drain runs what is still queued.
func (m *Meeting) drain() {
	for {
		select {
		case f := <-m.inbox:
			f()
		default:
			return
		}
	}
}

// close ends the meeting here: no more events, no relays, no timer.
func (m *Meeting) close() {
	m.unsub()
	if m.ticker != nil {
		m.ticker.Stop()
	}
	if m.listen != nil {
		m.listen.Stop()
	}
	if c := m.ms.p.Cluster; c != nil {
		c.Relay(m, nil)
		c.Hosting(m.id, false)
	}
}

// reload starts loading the room's state as it is now; until it is
// loaded, events are held back.
func (m *Meeting) reload() {
	m.loading = true
	m.wanted++
	m.fetch()
}

// fetch starts a load of the state, unless one is under way.
func (m *Meeting) fetch() {
	if !m.fetching {
		m.fetching = true
		go m.load(m.wanted)
	}
}

// load reads the room's state (from its own goroutine) and hands it to
// the owner.
func (m *Meeting) load(gen uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	st, err := m.ms.p.Rooms.Snapshot(ctx, m.id)
	m.do(func() { m.loaded(gen, st, err) })
}

// loaded adopts a reloaded state, then the events that came meanwhile.
func (m *Meeting) loaded(gen uint64, st *room.State, err error) {
	m.fetching = false
	if gen != m.wanted {
		m.fetch() // read before the latest resync: read again
		return
	}
	if errors.Is(err, room.ErrNotFound) {
		// The room is gone: nobody's media is forwarded, nothing to reload.
		m.loading, m.held = false, nil
		clear(m.people)
		m.changed()
		return
	}
	if err != nil {
		m.log.Debug("reload room state", zap.Error(err))
		return // retried by the owner's retry tick while loading is set
	}
	m.loading = false
	m.people = make(map[room.ParticipantID]room.Participant, len(st.Participants))
	for id, p := range st.Participants {
		m.people[id] = *p
	}
	m.info, m.seq = st.Info, st.Seq
	held := m.held
	m.held = nil
	for _, ev := range held {
		m.learn(ev)
	}
	m.changed()
	if m.resyncOwed {
		m.resyncOwed = false
		m.deliver(room.Event{Room: m.id, Kind: room.EventResync, Seq: m.seq})
	}
}

// onEvent applies a room event to what the owner knows, then passes it
// on to the local sessions.
func (m *Meeting) onEvent(ev room.Event) {
	if ev.Kind == room.EventResync {
		// The sessions are told once the state can be read again (see
		// loaded), rather than all reading it now from a store that may
		// still be coming back.
		m.held = nil
		m.resyncOwed = true
		m.reload()
		return
	}
	if m.loading {
		// Kept to apply again on top of the state being loaded; the gates
		// follow the event now all the same.
		m.held = append(m.held, ev)
	}
	m.learn(ev)
	m.changed()
	m.deliver(ev)
}

// deliver passes an event on to the local sessions.
func (m *Meeting) deliver(ev room.Event) {
	for s := range m.seats {
		if s.deliver != nil {
			s.deliver(ev)
		}
	}
}

// learn applies one event to people and info.
func (m *Meeting) learn(ev room.Event) {
	if ev.Seq <= m.seq {
		return
	}
	m.seq = ev.Seq
	switch ev.Kind {
	case room.EventJoined, room.EventUpdated, room.EventLeft, room.EventRemoved, room.EventDenied, room.EventAskUnmute:
		m.people[ev.Participant.ID] = ev.Participant
	case room.EventLinkRotated:
		delete(m.people, ev.Participant.ID)
	case room.EventEnded:
		clear(m.people)
	case room.EventRoom:
		m.info = *ev.Info
	}
}

// changed brings everything derived from the room's state up to date:
// the gates of the local tracks, the relays, the share-timer tick, who
// may be talking.
func (m *Meeting) changed() {
	for t := range m.tracks {
		m.gate(t)
	}
	m.planRelays()
	m.planTimer()
	m.talk.Each(func(id room.ParticipantID, _ bool) {
		if !m.mayTalk(id) {
			m.talk.Remove(id)
		}
	})
	m.announce()
	m.planListening()
}

// planRelays asks the cluster for the media of the other instances that
// hold participants of the room, while someone is connected here.
func (m *Meeting) planRelays() {
	c := m.ms.p.Cluster
	if c == nil || m.quitting() {
		return // a newer meeting of the room may be running: leave the links to it
	}
	var from []string
	if m.members.Load() > 0 {
		set := map[string]bool{}
		for _, p := range m.people {
			if p.Present && p.Instance != "" && p.Instance != m.ms.instance {
				set[p.Instance] = true
			}
		}
		for inst := range set {
			from = append(from, inst)
		}
		slices.Sort(from)
	}
	if slices.Equal(from, m.relaying) {
		return
	}
	m.relaying = from
	c.Relay(m, from)
}
