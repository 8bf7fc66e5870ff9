package room

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sync"
	"time"
)

// Service applies the meeting's commands to rooms kept in a Store.
//
// Around every command it tidies the meeting (State.Tidy): participants
// gone for the grace are pruned and a meeting empty for the grace is
// closed. So that this happens without a later command too, the Service
// that saw someone leave arranges a tidy for when the grace ends (see
// schedule): with several instances, any of them may run it, and running
// it twice does nothing more.
type Service struct {
	// static after construction
	store Store
	dir   Directory // nil: states made directly (tests of the rules)
	now   func() time.Time
	grace time.Duration
	after func(time.Duration, func()) (stop func() bool)

	mu  sync.Mutex // guards due
	due map[RoomID]pendingTidy
}

// ServiceParams configures a Service.
type ServiceParams struct {
	// Store keeps running meetings.
	Store Store
	// Directory keeps rooms' definitions. Without one (tests of the
	// meeting's rules), Create stores a meeting's state directly, and
	// the room asks newcomers for no member key.
	Directory Directory
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Grace is how long someone who left may come back as themselves, and
	// how long an empty meeting lasts; ResumeGrace when zero.
	Grace time.Duration
	// AfterFunc runs f after d (as time.AfterFunc does) until stop is
	// called; time.AfterFunc when nil. Tests give a fake clock's.
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
}

// NewService returns a Service over store. now is the clock (nil: time.Now).
func NewService(store Store, now func() time.Time) *Service {
	return NewServiceWith(ServiceParams{Store: store, Now: now})
}

// NewServiceWith returns a Service configured by p.
func NewServiceWith(p ServiceParams) *Service {
	s := &Service{store: p.Store, dir: p.Directory, now: p.Now, grace: p.Grace, after: p.AfterFunc, due: map[RoomID]pendingTidy{}}
	if s.now == nil {
		s.now = time.Now
	}
	if s.grace <= 0 {
		s.grace = ResumeGrace
	}
	if s.after == nil {
		s.after = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	return s
}

// Created describes a new room and its secrets.
type Created struct {
	ID RoomID
	// FacilitatorKey makes its holder the room's facilitator. It is not
	// stored; only its hash is.
	FacilitatorKey string
	// MemberKey lets newcomers in (empty without a Directory).
	MemberKey string
}

// Create makes a new room named name with the given settings (usually
// DefaultSettings()). With a Directory it is CreateRoom; without one it
// stores the state of a meeting directly.
func (s *Service) Create(ctx context.Context, name string, settings Settings) (Created, error) {
	if s.dir != nil {
		d, err := s.CreateRoom(ctx, RoomSpec{Name: name, Settings: settings})
		if err != nil {
			return Created{}, err
		}
		m, f, err := s.LinkKeys(ctx, d)
		return Created{ID: d.ID, FacilitatorKey: f, MemberKey: m}, err
	}
	key := NewSecret()
	id := NewRoomID()
	st := NewState(id, name, key)
	st.Settings = settings
	if err := s.store.Create(ctx, st); err != nil {
		return Created{}, fmt.Errorf("create room: %w", err)
	}
	return Created{ID: id, FacilitatorKey: key}, nil
}

// Snapshot returns the room's current state.
func (s *Service) Snapshot(ctx context.Context, id RoomID) (*State, error) {
	return s.store.Get(ctx, id)
}

// Join brings a person into the room. See State.Join. With a Directory,
// the first person of a meeting starts it from the room's definition, and
// a newcomer's invite loses a use (given back if the join fails).
func (s *Service) Join(ctx context.Context, id RoomID, req JoinRequest) (Joined, error) {
	def, err := s.open(ctx, id)
	if err != nil {
		return Joined{}, err
	}
	giveBack, err := s.takeInvite(ctx, id, &req)
	if err != nil {
		return Joined{}, err
	}
	newID, newIdentity := NewParticipantID(), NewSecret()
	var res Joined
	_, err = s.update(ctx, id, func(st *State, now int64) ([]Event, error) {
		if def != nil && len(st.Participants) == 0 {
			st.startMeeting(def, now)
		}
		j, evs, err := st.Join(req, newID, newIdentity)
		if err == nil {
			st.EmptySince = 0
			if st.StartedAt == 0 {
				st.StartedAt = now
			}
		}
		res = j
		return evs, err
	})
	if err != nil {
		giveBack()
	}
	return res, err
}

// Leave marks the actor's connection as gone. See State.Leave.
func (s *Service) Leave(ctx context.Context, id RoomID, a Actor, explicit bool) error {
	_, err := s.update(ctx, id, func(st *State, _ int64) ([]Event, error) {
		return st.Leave(a, explicit)
	})
	return err
}

// Command is one of State's command methods, bound to its arguments;
// now is the time of the command in Unix milliseconds.
type Command func(st *State, now int64) ([]Event, error)

// Apply runs a command on the room's state and publishes its events.
func (s *Service) Apply(ctx context.Context, id RoomID, cmd Command) ([]Event, error) {
	return s.update(ctx, id, cmd)
}

// update runs cmd on the room's state between the tidying of the meeting
// (before: State.Tidy; after: who is gone and whether it is empty), and
// arranges the next tidy.
func (s *Service) update(ctx context.Context, id RoomID, cmd Command) ([]Event, error) {
	now, grace := s.now().UnixMilli(), s.grace.Milliseconds()
	var next int64
	evs, err := s.store.Update(ctx, id, func(st *State) ([]Event, error) {
		evs := st.Tidy(now, grace)
		more, err := cmd(st, now)
		if err != nil {
			return nil, err
		}
		st.noteGone(now)
		st.noteAdmitted(now)
		if len(st.Participants) > 0 {
			st.NoteEmpty(now)
		}
		next = st.nextDue(grace)
		return append(evs, more...), nil
	})
	if err == nil && next != 0 {
		s.schedule(id, next)
	}
	return evs, err
}

// Tick advances the room's share timer. See State.Tick.
func (s *Service) Tick(ctx context.Context, id RoomID) error {
	_, err := s.Apply(ctx, id, func(st *State, now int64) ([]Event, error) { return st.Tick(now), nil })
	return err
}

// Rooms lists every room, if the store can (see Lister); otherwise nil.
func (s *Service) Rooms(ctx context.Context) ([]RoomID, error) {
	if l, ok := s.store.(Lister); ok {
		return l.Rooms(ctx)
	}
	return nil, nil
}

// Subscribe delivers the room's later events. See Store.Subscribe.
func (s *Service) Subscribe(id RoomID, deliver func(Event)) (cancel func()) {
	return s.store.Subscribe(id, deliver)
}

// NewSecret returns a random URL-safe secret of 256 bits.
func NewSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}
