package room_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
)

// recorder collects delivered events; its deliver only appends, so it never
// blocks the store.
type recorder struct {
	mu  sync.Mutex
	evs []room.Event
}

func (r *recorder) deliver(ev room.Event) {
	r.mu.Lock()
	r.evs = append(r.evs, ev)
	r.mu.Unlock()
}

func (r *recorder) events() []room.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]room.Event(nil), r.evs...)
}

// clock is a settable clock for Service.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.UnixMilli(t0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// newService returns a Service over a memory store with a settable clock,
// and a room with settings where people come straight in.
func newService(t *testing.T) (*room.Service, room.Created, *clock) {
	t.Helper()
	clk := newClock()
	svc := room.NewService(memory.New(), clk.Now)
	c, err := svc.Create(context.Background(), "Tuesday group", room.DemoSettings())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return svc, c, clk
}

// Commands bound to their arguments, for Service.Apply.

func setSelfCmd(a room.Actor, u room.SelfUpdate) room.Command {
	return func(st *room.State, _ int64) ([]room.Event, error) { return st.SetSelf(a, u) }
}

func modCmd(a room.Actor, c room.ModCommand) room.Command {
	return func(st *room.State, now int64) ([]room.Event, error) { return st.Moderate(a, c, now) }
}

func chatCmd(a room.Actor, to room.Audience, text string) room.Command {
	return func(st *room.State, now int64) ([]room.Event, error) { return st.SendChat(a, to, text, now) }
}

func selfActor(j room.Joined) room.Actor { return room.Actor{ID: j.Self.ID, Conn: j.Self.Conn} }

func TestServiceCreate(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New(), nil)
	ids := map[room.RoomID]bool{}
	keys := map[string]bool{}
	for i := range 50 {
		name := fmt.Sprintf("group %d", i)
		settings := room.DefaultSettings()
		if i%2 == 1 {
			settings = room.DemoSettings()
			settings.Mode, settings.ShareSeconds = room.ModeModerated, 120+i
		}
		c, err := svc.Create(ctx, name, settings)
		if err != nil {
			t.Fatalf("Create %d: %v", i, err)
		}
		if c.ID == (room.RoomID{}) {
			t.Errorf("Create %d: zero room id", i)
		}
		if ids[c.ID] {
			t.Errorf("Create %d: duplicate room id %v", i, c.ID)
		}
		if keys[c.FacilitatorKey] {
			t.Errorf("Create %d: duplicate facilitator key", i)
		}
		ids[c.ID], keys[c.FacilitatorKey] = true, true
		if raw, err := base64.RawURLEncoding.DecodeString(c.FacilitatorKey); err != nil || len(raw) != 32 {
			t.Errorf("facilitator key %q: %d bytes, %v; want 32 bytes of URL-safe base64", c.FacilitatorKey, len(raw), err)
		}

		st, err := svc.Snapshot(ctx, c.ID)
		if err != nil {
			t.Fatalf("Snapshot %d: %v", i, err)
		}
		if st.ID != c.ID || st.Name != name || st.Seq != 0 || len(st.Participants) != 0 || len(st.Identities) != 0 {
			t.Errorf("new room state = %s", dump(t, st))
		}
		if st.Settings != settings || !st.ChatOpen || st.Locked || st.AutoLocked || st.Suspended {
			t.Errorf("new room info = %+v, want settings %+v, chat open, unlocked", st.Info, settings)
		}
		if st.FacilitatorKeyHash != sha256Hex(c.FacilitatorKey) {
			t.Errorf("stored key hash %q is not the hash of the returned key", st.FacilitatorKeyHash)
		}
	}
}

func TestNewSecret(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := room.NewSecret()
		if raw, err := base64.RawURLEncoding.DecodeString(s); err != nil || len(raw) != 32 {
			t.Fatalf("NewSecret() = %q: %d bytes, %v", s, len(raw), err)
		}
		if seen[s] {
			t.Fatalf("NewSecret() repeated %q", s)
		}
		seen[s] = true
	}
}

func TestServiceJoinLeaveSetSelf(t *testing.T) {
	ctx := context.Background()
	svc, c, _ := newService(t)

	fran, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	if err != nil {
		t.Fatalf("facilitator join: %v", err)
	}
	if fran.Self.Role != room.RoleFacilitator || fran.Self.Conn != 1 || !fran.Self.Present || fran.Snapshot.Seq != 1 || fran.Snapshot.Name != "Tuesday group" {
		t.Errorf("facilitator Joined = %+v", fran)
	}
	alice, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "  Alice "})
	if err != nil {
		t.Fatalf("member join: %v", err)
	}
	if alice.Self.Role != room.RoleMember || alice.Self.Status != room.StatusAdmitted || alice.Self.Name != "Alice" ||
		alice.Snapshot.Seq != 2 || len(alice.Snapshot.Present()) != 2 {
		t.Errorf("member Joined = %+v", alice)
	}
	if alice.Self.ID == fran.Self.ID || alice.Identity == fran.Identity || alice.Identity == "" {
		t.Errorf("service reused ids: %v/%v, identities %q/%q", alice.Self.ID, fran.Self.ID, alice.Identity, fran.Identity)
	}

	rejected := []struct {
		name    string
		req     room.JoinRequest
		wantErr error
	}{
		{"wrong key", room.JoinRequest{Name: "Eve", FacilitatorKey: "wrong"}, room.ErrForbidden},
		{"unknown identity", room.JoinRequest{Identity: "nope"}, room.ErrUnknownIdentity},
		{"bad name", room.JoinRequest{Name: "a\nb"}, room.ErrBadName},
	}
	for _, tt := range rejected {
		t.Run(tt.name, func(t *testing.T) {
			before, err := svc.Snapshot(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			j, err := svc.Join(ctx, c.ID, tt.req)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if j.Identity != "" || j.Snapshot != nil {
				t.Errorf("Joined = %+v, want zero", j)
			}
			after, err := svc.Snapshot(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			assertUnchanged(t, before, after)
		})
	}

	if _, err := svc.Apply(ctx, c.ID, setSelfCmd(selfActor(alice), room.SelfUpdate{Muted: ptr(true), Camera: ptr(false)})); err != nil {
		t.Fatalf("SetSelf: %v", err)
	}
	if evs, err := svc.Apply(ctx, c.ID, setSelfCmd(selfActor(alice), room.SelfUpdate{Muted: ptr(true)})); err != nil || len(evs) != 0 {
		t.Fatalf("SetSelf without change: %v, %v", describe(evs), err)
	}
	st, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Participants[alice.Self.ID]; !p.Muted || p.Camera || st.Seq != 3 {
		t.Errorf("after SetSelf: %+v, seq %d; want muted, camera off, seq 3", *p, st.Seq)
	}

	if err := svc.Leave(ctx, c.ID, selfActor(alice), true); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if err := svc.Leave(ctx, c.ID, selfActor(alice), true); err != nil {
		t.Fatalf("second Leave: %v", err)
	}
	if _, err := svc.Apply(ctx, c.ID, setSelfCmd(selfActor(alice), room.SelfUpdate{Muted: ptr(false)})); !errors.Is(err, room.ErrNotPresent) {
		t.Errorf("SetSelf after leaving: %v, want ErrNotPresent", err)
	}
	st, err = svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Participants[alice.Self.ID]; p.Present || st.Seq != 4 {
		t.Errorf("after Leave: %+v, seq %d; want not present, seq 4", *p, st.Seq)
	}

	// Alice comes back as herself.
	back, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Someone else", Identity: alice.Identity})
	if err != nil {
		t.Fatalf("comeback: %v", err)
	}
	if back.Self.ID != alice.Self.ID || back.Self.Name != "Alice" || back.Self.Conn != 2 || !back.Self.Muted || back.Identity != alice.Identity || back.Snapshot.Seq != 5 {
		t.Errorf("comeback Joined = %+v", back)
	}
	// The old connection's Leave is ignored.
	if err := svc.Leave(ctx, c.ID, selfActor(alice), false); err != nil {
		t.Fatal(err)
	}
	st, err = svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Participants[alice.Self.ID].Present || st.Seq != 5 {
		t.Errorf("stale Leave applied: %s", dump(t, st))
	}

	// The snapshot is a copy.
	st.Participants[alice.Self.ID].Name = "changed"
	back.Snapshot.Participants[alice.Self.ID].Name = "changed too"
	st2, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st2.Participants[alice.Self.ID].Name != "Alice" {
		t.Error("changing a snapshot changed the room")
	}
}

func TestServiceWaitingRoomByDefault(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New(), nil)
	c, err := svc.Create(ctx, "Tuesday group", room.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	fran, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	if alice.Self.Status != room.StatusWaiting || !alice.Self.Muted || alice.Self.MutedBy != room.MutedBySelf {
		t.Errorf("member in a default room = %+v, want waiting and muted", alice.Self)
	}
	if _, err := svc.Apply(ctx, c.ID, modCmd(selfActor(fran), room.ModCommand{Action: room.ActAdmit, Target: alice.Self.ID})); err != nil {
		t.Fatalf("admit: %v", err)
	}
	st, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Participants[alice.Self.ID].Status != room.StatusAdmitted {
		t.Errorf("after admit: %+v", st.Participants[alice.Self.ID])
	}
	// A member's moderate command is refused and changes nothing.
	if _, err := svc.Apply(ctx, c.ID, modCmd(selfActor(alice), room.ModCommand{Action: room.ActLock})); !errors.Is(err, room.ErrNotAllowed) {
		t.Errorf("member lock: %v, want ErrNotAllowed", err)
	}
	st2, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, st, st2)
}

func TestServiceClock(t *testing.T) {
	ctx := context.Background()
	svc, c, clk := newService(t)
	var rec recorder
	defer svc.Subscribe(c.ID, rec.deliver)()
	fran, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}

	// Commands get the service's clock.
	evs, err := svc.Apply(ctx, c.ID, chatCmd(selfActor(bob), room.ChatToRoom, "hi"))
	if err != nil || len(evs) != 1 || evs[0].Chat.At != t0 {
		t.Fatalf("chat = %+v, %v; want one message at %d", evs, err, t0)
	}
	if _, err := svc.Apply(ctx, c.ID, modCmd(selfActor(fran), room.ModCommand{Action: room.ActLetSpeak, Target: bob.Self.ID})); err != nil {
		t.Fatal(err)
	}
	evs, err = svc.Apply(ctx, c.ID, modCmd(selfActor(fran), room.ModCommand{Action: room.ActStartTimer, Seconds: 60, AutoMute: ptr(true)}))
	if err != nil || len(evs) != 1 || evs[0].Info.Timer == nil || evs[0].Info.Timer.EndsAt != t0+60_000 {
		t.Fatalf("start_timer = %+v, %v; want a timer ending at %d", evs, err, t0+60_000)
	}
	from := len(rec.events())

	// Ticks before the warning do nothing; the warning comes once; the end
	// mutes Bob and takes the floor back.
	steps := []struct {
		advance time.Duration
		want    []string
	}{
		{10 * time.Second, nil},
		{20 * time.Second, []string{"timer_warning:Bob"}},
		{0, nil},
		{10 * time.Second, nil},
		{20 * time.Second, []string{"timer_ended:Bob", "updated:Bob", "room"}},
		{time.Minute, nil},
	}
	for i, step := range steps {
		clk.advance(step.advance)
		if err := svc.Tick(ctx, c.ID); err != nil {
			t.Fatalf("tick %d: %v", i, err)
		}
		got := rec.events()[from:]
		from += len(got)
		if d := describe(got); fmt.Sprint(d) != fmt.Sprint(append([]string{}, step.want...)) {
			t.Errorf("tick %d (+%v): delivered %v, want %v", i, step.advance, d, step.want)
		}
		if i == 1 && (len(got) != 1 || got[0].SecondsLeft != 30) {
			t.Errorf("warning = %+v, want 30 seconds left", got)
		}
	}
	st, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Participants[bob.Self.ID]; st.Timer != nil || st.Speaker != (room.ParticipantID{}) || !p.Muted || p.MutedBy != room.MutedByFacilitator {
		t.Errorf("after the timer: timer %+v speaker %v Bob %+v", st.Timer, st.Speaker, *p)
	}
	for i, ev := range rec.events() {
		if ev.Seq != uint64(i+1) {
			t.Errorf("delivered event %d has seq %d", i, ev.Seq)
		}
	}
}

func TestServiceDefaultClock(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New(), nil)
	c, err := svc.Create(ctx, "Tuesday group", room.DemoSettings())
	if err != nil {
		t.Fatal(err)
	}
	bob, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().UnixMilli()
	evs, err := svc.Apply(ctx, c.ID, chatCmd(selfActor(bob), "", "hi"))
	end := time.Now().UnixMilli()
	if err != nil || len(evs) != 1 || evs[0].Chat.At < start || evs[0].Chat.At > end || evs[0].Chat.To != room.ChatToRoom {
		t.Errorf("chat with the default clock = %+v, %v; want at in [%d, %d]", evs, err, start, end)
	}
}

func TestServiceUnknownRoom(t *testing.T) {
	ctx := context.Background()
	svc, c, _ := newService(t)
	j, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Alice"})
	if err != nil {
		t.Fatal(err)
	}
	unknown := room.NewRoomID()
	tests := []struct {
		name string
		call func() error
	}{
		{"Join", func() error { _, err := svc.Join(ctx, unknown, room.JoinRequest{Name: "Alice"}); return err }},
		{"Join with key", func() error {
			_, err := svc.Join(ctx, unknown, room.JoinRequest{Name: "Alice", FacilitatorKey: c.FacilitatorKey})
			return err
		}},
		{"Join with another room's identity", func() error {
			_, err := svc.Join(ctx, unknown, room.JoinRequest{Identity: j.Identity})
			return err
		}},
		{"Join to the zero id", func() error { _, err := svc.Join(ctx, room.RoomID{}, room.JoinRequest{Name: "Alice"}); return err }},
		{"Leave", func() error { return svc.Leave(ctx, unknown, selfActor(j), true) }},
		{"Apply SetSelf", func() error {
			_, err := svc.Apply(ctx, unknown, setSelfCmd(selfActor(j), room.SelfUpdate{Muted: ptr(true)}))
			return err
		}},
		{"Apply moderate", func() error {
			_, err := svc.Apply(ctx, unknown, modCmd(selfActor(j), room.ModCommand{Action: room.ActLock}))
			return err
		}},
		{"Tick", func() error { return svc.Tick(ctx, unknown) }},
		{"Snapshot", func() error { _, err := svc.Snapshot(ctx, unknown); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, room.ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
		})
	}
	t.Run("Subscribe", func(t *testing.T) {
		cancel := svc.Subscribe(unknown, func(room.Event) { t.Error("delivered an event of an unknown room") })
		if cancel == nil {
			t.Fatal("Subscribe returned a nil cancel")
		}
		cancel()
	})
}

func TestServiceApplyRefusedPublishesNothing(t *testing.T) {
	ctx := context.Background()
	svc, c, _ := newService(t)
	fran, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Fran", FacilitatorKey: c.FacilitatorKey})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Bob"})
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder
	defer svc.Subscribe(c.ID, rec.deliver)()
	before, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	refused := []struct {
		name    string
		cmd     room.Command
		wantErr error
	}{
		{"member moderates", modCmd(selfActor(bob), room.ModCommand{Action: room.ActMuteAll}), room.ErrNotAllowed},
		{"bad timer", modCmd(selfActor(fran), room.ModCommand{Action: room.ActStartTimer, Seconds: 5}), room.ErrBadCommand},
		{"empty chat", chatCmd(selfActor(bob), room.ChatToRoom, "  "), room.ErrBadCommand},
		{"stale connection", setSelfCmd(room.Actor{ID: bob.Self.ID, Conn: 9}, room.SelfUpdate{Muted: ptr(true)}), room.ErrNotPresent},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			evs, err := svc.Apply(ctx, c.ID, tt.cmd)
			if !errors.Is(err, tt.wantErr) || evs != nil {
				t.Errorf("Apply = %v, %v; want no events, %v", describe(evs), err, tt.wantErr)
			}
		})
	}
	after, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	assertUnchanged(t, before, after)
	if d := rec.events(); len(d) != 0 {
		t.Errorf("refused commands published %v", describe(d))
	}
}

func TestServiceSubscribeOrderUnderConcurrency(t *testing.T) {
	const (
		workers = 20
		toggles = 50
	)
	ctx := context.Background()
	svc, c, _ := newService(t)
	actors := make([]room.Actor, workers)
	for i := range actors {
		j, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: fmt.Sprintf("P%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		actors[i] = selfActor(j)
	}
	st, err := svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	start := st.Seq

	var rec, rec2, early recorder
	cancel := svc.Subscribe(c.ID, rec.deliver)
	defer cancel()
	cancel2 := svc.Subscribe(c.ID, rec2.deliver)
	defer cancel2()
	cancelEarly := svc.Subscribe(c.ID, early.deliver)

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w, a := range actors {
		wg.Go(func() {
			for i := range toggles {
				muted := i%2 == 0
				u := room.SelfUpdate{Muted: ptr(muted)}
				if w%2 == 1 {
					u = room.SelfUpdate{Camera: ptr(!muted)}
				}
				if _, err := svc.Apply(ctx, c.ID, setSelfCmd(a, u)); err != nil {
					errs <- fmt.Errorf("worker %d toggle %d: %w", w, i, err)
					return
				}
			}
		})
	}
	// Cancel one subscriber while updates run: it must stop cleanly.
	cancelEarly()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	evs := rec.events()
	if len(evs) != workers*toggles {
		t.Fatalf("received %d events, want %d", len(evs), workers*toggles)
	}
	perParticipant := map[room.ParticipantID]int{}
	for i, ev := range evs {
		if want := start + uint64(i) + 1; ev.Seq != want {
			t.Fatalf("event %d has seq %d, want %d (out of order or gap)", i, ev.Seq, want)
		}
		if ev.Kind != room.EventUpdated || ev.Room != c.ID {
			t.Errorf("event %d = %+v, want an update of room %v", i, ev, c.ID)
		}
		// Each participant's events show their toggles in order.
		n := perParticipant[ev.Participant.ID]
		perParticipant[ev.Participant.ID] = n + 1
		wantMuted := n%2 == 0
		if got := ev.Participant.Muted || !ev.Participant.Camera; got != wantMuted {
			t.Errorf("event %d: participant %v toggle %d has muted %v camera %v", i, ev.Participant.ID, n, ev.Participant.Muted, ev.Participant.Camera)
		}
	}
	for _, a := range actors {
		if perParticipant[a.ID] != toggles {
			t.Errorf("participant %v: %d events, want %d", a.ID, perParticipant[a.ID], toggles)
		}
	}
	evs2 := rec2.events()
	if len(evs2) != len(evs) {
		t.Fatalf("second subscriber got %d events, first %d", len(evs2), len(evs))
	}
	for i := range evs {
		if !reflect.DeepEqual(evs[i], evs2[i]) {
			t.Fatalf("subscribers differ at %d: %+v vs %+v", i, evs[i], evs2[i])
		}
	}
	earlyEvs := early.events()
	for i, ev := range earlyEvs {
		if !reflect.DeepEqual(ev, evs[i]) {
			t.Fatalf("cancelled subscriber's event %d = %+v, want a prefix of the stream (%+v)", i, ev, evs[i])
		}
	}
	st, err = svc.Snapshot(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Seq != start+workers*toggles {
		t.Errorf("final seq = %d, want %d", st.Seq, start+workers*toggles)
	}

	// Cancel stops delivery to that subscriber only.
	cancel()
	cancel() // a second cancel is harmless
	if _, err := svc.Apply(ctx, c.ID, setSelfCmd(actors[0], room.SelfUpdate{Muted: ptr(true)})); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Late"}); err != nil {
		t.Fatal(err)
	}
	if got := len(rec.events()); got != workers*toggles {
		t.Errorf("cancelled subscriber received %d more events", got-workers*toggles)
	}
	if got := len(early.events()); got != len(earlyEvs) {
		t.Errorf("early-cancelled subscriber received %d more events", got-len(earlyEvs))
	}
	if got := rec2.events(); len(got) != workers*toggles+2 || got[len(got)-1].Kind != room.EventJoined {
		t.Errorf("remaining subscriber got %d events, want %d ending with a join", len(got), workers*toggles+2)
	}
}

func TestServiceSubscribeOnlyOwnRoom(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New(), nil)
	a, err := svc.Create(ctx, "A", room.DefaultSettings())
	if err != nil {
		t.Fatal(err)
	}
	b, err := svc.Create(ctx, "B", room.DemoSettings())
	if err != nil {
		t.Fatal(err)
	}
	var recA, recB recorder
	defer svc.Subscribe(a.ID, recA.deliver)()
	defer svc.Subscribe(b.ID, recB.deliver)()

	if _, err := svc.Join(ctx, a.ID, room.JoinRequest{Name: "Alice"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Join(ctx, a.ID, room.JoinRequest{Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Join(ctx, b.ID, room.JoinRequest{Name: "Bob"}); err != nil {
		t.Fatal(err)
	}
	evA, evB := recA.events(), recB.events()
	if len(evA) != 2 || len(evB) != 1 {
		t.Fatalf("room A got %d events, room B %d; want 2 and 1", len(evA), len(evB))
	}
	for i, ev := range evA {
		if ev.Room != a.ID || ev.Seq != uint64(i+1) {
			t.Errorf("room A event %d = %+v", i, ev)
		}
	}
	if evB[0].Room != b.ID || evB[0].Seq != 1 || evB[0].Participant.Name != "Bob" {
		t.Errorf("room B event = %+v", evB[0])
	}
}

// notLister hides every method but the Store's.
type notLister struct{ room.Store }

func TestServiceRooms(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New(), nil)
	if ids, err := svc.Rooms(ctx); err != nil || len(ids) != 0 {
		t.Errorf("Rooms of an empty store = %v, %v", ids, err)
	}
	want := map[room.RoomID]bool{}
	for i := range 3 {
		c, err := svc.Create(ctx, fmt.Sprintf("group %d", i), room.DefaultSettings())
		if err != nil {
			t.Fatal(err)
		}
		want[c.ID] = true
	}
	ids, err := svc.Rooms(ctx)
	if err != nil || len(ids) != len(want) {
		t.Fatalf("Rooms = %v, %v; want %d rooms", ids, err, len(want))
	}
	for _, id := range ids {
		if !want[id] {
			t.Errorf("Rooms lists %v, which was not created", id)
		}
	}
	// A store that cannot list: no rooms, no error.
	svc = room.NewService(notLister{memory.New()}, nil)
	if _, err := svc.Create(ctx, "group", room.DefaultSettings()); err != nil {
		t.Fatal(err)
	}
	if ids, err := svc.Rooms(ctx); ids != nil || err != nil {
		t.Errorf("Rooms without a Lister = %v, %v; want nil, nil", ids, err)
	}
}

// failingStore refuses to create rooms.
type failingStore struct{ room.Store }

var errStoreDown = errors.New("store down")

func (failingStore) Create(context.Context, *room.State) error { return errStoreDown }

func TestServiceCreateFails(t *testing.T) {
	svc := room.NewService(failingStore{memory.New()}, nil)
	c, err := svc.Create(context.Background(), "group", room.DefaultSettings())
	if !errors.Is(err, errStoreDown) || c != (room.Created{}) {
		t.Errorf("Create = %+v, %v; want zero, the store's error", c, err)
	}
}

// A meeting nobody has been in for the grace (room.ResumeGrace) is over:
// the next join finds no chat, hands or participants of it. Before that,
// people coming back find it as it was. (Issue 9 shortened the 10-minute
// idle timeout to the resume grace: Ada now comes back after one minute.)
func TestIdleMeetingCloses(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1_800_000_000, 0)
	svc := room.NewService(memory.New(), func() time.Time { return now })
	c, err := svc.Create(ctx, "Weekly group", room.DemoSettings())
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	actor := room.Actor{ID: a.Self.ID, Conn: a.Self.Conn}
	if _, err := svc.Apply(ctx, c.ID, func(st *room.State, at int64) ([]room.Event, error) {
		return st.SendChat(actor, room.ChatToRoom, "last week's words", at)
	}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Leave(ctx, c.ID, actor, false); err != nil {
		t.Fatal(err)
	}
	// A minute later Ada's connection comes back: same meeting.
	now = now.Add(time.Minute)
	back, err := svc.Join(ctx, c.ID, room.JoinRequest{Identity: a.Identity})
	if err != nil {
		t.Fatalf("coming back within the timeout: %v", err)
	}
	if len(back.Snapshot.Chat) != 1 {
		t.Errorf("chat after a short absence: %d messages, want 1", len(back.Snapshot.Chat))
	}
	if err := svc.Leave(ctx, c.ID, room.Actor{ID: back.Self.ID, Conn: back.Self.Conn}, true); err != nil {
		t.Fatal(err)
	}
	// A week later, the next meeting starts clean.
	now = now.Add(7 * 24 * time.Hour)
	if _, err := svc.Join(ctx, c.ID, room.JoinRequest{Identity: a.Identity}); !errors.Is(err, room.ErrUnknownIdentity) {
		t.Errorf("last week's identity: %v, want ErrUnknownIdentity", err)
	}
	b, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Bea"})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(b.Snapshot.Chat); n != 0 {
		t.Errorf("next week's meeting shows %d old chat messages", n)
	}
	if n := len(b.Snapshot.Participants); n != 1 {
		t.Errorf("next week's meeting has %d participants, want 1", n)
	}
}

// A full meeting refuses new members, but never a facilitator.
func TestFullMeeting(t *testing.T) {
	ctx := context.Background()
	svc := room.NewService(memory.New(), nil)
	s := room.DemoSettings()
	s.MaxParticipants = 2
	c, err := svc.Create(ctx, "Small group", s)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Ada", "Bea"} {
		if _, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: name}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Cal"}); !errors.Is(err, room.ErrFull) {
		t.Errorf("third member: %v, want ErrFull", err)
	}
	if _, err := svc.Join(ctx, c.ID, room.JoinRequest{Name: "Fay", FacilitatorKey: c.FacilitatorKey}); err != nil {
		t.Errorf("facilitator into a full meeting: %v", err)
	}
}
