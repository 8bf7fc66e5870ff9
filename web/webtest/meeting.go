package webtest

import "fmt"

// What a person sees of a meeting page, as JavaScript expressions and
// watchers, shared by the browser tests of cmd/hearth and its network lab.

// ParticipantsHas is a JS expression: the Participants list shows name.
func ParticipantsHas(name string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('ul[aria-label="Participants"] li')].some(li => li.textContent.includes(%q))`, name)
}

// ListedWith is a JS expression: the Participants list entry of name
// contains word (e.g. "muted").
func ListedWith(name, word string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('ul[aria-label="Participants"] li')].some(li => li.textContent.includes(%q) && li.textContent.includes(%q))`, name, word)
}

// HandsOrder is a JS expression: the names in the Raised hands list, in
// order.
const HandsOrder = `[...document.querySelectorAll('[aria-label="Raised hands"] li')].map(li => li.textContent.trim())`

// StatusSays is a JS expression: the page's live status region holds text.
func StatusSays(text string) string {
	return fmt.Sprintf(`(document.querySelector('[role="status"]')?.textContent || '').includes(%q)`, text)
}

// WatchListFor installs a watcher that checks every 50 ms whether the
// page's Participants list still shows name; window.__lostAt says when it
// did not (0: never).
func (p *Page) WatchListFor(name string) {
	p.t.Helper()
	var ok bool
	p.Eval(fmt.Sprintf(`(() => {
  window.__lostAt = 0;
  setInterval(() => { if (!window.__lostAt && !(%s)) window.__lostAt = Date.now(); }, 50);
  return true;
})()`, ParticipantsHas(name)), &ok)
}

// LogSockets makes the page keep, in window.__sockets, when each WebSocket
// it opens from now on is created, opens and closes (with its code), in
// ms from now (window.__t0): what a failure reports.
func (p *Page) LogSockets() {
	p.t.Helper()
	var ok bool
	p.Eval(`(() => {
  const Orig = window.WebSocket, t0 = window.__t0 = Date.now(), log = window.__sockets = [];
  const at = () => Date.now() - t0;
  window.WebSocket = function(url) {
    const ws = new Orig(url);
    log.push(['new', at()]);
    ws.addEventListener('open', () => log.push(['open', at()]));
    ws.addEventListener('close', (e) => log.push(['close', e.code, at()]));
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  Object.setPrototypeOf(window.WebSocket, Orig);
  return true;
})()`, &ok)
}
