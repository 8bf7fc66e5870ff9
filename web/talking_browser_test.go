package web

import (
	"testing"
	"time"
)

// TestTalkingFollowsServer drives protocol.js and roomstate.js in real
// Chromium: the session's talking set is the server's last "speakers"
// message, announced once per change, minus anyone whose record says
// muted (at once, when their record turns muted) or who is not known.
func TestTalkingFollowsServer(t *testing.T) {
	p := harnessPage(t)
	run(t, p, `window.T = makeT({ audio: true, video: false });
		T.said = [];
		T.s.addEventListener('speakers', (e) => T.said.push([...e.detail.talking].sort().join(',')));
		T.talking = () => [...T.s.talking].sort().join(',');
		T.connect()`)
	steps := []step{
		{"welcome: nobody talks",
			`T.recv({ type: 'welcome', self: { ...T.rec }, room: { id: 'r1' }, seq: 1, identity: 'tok', participants: [
				{ ...T.rec },
				{ id: 'p2', name: 'Bo', role: 'member', status: 'admitted', muted: false, camera: true },
				{ id: 'p3', name: 'Cy', role: 'member', status: 'admitted', muted: true, mutedBy: 'self', camera: true }] })`,
			`T.talking() === '' && T.said.length === 0`},
		{"the server says p2 and the own participant talk",
			`T.recv({ type: 'speakers', talking: ['p2', 'p1'] })`,
			`T.talking() === 'p1,p2' && T.said.join('|') === 'p1,p2'`},
		{"the same set again is no news",
			`T.recv({ type: 'speakers', talking: ['p1', 'p2'] })`,
			`T.said.length === 1`},
		{"p2's record turns muted: out at once",
			`T.recv({ type: 'event', kind: 'updated', seq: 2, participant: { id: 'p2', name: 'Bo', role: 'member', status: 'admitted', muted: true, mutedBy: 'facilitator', camera: true } })`,
			`T.talking() === 'p1'`},
		{"a muted or unknown id is never talking",
			`T.recv({ type: 'speakers', talking: ['p3', 'nobody', 'p1'] })`,
			`T.talking() === 'p1' && T.said.length === 2`},
		{"nobody talks",
			`T.recv({ type: 'speakers', talking: [] })`,
			`T.talking() === '' && T.said.length === 3 && T.said[2] === ''`},
		{"a malformed list is nobody",
			`T.recv({ type: 'speakers', talking: ['p1'] }); T.recv({ type: 'speakers', talking: 'p1' })`,
			`T.talking() === '' && T.said.length === 5`},
	}
	for _, st := range steps {
		if st.do != "" {
			run(t, p, st.do)
		}
		if !p.WaitFor(2*time.Second, st.want) {
			var got struct {
				Talking string   `json:"talking"`
				Said    []string `json:"said"`
			}
			p.Eval(`({ talking: T.talking(), said: T.said })`, &got)
			t.Fatalf("%s: %s is false (talking %q, events %q)", st.name, st.want, got.Talking, got.Said)
		}
	}
}
