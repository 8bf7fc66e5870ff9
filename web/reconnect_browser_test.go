package web

import (
	"testing"
	"time"
)

// TestSessionComesBack drives protocol.js in real Chromium with a fake
// socket: a socket lost without a goodbye is replaced by itself (after a
// backoff), and the new join brings the resume token of the last welcome;
// a resumed welcome keeps the session (no second "welcome", the same peer
// connections, the room taken as a snapshot), a plain one starts afresh
// ("welcome" again); a goodbye that ends the meeting for this person
// ends the session instead of reconnecting. Also the backoff's bounds.
func TestSessionComesBack(t *testing.T) {
	p := harnessPage(t)
	run(t, p, `window.T = makeT({ audio: true, video: true }); T.connect()`)
	welcome := func(fields string) string {
		return `T.recv({ type: 'welcome', self: { ...T.rec }, room: { id: 'r1' }, participants: [], hands: ['p1'], seq: 5, identity: 'tok', ` + fields + ` })`
	}
	steps := []step{
		{"the first join has no resume token", ``, `T.sent('join').length === 1 && !('resume' in T.sent('join')[0])`},
		{"welcome with a resume token", welcome(`resume: 'R1'`), `T.s.joined && T.events('welcome').length === 1`},
		{"the socket drops: connectionlost, a new socket after the backoff",
			`T.ws.close(1006)`,
			`T.events('connectionlost').length === 1 && T.events('connectionlost')[0].attempt === 1 && T.s.reconnecting && !T.s.joined && T.sockets === 2`},
		{"the new join brings the resume token and the identity",
			``,
			`T.sent('join').length === 1 && T.sent('join')[0].resume === 'R1' && T.sent('join')[0].identity === 'tok'`},
		{"a resumed welcome: reconnected, no second welcome, the room as a snapshot",
			welcome(`resume: 'R2', resumed: true, seq: 9`),
			`T.s.joined && !T.s.reconnecting && T.events('reconnected').length === 1 && T.events('reconnected')[0].resumed &&
			 T.events('welcome').length === 1 && T.s.hands.includes('p1')`},
		{"dropped again: the next join brings the new token",
			`T.ws.close(1006)`,
			`T.sockets === 3 && T.sent('join').length === 1 && T.sent('join')[0].resume === 'R2'`},
		{"a plain welcome (the server held no session): welcome again, media afresh",
			welcome(`resume: 'R3'`),
			`T.events('reconnected').length === 2 && !T.events('reconnected')[1].resumed && T.events('welcome').length === 2 && T.s.joined`},
		{"a refused reconnect that may pass (unavailable) is tried again",
			`T.ws.close(1006)`,
			`T.sockets === 4 && T.sent('join').length === 1`},
		{"unavailable: another socket later",
			`T.recv({ type: 'error', code: 'unavailable', message: 'try again' })`,
			`T.sockets === 5 && T.sent('join').length === 1 && T.events('closed').length === 0`},
		{"back", welcome(`resume: 'R4', resumed: true`), `T.s.joined && T.events('reconnected').length === 3`},
		{"removed: the session ends, no new socket",
			`T.recv({ type: 'bye', reason: 'removed' }); T.ws.close(1000)`,
			`T.events('closed').length === 1 && T.events('closed')[0].byeReason === 'removed' && T.sockets === 5`},
		{"the backoff: 250 ms doubling to 5 s, times 0.5 to 1.5",
			``,
			`import('/assets/connection.js').then(({ backoff }) =>
			   backoff(0, () => 0) === 125 && backoff(0, () => 1) === 375 && backoff(3, () => 0.5) === 2000 &&
			   backoff(9, () => 0.5) === 5000 && backoff(40, () => 1) === 7500)`},
	}
	for _, st := range steps {
		if st.do != "" {
			run(t, p, st.do)
		}
		if !p.WaitFor(5*time.Second, st.want) {
			t.Fatalf("%s: %s is false", st.name, st.want)
		}
	}
}

// A socket that goes silent (its network went away without a close: TCP
// would keep it for minutes) is found out by the session's pings: once
// settled on a socket (its welcome), the session pings it every 500 ms;
// the server's pongs go no further than the socket's keeper (no event,
// no error); a ping that nothing answers for 2 s makes the session give
// the socket up and resume on a new one ("connectionlost"), and, since
// the silence may have come from a changed address, restart ICE there:
// its publish offer has new ICE credentials.
func TestSilentSocketIsReplaced(t *testing.T) {
	p := harnessPage(t)
	run(t, p, `window.T = makeT({ audio: true, video: true }); T.connect()`)
	const ufrag = `((T.sent('offer').at(-1) || {}).sdp || '').match(/a=ice-ufrag:(\S+)/)?.[1]`
	steps := []step{
		{"no ping before the welcome", ``, `T.sent('join').length === 1 && T.sent('ping').length === 0`},
		{"welcome; the publish offer goes out", `T.recv({ type: 'welcome', self: { ...T.rec }, room: { id: 'r1' }, participants: [], seq: 1, identity: 'tok', resume: 'R1' }); window.setTimeout(() => { window.U = ` + ufrag + `; }, 500)`,
			`T.s.joined && T.sent('offer').length === 1 && !!window.U`},
		{"pinged within a second and a half", ``, `T.sent('ping').length >= 1`},
		{"answered pongs keep the socket and stay inside it",
			`window.A = setInterval(() => T.recv({ type: 'pong' }), 300)`,
			`new Promise((ok) => setTimeout(() => ok(T.sockets === 1 && T.sent('ping').length >= 3 &&
			   T.events('servererror').length === 0 && T.events('connectionlost').length === 0), 3000))`},
		{"silent for 2 s after a ping: a new socket, resuming",
			`clearInterval(window.A)`,
			`T.sockets === 2 && T.events('connectionlost').length === 1 && T.sent('join').length === 1 && T.sent('join')[0].resume === 'R1'`},
		{"resumed: the publish connection offers with new ICE credentials",
			`T.recv({ type: 'welcome', self: { ...T.rec }, room: { id: 'r1' }, participants: [], seq: 2, identity: 'tok', resume: 'R2', resumed: true })`,
			`T.events('reconnected').length === 1 && T.sent('offer').length === 1 && !!` + ufrag + ` && ` + ufrag + ` !== window.U`},
	}
	runSteps(t, p, steps)
}
