package room_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
)

// The room's name goes only to someone holding one of its links: the
// member or facilitator key of the current generation, or an invite that
// can still be used (asking takes no use). Anything else, and a room
// that does not exist, gets the same ErrBadLink.
func TestRoomNameNeedsALink(t *testing.T) {
	w := newRoomsWorld(t)
	ctx := context.Background()
	inv, _, err := w.svc.CreateInvite(ctx, w.def.ID, room.InviteSpec{Uses: 1, Valid: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	oldMember := w.member
	for _, c := range []struct {
		name  string
		id    room.RoomID
		proof room.LinkProof
		ok    bool
	}{
		{"member key", w.def.ID, room.LinkProof{MemberKey: w.member}, true},
		{"facilitator key", w.def.ID, room.LinkProof{FacilitatorKey: w.fac}, true},
		{"invite", w.def.ID, room.LinkProof{Invite: inv}, true},
		{"the invite again (asking took no use)", w.def.ID, room.LinkProof{Invite: inv}, true},
		{"nothing", w.def.ID, room.LinkProof{}, false},
		{"a wrong key", w.def.ID, room.LinkProof{MemberKey: w.member + "x"}, false},
		{"the member key as facilitator key", w.def.ID, room.LinkProof{FacilitatorKey: w.member}, false},
		{"a made-up invite", w.def.ID, room.LinkProof{Invite: "not-an-invite"}, false},
		{"a room that does not exist", room.NewRoomID(), room.LinkProof{MemberKey: w.member}, false},
	} {
		name, err := w.svc.RoomName(ctx, c.id, c.proof)
		switch {
		case c.ok && (err != nil || name != "Tuesday group"):
			t.Errorf("%s: %q, %v; want the room's name", c.name, name, err)
		case !c.ok && (!errors.Is(err, room.ErrBadLink) || name != ""):
			t.Errorf("%s: %q, %v; want ErrBadLink and no name", c.name, name, err)
		}
	}
	// The invite still lets one person in, then is used up.
	if _, err := w.join(t, room.JoinRequest{Name: "Ina", Invite: inv}); err != nil {
		t.Fatalf("join with the invite after asking the name: %v", err)
	}
	if _, err := w.svc.RoomName(ctx, w.def.ID, room.LinkProof{Invite: inv}); !errors.Is(err, room.ErrBadLink) {
		t.Errorf("a used-up invite: %v, want ErrBadLink", err)
	}
	// Rotated links: the old member key says nothing any more.
	if _, err := w.svc.RotateLinks(ctx, w.def.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.RoomName(ctx, w.def.ID, room.LinkProof{MemberKey: oldMember}); !errors.Is(err, room.ErrBadLink) {
		t.Errorf("an old member key after rotation: %v, want ErrBadLink", err)
	}
}
