package signaling

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"sync"
	"testing"
	"unicode/utf8"

	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/room/memory"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// FuzzSessionFrame (issue 9, "Fuzz targets": the wire decoder) hands one
// fuzzed client frame to a session's handler (session.handle, what the
// owner loop does with each frame the reader passes on), with the session
// in one of several states: not joined yet (in an open room or one with a
// waiting room), joined as a member, as a facilitator, or waiting. The
// room is a real one in the in-memory store, with another member and
// someone waiting; media is a real SFU. Whatever the frame:
//   - the handler does not panic, and ends the session only for leave;
//   - every message it queues is a JSON object in valid UTF-8 of a type
//     the server sends; every error has a code from docs/protocol.md, a
//     message, and echoes the frame's id;
//   - malformed input gets exactly the error the protocol names for it:
//     bad_json for anything but a JSON object in a text frame,
//     unknown_type, not_joined, already_joined, and bad_request for fields
//     of the wrong type;
//   - the room's state changes only with an event (its sequence number
//     moves on), so no change goes unannounced;
//   - the session goes on: a join sent next is answered (welcome if the
//     session had not joined, already_joined if it had).
//
// Run it longer with:
//
//	go test -run '^$' -fuzz '^FuzzSessionFrame$' -fuzztime 5m ./signaling/
func FuzzSessionFrame(f *testing.F) {
	for _, s := range fuzzFrameSeeds {
		// A join matters before joining, and once as the second join; the
		// rest matters after joining, and once before.
		modes := []uint8{modeFresh, modeMember, modeFacil, modeWaitingP}
		if bytes.Contains([]byte(s), []byte(`"join"`)) || bytes.Contains([]byte(s), []byte(`"relay"`)) {
			modes = []uint8{modeFresh, modeFreshWR, modeFacil}
		}
		for _, mode := range modes {
			f.Add(mode, false, []byte(s))
		}
	}
	f.Add(uint8(0), true, []byte(`{"type":"join"}`))
	f.Add(uint8(2), true, []byte{0, 1, 2})

	fx := newFrameFixture(f)
	f.Fuzz(func(t *testing.T, mode uint8, binary bool, data []byte) {
		if len(data) > protocol.MaxMessageSize {
			t.Skip("the reader refuses frames over the size limit (close 1009)")
		}
		fx.run(t, mode%fuzzModes, binary, data)
	})
}

// The fixture's room, people and key; seeds refer to them.
const (
	fuzzRoom     = "5e1d0000-0000-4000-8000-000000000001"
	fuzzOther    = "00000000-0000-4000-8000-00000000000b" // a present member
	fuzzWaiting  = "00000000-0000-4000-8000-00000000000c" // someone waiting
	fuzzKey      = "fuzz-facilitator-key"
	fuzzModes    = 5
	modeFresh    = 0 // not joined; open room
	modeFreshWR  = 1 // not joined; room with a waiting room
	modeMember   = 2 // joined as an admitted member
	modeFacil    = 3 // joined as the facilitator
	modeWaitingP = 4 // joined, in the waiting room
)

var fuzzFrameSeeds = []string{
	`{"type":"join","v":1,"room":"` + fuzzRoom + `","name":"Sam","id":1}`,
	`{"type":"join","v":1,"room":"` + fuzzRoom + `","name":"Fay","facilitatorKey":"` + fuzzKey + `"}`,
	`{"type":"join","v":1,"room":"` + fuzzRoom + `","name":"Sam","identity":"tok-other","id":"x"}`,
	`{"type":"join","v":"one"}`,
	`{"type":"join","v":1,"room":"5E1D0000-0000-4000-8000-000000000001","name":"Sam"}`,
	`{"type":"relay","v":1,"room":"` + fuzzRoom + `","secret":"guess","instance":"i2"}`,
	`{"type":"offer","pc":"pub","sdp":"v=0\r\n","id":2}`,
	`{"type":"offer","pc":"pub","sdp":""}`,
	`{"type":"answer","pc":"sub","sdp":"v=0"}`,
	`{"type":"candidate","pc":"pub","candidate":{"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`,
	`{"type":"candidate","pc":"sub","candidate":{"candidate":""}}`,
	`{"type":"candidate","candidate":null}`,
	`{"type":"set_self","muted":true,"camera":false}`,
	`{"type":"set_self","muted":"yes"}`,
	`{"type":"set_self"}`,
	`{"type":"raise_hand","id":[1,{"a":null}]}`,
	`{"type":"lower_hand"}`,
	`{"type":"rename","name":"Sam\u202e"}`,
	`{"type":"rename","name":5}`,
	`{"type":"chat","text":"hello","to":"room"}`,
	`{"type":"chat","text":"psst","to":"` + fuzzOther + `"}`,
	`{"type":"chat","text":"hi","to":"facilitators"}`,
	`{"type":"moderate","action":"mute","target":"` + fuzzOther + `"}`,
	`{"type":"moderate","action":"remove","target":"` + fuzzOther + `","id":"r"}`,
	`{"type":"moderate","action":"admit","target":"` + fuzzWaiting + `"}`,
	`{"type":"moderate","action":"deny","target":"` + fuzzWaiting + `"}`,
	`{"type":"moderate","action":"promote","target":"` + fuzzOther + `"}`,
	`{"type":"moderate","action":"rename","target":"` + fuzzOther + `","name":"X"}`,
	`{"type":"moderate","action":"start_timer","seconds":5}`,
	`{"type":"moderate","action":"settings","settings":{"mode":"moderated","maxParticipants":1}}`,
	`{"type":"moderate","action":"end_meeting"}`,
	`{"type":"moderate","action":"mute","target":"not-an-id"}`,
	`{"type":"leave"}`,
	`{"type":"dance","id":7}`,
	`{"type":7}`,
	`{"sdp":"x"}`,
	`[1,2,3]`,
	`{"type": "join", `,
	` {"type":"lower_hand"} `,
	"{\"type\":\"dance\",\"id\":\"\xff\"}",
	"{\"type\":\"join\",\"v\":1,\"room\":\"" + fuzzRoom + "\",\"name\":\"\xffSam\"}",
	``,
}

// frameFixture is what every input of a process shares: the server, its
// store, and a peer given to joined sessions (creating pion peers is slow;
// a session that joins from the fuzzed frame itself makes its own).
type frameFixture struct {
	srv    *Server
	store  *memory.Store
	peer   *media.Peer
	roomID room.RoomID
	// codes are the error codes docs/protocol.md lists.
	codes map[string]bool
}

var (
	frameOnce sync.Once
	frameFx   *frameFixture
)

func newFrameFixture(t testing.TB) *frameFixture {
	t.Helper()
	frameOnce.Do(func() {
		doc, err := os.ReadFile("../docs/protocol.md")
		if err != nil {
			t.Fatal(err)
		}
		codes := map[string]bool{}
		for _, m := range regexp.MustCompile("(?m)^\\| `([a-z_]+)` +\\|").FindAllStringSubmatch(string(doc), -1) {
			codes[m[1]] = true
		}
		sfu, err := media.New(media.Config{LoopbackOnly: true}, zap.NewNop())
		if err != nil {
			t.Fatal(err)
		}
		peer, err := sfu.NewPeer(media.PeerParams{ID: "fuzz", Log: zap.NewNop()})
		if err != nil {
			t.Fatal(err)
		}
		store := memory.New()
		srv := NewServer(Params{Rooms: room.NewService(store, nil), SFU: sfu, Log: zap.NewNop(),
			Limits: Limits{MessagesPerSecond: 1e9, Burst: 1 << 30}})
		id, _ := room.ParseRoomID(fuzzRoom)
		frameFx = &frameFixture{srv: srv, store: store, peer: peer, roomID: id, codes: codes}
	})
	if frameFx == nil {
		t.Fatal("fixture failed in another test")
	}
	return frameFx
}

// newRoom stores a fresh copy of the fuzzed room: another member present,
// someone waiting, a waiting room if asked.
func (fx *frameFixture) newRoom(t *testing.T, waitingRoom bool) {
	t.Helper()
	st := room.NewState(fx.roomID, "Fuzz room", fuzzKey)
	st.Settings = room.DemoSettings()
	other, _ := room.ParseParticipantID(fuzzOther)
	waiting, _ := room.ParseParticipantID(fuzzWaiting)
	if _, _, err := st.Join(room.JoinRequest{Name: "Other"}, other, "tok-other"); err != nil {
		t.Fatal(err)
	}
	st.Settings.WaitingRoom = true
	if _, _, err := st.Join(room.JoinRequest{Name: "Wes"}, waiting, "tok-waiting"); err != nil {
		t.Fatal(err)
	}
	st.Settings.WaitingRoom = waitingRoom
	if err := fx.store.Create(context.Background(), st); err != nil {
		t.Fatal(err)
	}
}

// sent is what a session queued for its client, decoded.
type sent struct {
	Type, Code, Message string
	Re                  json.RawMessage
	raw                 []byte
	close               bool
}

// drain takes everything the session queued so far.
func drain(t *testing.T, s *session) []sent {
	t.Helper()
	var out []sent
	for {
		select {
		case o := <-s.link.out:
			if o.close {
				out = append(out, sent{close: true})
				continue
			}
			var m sent
			if err := json.Unmarshal(o.data, &m); err != nil {
				t.Fatalf("the server queued %q: not a JSON object (%v)", o.data, err)
			}
			m.raw = o.data
			out = append(out, m)
		default:
			return out
		}
	}
}

func (fx *frameFixture) run(t *testing.T, mode uint8, binary bool, data []byte) {
	fx.newRoom(t, mode == modeFreshWR || mode == modeWaitingP)
	defer func() { _ = fx.store.Delete(context.Background(), fx.roomID) }()
	s := newSession(fx.srv, nil)
	defer func() {
		if s.peer == fx.peer {
			s.peer = nil // shared: not this session's to close
		}
		s.cleanup()
	}()
	if mode >= modeMember {
		join := protocol.Join{Type: protocol.TypeJoin, V: protocol.Version, Room: fuzzRoom, Name: "Sam"}
		if mode == modeFacil {
			join.FacilitatorKey = fuzzKey
		}
		if mode != modeWaitingP {
			s.peer = fx.peer
		}
		msg, _ := json.Marshal(join)
		s.handle(frame{data: msg})
		if out := drain(t, s); len(out) != 1 || out[0].Type != protocol.TypeWelcome {
			t.Fatalf("setting up mode %d: %s", mode, describeSent(out))
		}
	}
	joined := s.joined
	before, err := fx.store.Get(context.Background(), fx.roomID)
	if err != nil {
		t.Fatal(err)
	}

	end := s.handle(frame{data: data, binary: binary})
	out := drain(t, s)

	typ, id, want := fx.expect(joined, binary, data)
	fx.checkSent(t, out, id, end)
	if want != "" && (len(out) != 1 || out[0].Code != want) {
		t.Fatalf("frame %q (binary %v, joined %v): got %s, want one error %q", data, binary, joined, describeSent(out), want)
	}
	if wantEnd := typ == protocol.TypeLeave && joined; end != wantEnd {
		t.Fatalf("frame %q: the session ends: %v, want %v", data, end, wantEnd)
	}
	after, err := fx.store.Get(context.Background(), fx.roomID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Seq == before.Seq && !reflect.DeepEqual(before, after) {
		t.Fatalf("frame %q changed the room's state without an event", data)
	}
	if end {
		return
	}

	// The session goes on.
	if s.peer == nil {
		s.peer = fx.peer // the probe's join needs no peer of its own
	}
	s.handle(frame{data: []byte(`{"type":"join","v":1,"room":"` + fuzzRoom + `","name":"Probe","id":"probe"}`)})
	probe := drain(t, s)
	switch {
	case s.joined && len(probe) == 1 && probe[0].Code == protocol.CodeAlreadyJoined && string(probe[0].Re) == `"probe"`:
	case !joined && !s.joined:
		t.Fatalf("after frame %q, a join is refused: %s", data, describeSent(probe))
	case !joined && len(probe) == 1 && probe[0].Type == protocol.TypeWelcome:
	default:
		t.Fatalf("after frame %q (joined %v), a join gets %s", data, joined, describeSent(probe))
	}
}

// expect says what the protocol makes of a frame before any handler looks
// at its fields: the message's type and id, and the one error it must get
// ("" when that depends on the message).
func (fx *frameFixture) expect(joined, binary bool, data []byte) (typ string, id json.RawMessage, code string) {
	// The server tolerates any Unicode space around the object (bytes.TrimSpace).
	trimmed := bytes.TrimSpace(data)
	var env struct {
		Type *string         `json:"type"`
		ID   json.RawMessage `json:"id"`
	}
	if binary || len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &env) != nil {
		return "", nil, protocol.CodeBadJSON
	}
	if env.Type != nil {
		typ = *env.Type
	}
	msg, known := map[string]any{
		protocol.TypeJoin: &protocol.Join{}, protocol.TypeRelay: &protocol.Relay{},
		protocol.TypeOffer: &protocol.SDP{}, protocol.TypeAnswer: &protocol.SDP{},
		protocol.TypeCandidate: &protocol.Candidate{}, protocol.TypeSetSelf: &protocol.SetSelf{},
		protocol.TypeRename: &protocol.Rename{}, protocol.TypeChat: &protocol.Chat{},
		protocol.TypeModerate: &protocol.Moderate{}, protocol.TypeLeave: nil,
		protocol.TypeRaiseHand: nil, protocol.TypeLowerHand: nil,
	}[typ]
	switch {
	case !known:
		return typ, env.ID, protocol.CodeUnknownType
	case !joined && typ != protocol.TypeJoin && typ != protocol.TypeRelay:
		return typ, env.ID, protocol.CodeNotJoined
	case joined && (typ == protocol.TypeJoin || typ == protocol.TypeRelay):
		return typ, env.ID, protocol.CodeAlreadyJoined
	case msg != nil && json.Unmarshal(trimmed, msg) != nil:
		return typ, env.ID, protocol.CodeBadRequest
	}
	return typ, env.ID, ""
}

// checkSent holds what the session queued to the protocol's rules.
func (fx *frameFixture) checkSent(t *testing.T, out []sent, id json.RawMessage, end bool) {
	t.Helper()
	for i, m := range out {
		if m.close {
			if !end || i != len(out)-1 {
				t.Fatalf("the session closes (end %v) with %d messages after the close", end, len(out)-1-i)
			}
			continue
		}
		switch m.Type {
		case protocol.TypeWelcome, protocol.TypeSnapshot, protocol.TypeEvent, protocol.TypeBye,
			protocol.TypeOffer, protocol.TypeAnswer:
		case protocol.TypeError:
			if !fx.codes[m.Code] || m.Message == "" {
				t.Fatalf("error %q (%q): not a code of docs/protocol.md, or no message", m.Code, m.Message)
			}
			if !sameJSON(m.Re, id) {
				t.Fatalf("error %q echoes %s as re, the frame's id was %s", m.Code, m.Re, id)
			}
		default:
			t.Fatalf("the server queued a message of type %q: %s", m.Type, m.raw)
		}
		if !utf8.Valid(m.raw) {
			t.Fatalf("the server queued %q: not UTF-8", m.raw)
		}
	}
}

// sameJSON reports whether a and b are the same JSON value (both absent
// counts as the same).
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

func describeSent(out []sent) string {
	var b bytes.Buffer
	b.WriteString("[")
	for i, m := range out {
		if i > 0 {
			b.WriteString(", ")
		}
		if m.close {
			b.WriteString("close")
		} else {
			b.Write(m.raw)
		}
	}
	b.WriteString("]")
	return b.String()
}
