package room

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// This file holds the Service's work on rooms' definitions (the
// Directory): what operators do through the API or the CLI, and how a
// change reaches a running meeting at once.

// ErrNoDirectory: the Service was made without a Directory.
var ErrNoDirectory = errors.New("no room directory")

// RoomSpec is what an operator gives for a new room.
type RoomSpec struct {
	Name     string
	Settings Settings
	// Passcode, when not empty, is the room's passcode (only its hash is
	// kept).
	Passcode string
	Schedule *Schedule
	// Key, when set, derives the room's id from it and the link secret
	// instead of drawing a random one: creating the room again (two
	// instances making the demo room at the same moment) fails with
	// ErrExists instead of making a second room.
	Key string
}

// keyedRoomID is the id of the room made with spec.Key: a name-based
// UUID (version 5) of an HMAC of the key under the link secret, so that
// the id tells nothing of the secret and differs between servers.
func keyedRoomID(secret []byte, key string) RoomID {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("room id|" + key))
	return RoomID(uuid.NewSHA1(uuid.Nil, m.Sum(nil)))
}

// RoomChange changes some of a room's definition; nil fields stay.
type RoomChange struct {
	Name     *string
	Settings *SettingsUpdate
	// Schedule, when SetSchedule, replaces the schedule (nil removes it).
	Schedule    *Schedule
	SetSchedule bool
}

// InviteSpec describes a new invite link.
type InviteSpec struct {
	// Uses is how many people may join through it (1 to 1000).
	Uses int
	// Valid is how long it may be used (1 minute to 90 days).
	Valid time.Duration
	Label string
}

// Bounds of invites.
const (
	MaxInviteUses  = 1000
	MaxInviteValid = 90 * 24 * time.Hour
	maxInviteLabel = 100
)

// Meeting is a running meeting as operators see it: counts and times,
// never who is in it.
type Meeting struct {
	Room         RoomID
	RoomName     string
	Participants int // admitted and present
	Waiting      int // present in the waiting room
	StartedAt    time.Time
}

func (s *Service) directory() (Directory, error) {
	if s.dir == nil {
		return nil, ErrNoDirectory
	}
	return s.dir, nil
}

// CreateRoom makes a new room and keeps its definition.
func (s *Service) CreateRoom(ctx context.Context, spec RoomSpec) (*Definition, error) {
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	name, err := CleanRoomName(spec.Name)
	if err != nil {
		return nil, err
	}
	if err := spec.Schedule.Validate(); err != nil {
		return nil, err
	}
	settings := spec.Settings
	if spec.Passcode != "" {
		if settings.PasscodeHash, err = HashPasscode(spec.Passcode); err != nil {
			return nil, err
		}
	}
	secret, err := dir.LinkSecret(ctx)
	if err != nil {
		return nil, fmt.Errorf("link secret: %w", err)
	}
	id := NewRoomID()
	if spec.Key != "" {
		id = keyedRoomID(secret, spec.Key)
	}
	d := newDefinition(id, secret, name, settings, s.now())
	d.Schedule = spec.Schedule
	if err := dir.Create(ctx, d); err != nil {
		return nil, fmt.Errorf("create room: %w", err)
	}
	return d, nil
}

// Room returns a room's definition.
func (s *Service) Room(ctx context.Context, id RoomID) (*Definition, error) {
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	return dir.Get(ctx, id)
}

// ListRooms returns every room's definition, oldest first.
func (s *Service) ListRooms(ctx context.Context) ([]*Definition, error) {
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	ds, err := dir.List(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ds, func(a, b *Definition) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID.String(), b.ID.String())
	})
	return ds, nil
}

// LinkKeys returns the member and facilitator keys of the room's current
// links.
func (s *Service) LinkKeys(ctx context.Context, d *Definition) (member, facilitator string, err error) {
	dir, err := s.directory()
	if err != nil {
		return "", "", err
	}
	secret, err := dir.LinkSecret(ctx)
	if err != nil {
		return "", "", fmt.Errorf("link secret: %w", err)
	}
	member, facilitator = LinkKeys(secret, d.ID, d.Links.Generation)
	return member, facilitator, nil
}

// UpdateRoom changes a room's definition; the change reaches its running
// meeting at once (name, settings, passcode), for the meeting's part that
// changed: a facilitator's own changes of other settings in the meeting
// stay until it ends.
func (s *Service) UpdateRoom(ctx context.Context, id RoomID, c RoomChange) (*Definition, error) {
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	var name string
	if c.Name != nil {
		if name, err = CleanRoomName(*c.Name); err != nil {
			return nil, err
		}
	}
	if c.SetSchedule {
		if err := c.Schedule.Validate(); err != nil {
			return nil, err
		}
	}
	// The passcode is hashed once, outside fn (which may run again).
	var u SettingsUpdate
	var hash *string
	if c.Settings != nil {
		u = *c.Settings
		if u.Passcode != nil {
			h := ""
			if *u.Passcode != "" {
				if h, err = HashPasscode(*u.Passcode); err != nil {
					return nil, err
				}
			}
			hash, u.Passcode = &h, nil
		}
		if _, err := applySettings(DefaultSettings(), u); err != nil {
			return nil, err
		}
	}
	d, err := dir.Update(ctx, id, func(d *Definition) error {
		if c.Name != nil {
			d.Name = name
		}
		if c.SetSchedule {
			d.Schedule = c.Schedule
		}
		next, err := applySettings(d.Settings, u)
		if err != nil {
			return err
		}
		if hash != nil {
			next.PasscodeHash = *hash
		}
		d.Settings = next
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c.Name == nil && c.Settings == nil {
		return d, nil
	}
	err = s.toMeeting(ctx, id, func(st *State) []Event {
		next, _ := applySettings(st.Settings, u) // checked above
		if hash != nil {
			next.PasscodeHash = *hash
		}
		return append(st.setRoom(func() {
			if c.Name != nil {
				st.Name = name
			}
			st.Settings = next
			st.clampSegment()
		}), st.settingsChanged()...)
	})
	return d, err
}

// RotateLinks replaces the room's member and facilitator links: the old
// ones are refused at once, and people waiting who came through an old
// member link are sent away (ErrLinkRotated). People admitted stay.
func (s *Service) RotateLinks(ctx context.Context, id RoomID) (*Definition, error) {
	dir, err := s.directory()
	if err != nil {
		return nil, err
	}
	secret, err := dir.LinkSecret(ctx)
	if err != nil {
		return nil, fmt.Errorf("link secret: %w", err)
	}
	d, err := dir.Update(ctx, id, func(d *Definition) error {
		d.Links = newLinks(secret, d.ID, d.Links.Generation+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, s.toMeeting(ctx, id, func(st *State) []Event { return st.Rotate(d.Links) })
}

// CreateInvite makes a per-person invite link to the room and returns its
// token (not stored; only its hash is).
func (s *Service) CreateInvite(ctx context.Context, id RoomID, spec InviteSpec) (string, Invite, error) {
	dir, err := s.directory()
	if err != nil {
		return "", Invite{}, err
	}
	label := strings.TrimSpace(spec.Label)
	switch {
	case spec.Uses < 1 || spec.Uses > MaxInviteUses:
		return "", Invite{}, badCommand(fmt.Sprintf("an invite has 1 to %d uses", MaxInviteUses))
	case spec.Valid < time.Minute || spec.Valid > MaxInviteValid:
		return "", Invite{}, badCommand("an invite is valid for 1 minute to 90 days")
	case len(label) > maxInviteLabel || strings.IndexFunc(label, isControl) >= 0:
		return "", Invite{}, badCommand("an invite's label is at most 100 characters without control characters")
	}
	now := s.now()
	token := NewSecret()
	inv := Invite{Label: label, UsesLeft: spec.Uses, ExpiresAt: now.Add(spec.Valid).UTC().Truncate(time.Second)}
	_, err = dir.Update(ctx, id, func(d *Definition) error {
		d.pruneInvites(now)
		if len(d.Invites) >= maxInvites {
			return badCommand(fmt.Sprintf("a room has at most %d open invites", maxInvites))
		}
		if d.Invites == nil {
			d.Invites = map[string]Invite{}
		}
		d.Invites[hashSecret(token)] = inv
		return nil
	})
	if err != nil {
		return "", Invite{}, err
	}
	return token, inv, nil
}

// maxInvites bounds a room's open invites, so that a definition stays small.
const maxInvites = 1000

// DeleteRoom ends the room's meeting, if one runs, and deletes the room.
func (s *Service) DeleteRoom(ctx context.Context, id RoomID) error {
	dir, err := s.directory()
	if err != nil {
		return err
	}
	if _, err := dir.Get(ctx, id); err != nil {
		return err
	}
	if err := s.EndMeeting(ctx, id); err != nil {
		return err
	}
	if err := dir.Delete(ctx, id); err != nil {
		return err
	}
	if err := s.store.Delete(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("delete meeting: %w", err)
	}
	return nil
}

// EndMeeting ends the room's running meeting, as a facilitator's End
// meeting does; nothing happens when none runs.
func (s *Service) EndMeeting(ctx context.Context, id RoomID) error {
	return s.toMeeting(ctx, id, func(st *State) []Event {
		if len(st.Participants) == 0 {
			return nil
		}
		return st.End()
	})
}

// toMeeting applies fn to the room's running meeting, if there is one.
func (s *Service) toMeeting(ctx context.Context, id RoomID, fn func(*State) []Event) error {
	_, err := s.update(ctx, id, func(st *State, _ int64) ([]Event, error) { return fn(st), nil })
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// Meetings returns the meetings running now (someone present), if the
// store can list its rooms.
func (s *Service) Meetings(ctx context.Context) ([]Meeting, error) {
	ids, err := s.Rooms(ctx)
	if err != nil {
		return nil, err
	}
	var out []Meeting
	for _, id := range ids {
		st, err := s.store.Get(ctx, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m := Meeting{Room: id, RoomName: st.Name, Participants: st.admittedCount(), Waiting: st.waitingCount(),
			StartedAt: time.UnixMilli(st.StartedAt).UTC()}
		if m.Participants+m.Waiting > 0 {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Meeting) int { return a.StartedAt.Compare(b.StartedAt) })
	return out, nil
}

// Open makes sure the room's meeting state exists, made from its
// definition when it does not (the first person arrives); ErrNotFound if
// the room does not exist. Without a Directory it does nothing.
func (s *Service) Open(ctx context.Context, id RoomID) error {
	_, err := s.open(ctx, id)
	return err
}

func (s *Service) open(ctx context.Context, id RoomID) (*Definition, error) {
	if s.dir == nil {
		return nil, nil
	}
	d, err := s.dir.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.Create(ctx, d.meeting()); err != nil && !errors.Is(err, ErrExists) {
		return nil, fmt.Errorf("open meeting: %w", err)
	}
	return d, nil
}

// takeInvite takes one use of req's invite, if it brings one as a
// newcomer, and reports whether it did; give gives the use back.
func (s *Service) takeInvite(ctx context.Context, id RoomID, req *JoinRequest) (give func(), err error) {
	if s.dir == nil || req.Invite == "" || req.Identity != "" || req.FacilitatorKey != "" {
		return func() {}, nil
	}
	now := s.now()
	var taken Invite
	_, err = s.dir.Update(ctx, id, func(d *Definition) error {
		taken = d.Invites[hashSecret(req.Invite)]
		return d.useInvite(req.Invite, now)
	})
	if err != nil {
		return nil, err
	}
	req.invited = true
	return func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = s.dir.Update(ctx, id, func(d *Definition) error {
			d.giveBackInvite(req.Invite, taken, s.now())
			return nil
		})
	}, nil
}
