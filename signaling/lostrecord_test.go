package signaling_test

import (
	"context"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling/protocol"
	"github.com/hearth-meet/hearth/signaling/signalingtest"
)

// A member whose record in the meeting's state is gone without a removal
// (as when Redis loses the meeting's data) is not told that a facilitator
// removed them: the session says bye "shutdown", so the client reconnects
// and joins again.
func TestLostRecordMeansReconnect(t *testing.T) {
	store := memory.New()
	srv := &testServer{Server: signalingtest.StartWith(t, room.NewServiceWith(room.ServiceParams{Store: store, Directory: memory.NewDirectory()}))}
	srv.url = srv.WSURL
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	member := dial(t, ctx, srv)
	w, err := member.Join(ctx, srv.join("Sam"))
	if err != nil {
		t.Fatal(err)
	}
	id, err := room.ParseParticipantID(w.Self.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The state loses the member, and every session is told to look again.
	if _, err := store.Update(ctx, srv.Room.ID, func(st *room.State) ([]room.Event, error) {
		delete(st.Participants, id)
		return []room.Event{{Room: st.ID, Kind: room.EventResync}}, nil
	}); err != nil {
		t.Fatal(err)
	}
	var bye protocol.Bye
	if err := nextOfType(t, ctx, member, protocol.TypeBye).Decode(&bye); err != nil {
		t.Fatal(err)
	}
	if bye.Reason != protocol.ByeShutdown {
		t.Fatalf("bye reason %q, want shutdown (reconnect), not a removal", bye.Reason)
	}
	// What the client does after shutdown: join again with its identity;
	// the meeting does not know it any more (unknown_identity, as
	// docs/protocol.md says), so it joins without, and is in.
	again := dial(t, ctx, srv)
	j := srv.join("Sam")
	j.Identity = w.Identity
	_, err = again.Join(ctx, j)
	var perr *protocol.Error
	if !asProtocolError(err, &perr) || perr.Code != "unknown_identity" {
		t.Fatalf("joining again with the lost identity: %v, want unknown_identity", err)
	}
	if _, err := again.Join(ctx, srv.join("Sam")); err != nil {
		t.Fatalf("joining again without it: %v", err)
	}
}
