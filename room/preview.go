package room

import (
	"context"
	"errors"
	"time"
)

// LinkProof is what a link brings to show it is one of the room's: the
// member key, the facilitator key or an invite (any one suffices).
type LinkProof struct {
	MemberKey      string
	FacilitatorKey string
	Invite         string
}

// RoomName returns the room's name to someone holding one of its links
// (the pre-join page's top bar): a valid member or facilitator key of the
// current generation, or an invite that can still be used (it takes no
// use). A room that does not exist and a link that is not valid both give
// ErrBadLink, so that the answer tells nothing of which rooms exist.
// Without a Directory, the running meeting's keys are checked (no
// invites).
func (s *Service) RoomName(ctx context.Context, id RoomID, proof LinkProof) (string, error) {
	if s.dir == nil {
		st, err := s.store.Get(ctx, id)
		switch {
		case err == nil && (keyOK(proof.MemberKey, st.MemberKeyHash) || keyOK(proof.FacilitatorKey, st.FacilitatorKeyHash)):
			return st.Name, nil
		case err == nil || errors.Is(err, ErrNotFound):
			return "", ErrBadLink
		}
		return "", err
	}
	d, err := s.dir.Get(ctx, id)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", ErrBadLink
	case err != nil:
		return "", err
	case keyOK(proof.MemberKey, d.Links.MemberKeyHash) || keyOK(proof.FacilitatorKey, d.Links.FacilitatorKeyHash) ||
		d.inviteOpen(proof.Invite, s.now()):
		return d.Name, nil
	}
	return "", ErrBadLink
}

// inviteOpen reports whether token is one of the room's invites, neither
// used up nor expired at now.
func (d *Definition) inviteOpen(token string, now time.Time) bool {
	if token == "" {
		return false
	}
	inv, ok := d.Invites[hashSecret(token)]
	return ok && inv.UsesLeft > 0 && now.Before(inv.ExpiresAt)
}
