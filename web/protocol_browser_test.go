package web

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/web/webtest"
)

// harness loads protocol.js into a blank page with a fake WebSocket (the
// test plays the server) and a synthetic microphone and camera, and sets
// window.makeT(opts) to start a session: T.s is the HearthSession, T.recv
// delivers a server message, T.mic() and T.cam() say whether the local
// tracks are on, T.setSelf() is the last set_self sent, T.events(type) the
// details of the session's events of that type, and T.updated(fields, seq)
// an "updated" event for this participant with the server's record changed
// by fields. T.sockets counts the sockets opened.
const harness = `(async () => {
  const { HearthSession } = await import('/assets/protocol.js');
  class FakeSocket extends EventTarget {
    static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
    constructor(url) {
      super();
      this.url = url; this.readyState = 0; this.sent = [];
      FakeSocket.last = this;
      FakeSocket.count = (FakeSocket.count || 0) + 1;
      setTimeout(() => { this.readyState = 1; this.dispatchEvent(new Event('open')); }, 0);
    }
    send(data) { this.sent.push(JSON.parse(data)); }
    close(code) { this.readyState = 3; this.dispatchEvent(new CloseEvent('close', { code: code || 1000 })); }
  }
  window.WebSocket = FakeSocket;
  window.makeT = ({ audio, video }) => {
    const tracks = [];
    if (audio) tracks.push(...new AudioContext().createMediaStreamDestination().stream.getAudioTracks());
    if (video) tracks.push(...document.createElement('canvas').captureStream(5).getVideoTracks());
    const stream = new MediaStream(tracks);
    const s = new HearthSession({ url: 'ws://test/ws', room: 'r1', name: 'Ana', stream });
    const log = [];
    for (const type of ['selfmedia', 'refused', 'servererror', 'participants', 'welcome', 'connectionlost', 'reconnected', 'closed']) {
      s.addEventListener(type, (e) => log.push([type, e.detail]));
    }
    const T = {
      s, stream,
      rec: { id: 'p1', name: 'Ana', role: 'member', status: 'admitted', muted: false, mutedBy: '', camera: true },
      get ws() { return FakeSocket.last; },
      get sockets() { return FakeSocket.count; },
      connect() { s.connect(); },
      recv(msg) { T.ws.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(msg) })); },
      sent(type) { return T.ws ? T.ws.sent.filter((m) => m.type === type) : []; },
      setSelf() { const all = T.sent('set_self'); return all[all.length - 1] || {}; },
      mic() { return stream.getAudioTracks().some((t) => t.enabled && t.readyState === 'live'); },
      cam() { return stream.getVideoTracks().some((t) => t.enabled && t.readyState === 'live'); },
      events(type) { return log.filter(([t]) => t === type).map(([, d]) => d); },
      welcome(fields) {
        Object.assign(T.rec, fields);
        T.recv({ type: 'welcome', self: { ...T.rec }, room: { id: 'r1' }, participants: [], seq: 1, identity: 'tok' });
      },
      updated(fields, seq) {
        Object.assign(T.rec, fields);
        if (!T.rec.muted) T.rec.mutedBy = '';
        T.recv({ type: 'event', kind: 'updated', seq, participant: { ...T.rec } });
      },
    };
    return T;
  };
  return true;
})()`

// step is one thing the server or the person does, and what must hold
// afterwards (a JavaScript boolean expression over T).
type step struct {
	name string
	do   string
	want string
}

// TestMuteFollowsServer drives protocol.js in real Chromium: what the
// session says about the own microphone and camera is the server's last
// record, the microphone goes on only when that record says unmuted, and
// muting (or stopping the camera) switches the device off at once.
func TestMuteFollowsServer(t *testing.T) {
	p := harnessPage(t)
	run(t, p, `window.T = makeT({ audio: true, video: true }); T.connect()`)
	steps := []step{
		{"join is sent", ``, `T.sent('join').length === 1`},
		{"welcome muted: the microphone is off",
			`T.welcome({ muted: true, mutedBy: 'self' })`,
			`!T.mic() && T.cam() && T.s.muted && T.s.cameraOn`},
		{"unmute only asks",
			`T.s.setMuted(false)`,
			`T.setSelf().muted === false && !T.mic() && T.s.muted`},
		{"the server's unmuted record turns the microphone on",
			`T.updated({ muted: false }, 2)`,
			`T.mic() && !T.s.muted`},
		{"mute switches the microphone off at once, the state waits for the server",
			`T.s.setMuted(true)`,
			`T.setSelf().muted === true && !T.mic() && !T.s.muted`},
		{"a record that repeats unmuted leaves the microphone off",
			`T.updated({ name: 'Ana B' }, 3)`,
			`!T.mic() && !T.s.muted`},
		{"the server's muted record: muted, and no forced-mute notice",
			`T.updated({ muted: true, mutedBy: 'self' }, 4)`,
			`!T.mic() && T.s.muted && T.events('selfmedia').length === 0`},
		{"a refused unmute leaves the microphone off and says the server's message",
			`T.s.setMuted(false).then(() => T.recv({ type: 'error', code: 'not_allowed', message: 'in this meeting you can unmute when the facilitator calls on you', re: T.setSelf().id }))`,
			`!T.mic() && T.s.muted && T.events('refused').length === 1 &&
			 T.events('refused')[0].what === 'unmute' && T.events('refused')[0].message.startsWith('in this meeting')`},
		{"an error without re is not taken for a refusal",
			`T.recv({ type: 'error', code: 'not_allowed', message: 'no' })`,
			`T.events('refused').length === 1 && T.events('servererror').length === 1 && !T.mic() && T.s.muted`},
		{"called on: the server unmutes",
			`T.updated({ muted: false }, 5)`,
			`T.mic() && !T.s.muted`},
		{"a facilitator's mute turns the microphone off and is announced",
			`T.updated({ muted: true, mutedBy: 'facilitator' }, 6)`,
			`!T.mic() && T.s.muted && T.s.self.mutedBy === 'facilitator' &&
			 T.events('selfmedia').some((d) => d.forcedMute && d.mutedByFacilitator)`},
		{"stop camera closes it at once, the state waits for the server",
			`T.s.setCamera(false)`,
			`T.setSelf().camera === false && !T.cam() && T.s.cameraOn`},
		{"the server's record: camera off",
			`T.updated({ camera: false }, 7)`,
			`!T.cam() && !T.s.cameraOn && !T.events('selfmedia').some((d) => d.forcedCameraOff)`},
		{"start camera opens the camera, off, and only asks",
			`T.s.setCamera(true)`,
			`T.setSelf().camera === true && !T.cam() && !T.s.cameraOn`},
		{"the server's camera-on record turns the camera on",
			`T.updated({ camera: true }, 8)`,
			`T.cam() && T.s.cameraOn`},
		{"an old event changes nothing",
			`T.recv({ type: 'event', kind: 'updated', seq: 8, participant: { ...T.rec, camera: false } })`,
			`T.cam() && T.s.cameraOn`},
		{"the server turns the camera off (suspended): announced",
			`T.updated({ camera: false }, 9)`,
			`!T.cam() && !T.s.cameraOn && T.events('selfmedia').some((d) => d.forcedCameraOff)`},
	}
	runSteps(t, p, steps)
}

// A missing device is still reported to the server, and what the session
// says follows the server's answer; unmuting later opens a microphone,
// which stays off until the server's record says unmuted.
func TestMissingDeviceIsReported(t *testing.T) {
	p := harnessPage(t)
	run(t, p, `window.T = makeT({ audio: false, video: true }); T.connect()`)
	steps := []step{
		{"join says muted", ``, `T.sent('join').length === 1 && T.sent('join')[0].muted === true && !('camera' in T.sent('join')[0])`},
		{"a comeback unmuted is corrected",
			`T.welcome({ muted: false })`,
			`T.setSelf().muted === true && !T.s.muted && !T.s.hasAudio`},
		{"the server's answer is shown",
			`T.updated({ muted: true, mutedBy: 'self' }, 2)`,
			`T.s.muted`},
		{"unmute opens a microphone, off, and asks",
			`T.s.setMuted(false)`,
			`T.setSelf().muted === false && T.s.hasAudio && !T.mic() && T.s.muted`},
		{"the server's unmuted record turns it on",
			`T.updated({ muted: false }, 3)`,
			`T.mic() && !T.s.muted`},
	}
	runSteps(t, p, steps)
}

// runSteps does each step in turn and waits (up to 5 s) for what must
// hold after it.
func runSteps(t *testing.T, p *webtest.Page, steps []step) {
	t.Helper()
	for _, st := range steps {
		if st.do != "" {
			run(t, p, st.do)
		}
		if !p.WaitFor(5*time.Second, st.want) {
			t.Fatalf("%s: %s is false", st.name, st.want)
		}
	}
}

// harnessPage opens a blank page next to the served assets and loads the
// harness into it.
func harnessPage(t *testing.T) *webtest.Page {
	t.Helper()
	b := webtest.NewBrowser(t)
	mux := http.NewServeMux()
	mux.Handle("/assets/", Handler())
	mux.HandleFunc("/blank", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>test</title>"))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	p := b.NewPage(t, srv.URL+"/blank")
	var ok bool
	p.Eval(harness, &ok)
	if !ok {
		t.Fatal("harness did not load")
	}
	return p
}

// run runs JavaScript statements in the page.
func run(t *testing.T, p *webtest.Page, js string) {
	t.Helper()
	var ok bool
	p.Eval(`(() => { `+js+`; return true; })()`, &ok)
}

// Event sequence numbers have gaps (people do not get the events they may
// not see): the session applies a newer event after a gap, drops one at
// or below the last it applied, and never treats a gap as lost state
// (no reconnection, no request for a snapshot).
func TestEventsWithGaps(t *testing.T) {
	p := harnessPage(t)
	run(t, p, `window.T = makeT({ audio: true, video: true }); T.connect()`)
	joined := func(id, name string, seq int) string {
		return `T.recv({ type: 'event', kind: 'joined', seq: ` + strconv.Itoa(seq) + `, participant: { id: '` + id + `', name: '` + name + `', role: 'member', status: 'admitted' } })`
	}
	steps := []step{
		{"welcome at seq 1", `T.welcome({})`, `T.s.joined && T.s.participants.length === 1`},
		{"a gap: seq 5 is applied", joined("p2", "Bo", 5), `T.s.participants.some((p) => p.name === 'Bo')`},
		{"an old event (seq 4) is dropped", joined("p3", "Cy", 4), `!T.s.participants.some((p) => p.name === 'Cy')`},
		{"the next one after the gap is applied", joined("p4", "Di", 9), `T.s.participants.some((p) => p.name === 'Di')`},
		{"the session asked for nothing and kept its socket",
			``, `T.ws.sent.every((m) => ['join', 'offer', 'candidate', 'ping'].includes(m.type)) && T.ws.readyState === 1 && T.sent('join').length === 1`},
	}
	runSteps(t, p, steps)
}

// The room's state and the session's modules need no page: they load
// and work in a Worker, where there is no document and no window.
func TestStateWithoutPage(t *testing.T) {
	p := harnessPage(t)
	var got string
	p.Eval(`new Promise((resolve) => {
  const src = "const base = " + JSON.stringify(location.origin) + ";" +
    "Promise.all([import(base + '/assets/roomstate.js'), import(base + '/assets/protocol.js'), import(base + '/assets/requests.js')]).then(([rs, proto, rq]) => {" +
    "  const st = new rs.RoomState('r1');" +
    "  st.welcome({ self: { id: 'a', name: 'Ana', role: 'facilitator' }, room: { id: 'r1', name: 'Group' }, seq: 1, participants: [{ id: 'b', name: 'Bo' }] });" +
    "  st.setHands(['b']);" +
    "  const r = new rq.Requests(); const id = r.add({ type: 'chat' }, 'chat').id;" +
    "  postMessage([typeof document, typeof window, st.participants.length, st.hands[0], st.room.name, proto.isFacilitatorRole(st.self), r.take(id).kind].join(','));" +
    "}).catch((e) => postMessage('error: ' + e));";
  const w = new Worker(URL.createObjectURL(new Blob([src], { type: 'text/javascript' })), { type: 'module' });
  w.onmessage = (e) => resolve(e.data);
  w.onerror = (e) => resolve('worker error: ' + e.message);
})`, &got)
	if got != "undefined,undefined,2,b,Group,true,chat" {
		t.Errorf("in a Worker: %q, want undefined,undefined,2,b,Group,true,chat", got)
	}
}
