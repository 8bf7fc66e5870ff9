package main

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/hearth-meet/hearth/web/webtest"
)

// adminToken is the admin token of the admin page's tests.
const adminToken = "staff-only-4f9a"

// adminRoom is a room as GET /api/rooms lists it.
type adminRoom struct{ ID, Name, MemberLink, FacilitatorLink string }

// adminListRooms lists the rooms through the operators' API with the bearer token.
func adminListRooms(t *testing.T, ts *testServer) []adminRoom {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+ts.addr.String()+"/api/rooms", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Rooms []adminRoom }
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/rooms: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out.Rooms
}

// adminRoomCard is the XPath of the admin page's card of the room named name.
func adminRoomCard(name string) string {
	b, _ := json.Marshal(name)
	return fmt.Sprintf(`//li[@data-room-id][.//h3[normalize-space(.)=%s]]`, b)
}

// adminCookie is the admin page's cookie as the browser keeps it, or nil.
func adminCookie(p *webtest.Page) *network.Cookie {
	for _, c := range p.Cookies() {
		if c.Name == "hearth_admin" {
			return c
		}
	}
	return nil
}

// In real Chromium, a member of staff opens /admin: a wrong token is
// refused with a clear message and sets no cookie; the right one signs in
// with an HttpOnly, SameSite=Strict cookie the page's scripts cannot read.
// They create a room, copy its member link with the page's Copy button
// (read back from the clipboard), and that link brings a newcomer in
// another page to the room's waiting room. Signing out removes the cookie.
func TestBrowserAdminPage(t *testing.T) {
	ts := startServer(t, "--admin-token", adminToken)
	origin := "http://" + ts.addr.String()
	browser := webtest.NewBrowser(t)
	p := browser.NewPage(t, origin+"/admin")
	p.WaitVisible(webtest.Labelled("Admin token"))

	p.Type("Admin token", "not the token")
	p.Click("Sign in")
	if !p.WaitFor(10*time.Second, `document.getElementById('token-error').textContent === "That admin token is not right."`+
		` && document.getElementById('token').getAttribute('aria-invalid') === 'true'`) {
		t.Fatal("a wrong token is not refused with a clear message")
	}
	if c := adminCookie(p); c != nil {
		t.Fatal("a wrong token set the session cookie")
	}
	var consoleShown bool
	p.Eval(`!document.getElementById('console').hidden`, &consoleShown)
	if consoleShown {
		t.Fatal("a wrong token shows the rooms")
	}

	adminSignIn(t, p)
	c := adminCookie(p)
	if c == nil {
		t.Fatal("signed in without a session cookie")
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteStrict || c.Path != "/" || c.Secure {
		t.Errorf("cookie HttpOnly=%v SameSite=%q Path=%q Secure=%v; want HttpOnly, Strict, /, not Secure over plain HTTP",
			c.HTTPOnly, c.SameSite, c.Path, c.Secure)
	}
	var readable bool
	p.Eval(`document.cookie.includes('hearth_admin')`, &readable)
	if readable {
		t.Error("the page's scripts can read the session cookie")
	}

	const name = "Tuesday evening relapse prevention"
	p.Type("Room name", name)
	p.Click("Create room")
	card := adminRoomCard(name)
	p.WaitVisible(card)
	var focused bool
	p.Eval(`document.activeElement.tagName === 'H3' && document.activeElement.textContent === `+jsQuote(name), &focused)
	if !focused {
		t.Error("focus is not on the new room's heading")
	}
	p.AllowClipboard(origin)
	p.Run(chromedp.Click(card+`//button[normalize-space(.)="Copy member link"]`, chromedp.NodeVisible))
	if !p.WaitFor(10*time.Second, `document.getElementById('status').textContent === "Member link copied."`) {
		t.Fatal("the page does not say the member link was copied")
	}
	var copied string
	p.Eval(`navigator.clipboard.readText()`, &copied)
	var rooms []adminRoom
	for _, r := range adminListRooms(t, ts) {
		if r.Name == name {
			rooms = append(rooms, r)
		}
	}
	if len(rooms) != 1 || copied != rooms[0].MemberLink || !strings.HasPrefix(copied, origin+"/r/"+rooms[0].ID) {
		t.Fatalf("copied %q; the API lists %+v", copied, rooms)
	}

	m := joinPage(t, browser, copied, "Ottoline")
	if !m.WaitFor(15*time.Second, `document.body.innerText.includes("Waiting for the facilitator to let you in")`) {
		t.Fatal("the copied member link does not bring a newcomer to the room's waiting room")
	}

	adminSeesMeeting(t, p, name)
	adminEditsRoom(t, p, ts, name)
	adminRotatesLinks(t, p, ts, rooms[0], m)

	p.Click("Sign out")
	p.WaitVisible(webtest.Labelled("Admin token"))
	if c := adminCookie(p); c != nil {
		t.Error("the session cookie is still there after Sign out")
	}
}

// adminSeesMeeting: the Live meetings table shows the room's meeting
// with one person waiting, and nobody's name anywhere on the page; the
// server is ready.
func adminSeesMeeting(t *testing.T, p *webtest.Page, name string) {
	t.Helper()
	p.Click("Refresh")
	row := `[...document.querySelectorAll('#meetings tr')].find(r => r.querySelector('th').textContent === ` + jsQuote(name) + `)`
	if !p.WaitFor(10*time.Second, `(() => { const r = `+row+`; return !!r && r.cells[1].textContent === '0' && r.cells[2].textContent === '1'; })()`) {
		var got string
		p.Eval(`document.getElementById('meetings-table').innerText`, &got)
		t.Errorf("Live meetings does not show the room with 0 in the meeting and 1 waiting: %q", got)
	}
	var text string
	p.Eval(`document.body.innerText`, &text)
	if strings.Contains(text, "Ottoline") {
		t.Error("the admin page shows the name of someone waiting")
	}
	if !strings.Contains(text, "Ready for meetings\nYes") && !strings.Contains(text, "Ready for meetings\tYes") {
		t.Errorf("the Server section does not say it is ready: %q", text)
	}
}

// adminEditsRoom: Edit room opens a form in the room's card with focus on
// its first field, Escape closes it and gives focus back; saved changes
// (no waiting room, a passcode, moderated speaking) reach the API; an
// invite link is made with its uses.
func adminEditsRoom(t *testing.T, p *webtest.Page, ts *testServer, name string) {
	t.Helper()
	card := adminRoomCard(name)
	btn := func(label string) string { return card + `//button[normalize-space(.)=` + jsQuote(label) + `]` }
	p.Run(chromedp.Click(btn("Edit room"), chromedp.NodeVisible))
	p.WaitVisible(card + `//form//input[@data-f="name"]`)
	var state string
	p.Eval(`document.activeElement.dataset.f + ' ' + document.querySelector('[data-act=edit][aria-expanded=true]')?.textContent`, &state)
	if state != "name Edit room" {
		t.Errorf("after Edit room: focus and expanded state %q, want the name field and an expanded Edit room", state)
	}
	p.Run(chromedp.KeyEvent("\x1b"))
	if !p.WaitFor(10*time.Second, `!document.querySelector('#rooms form') && document.activeElement.dataset.act === 'edit'`) {
		t.Error("Escape does not close the form and give focus back to Edit room")
	}

	p.Run(chromedp.Click(btn("Edit room"), chromedp.NodeVisible))
	field := func(f string) string { return card + `//form//*[@data-f="` + f + `"]` }
	p.Run(chromedp.Click(field("waitingRoom")), chromedp.SetValue(field("mode"), "moderated"),
		chromedp.SendKeys(field("passcode"), "one day at a time"))
	// A meeting format from a template, and a contributions link.
	p.Run(chromedp.SetValue(field("template"), "12-step"))
	var changed bool
	p.Eval(`document.querySelector('[data-f=template]').dispatchEvent(new Event('change', {bubbles: true}))`, &changed)
	if !p.WaitFor(10*time.Second, `document.querySelector('[data-f=format]').value.includes('"title": "Sharing"')`) {
		t.Fatal("choosing the 12-step template does not fill in the format")
	}
	p.Run(chromedp.SendKeys(field("contributionsUrl"), "https://example.org/give"))
	p.Run(chromedp.Click(btn("Save room")))
	if !p.WaitFor(10*time.Second, `document.getElementById('status').textContent === `+jsQuote("Saved “"+name+"”.")) {
		var got string
		p.Eval(`document.body.innerText`, &got)
		t.Fatalf("saving the room: %q", got)
	}
	var r struct {
		Settings struct {
			WaitingRoom      bool
			Mode             string
			Format           *struct{ Name string }
			ContributionsURL string
		}
		PasscodeRequired bool
	}
	adminGetJSON(t, ts, "/api/rooms/"+adminRoomID(t, ts, name), &r)
	if r.Settings.WaitingRoom || r.Settings.Mode != "moderated" || !r.PasscodeRequired || r.Settings.Format == nil ||
		r.Settings.Format.Name != "12-step meeting" || r.Settings.ContributionsURL != "https://example.org/give" {
		t.Errorf("after Save room the API shows %+v, want no waiting room, moderated, a passcode, the 12-step format, the link", r)
	}
	// A broken format is refused on the page, naming the problem.
	p.Run(chromedp.Click(btn("Edit room"), chromedp.NodeVisible))
	p.Run(chromedp.SetValue(field("format"), `{"segments":[{"title":"Sharing","speaking":"whoever"}]}`), chromedp.Click(btn("Save room")))
	if !p.WaitFor(10*time.Second, `document.querySelector('#rooms form [data-part=error]')?.textContent.includes('speaking must be')`) {
		var got string
		p.Eval(`document.body.innerText`, &got)
		t.Errorf("a broken format is not refused with the server's message: %q", got)
	}
	p.Run(chromedp.Click(btn("Cancel")))

	p.Run(chromedp.Click(btn("Make an invite"), chromedp.NodeVisible))
	p.Run(chromedp.SetValue(field("uses"), "2"), chromedp.Click(btn("Make invite")))
	p.WaitVisible(card + `//input[@data-f="invite"]`)
	var invite string
	p.Eval(`document.activeElement.dataset.f === 'invite' ? document.activeElement.value : ''`, &invite)
	if !strings.Contains(invite, "/r/"+adminRoomID(t, ts, name)+"#i=") {
		t.Errorf("the invite link %q (focused) is not the room's invite link", invite)
	}
}

// adminRotatesLinks: Rotate links asks first; Confirm rotate links shows
// the new member link, which the API lists too; the person waiting with
// the old link is sent away.
func adminRotatesLinks(t *testing.T, p *webtest.Page, ts *testServer, old adminRoom, waiting *webtest.Page) {
	t.Helper()
	card := adminRoomCard(old.Name)
	p.Run(chromedp.Click(card+`//button[normalize-space(.)="Rotate links"]`, chromedp.NodeVisible))
	p.Run(chromedp.Click(card+`//button[normalize-space(.)="Confirm rotate links"]`, chromedp.NodeVisible))
	if !p.WaitFor(10*time.Second, `document.getElementById('status').textContent.startsWith("New links for")`) {
		t.Fatal("rotating the links is not confirmed")
	}
	var shown string
	p.Eval(`document.querySelector('li[data-room-id=`+jsQuote(old.ID)+`] [data-f=member]').value`, &shown)
	var now adminRoom
	for _, r := range adminListRooms(t, ts) {
		if r.ID == old.ID {
			now = r
		}
	}
	if shown == old.MemberLink || shown != now.MemberLink {
		t.Errorf("after rotation the page shows %q; old %q, the API's %q", shown, old.MemberLink, now.MemberLink)
	}
	if !waiting.WaitFor(10*time.Second, `document.body.innerText.includes("This link has been replaced.")`) {
		t.Error("the person waiting with the old link is not told it was replaced")
	}
}

// adminRoomID is the id of the room named name.
func adminRoomID(t *testing.T, ts *testServer, name string) string {
	t.Helper()
	for _, r := range adminListRooms(t, ts) {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no room named %q", name)
	return ""
}

// adminGetJSON decodes the answer to GET path with the bearer token into out.
func adminGetJSON(t *testing.T, ts *testServer, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+ts.addr.String()+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatal(err)
	}
}

// adminSignIn signs p in with the admin token and waits for the rooms.
func adminSignIn(t *testing.T, p *webtest.Page) {
	t.Helper()
	var cleared string
	p.Eval(`document.getElementById('token').value = ''`, &cleared)
	p.Type("Admin token", adminToken)
	p.Click("Sign in")
	p.WaitVisible(webtest.Button("Create room"))
}

// jsQuote quotes s for JavaScript.
func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// adminForgery is a page of another origin that, once loaded, submits a form
// to the server's admin API at the path given as ?to=: a text/plain body
// that is valid JSON, {"name":"Forged room="}, the most a form can forge.
const adminForgery = `<!doctype html>
<title>Cute cats</title>
<form id="f" method="post" enctype="text/plain" action="{{.}}">
<input type="hidden" name='{"name":"Forged room' value='"}'>
</form>
<script>document.getElementById('f').submit()</script>`

// While a member of staff is signed in to the admin page, a page of
// another origin (another port of the same host: the browser sends the
// SameSite=Strict cookie along) posts forms to the admin API: to create a
// room, and to rotate a room's links. The server refuses both (403 csrf,
// which also shows the cookie was sent), and the rooms are as they were.
func TestBrowserAdminCrossOriginForm(t *testing.T) {
	ts := startServer(t, "--admin-token", adminToken)
	origin := "http://" + ts.addr.String()
	code, victim := createRoom(t, ts, adminToken, `{"name":"Saturday morning SMART"}`)
	if code != http.StatusCreated {
		t.Fatalf("create a room: HTTP %d", code)
	}
	browser := webtest.NewBrowser(t)
	p := browser.NewPage(t, origin+"/admin")
	p.WaitVisible(webtest.Labelled("Admin token"))
	adminSignIn(t, p)
	before := adminListRooms(t, ts)

	forgery := template.Must(template.New("forgery").Parse(adminForgery))
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_ = forgery.Execute(w, origin+r.URL.Query().Get("to"))
	}))
	t.Cleanup(evil.Close)
	if strings.TrimPrefix(evil.URL, "http://") == ts.addr.String() {
		t.Fatal("the other page has the server's origin")
	}
	var id string
	for _, r := range before {
		if r.MemberLink == victim.MemberLink {
			id = r.ID
		}
	}
	if id == "" {
		t.Fatalf("the API does not list the room made for the test: %+v", before)
	}
	for _, path := range []string{"/api/rooms", "/api/rooms/" + id + "/rotate-links"} {
		f := browser.NewPage(t, evil.URL+"/?to="+path)
		if !f.WaitFor(10*time.Second, `location.href === `+jsQuote(origin+path)+` && document.body.innerText.includes('"code":"csrf"')`) {
			var got string
			f.Eval(`location.href + ' ' + document.body.innerText`, &got)
			t.Fatalf("the forged form to %s: the browser shows %q, want the API's csrf refusal", path, got)
		}
	}
	after := adminListRooms(t, ts)
	if !slices.Equal(before, after) {
		t.Errorf("the rooms changed after forged forms:\nbefore %+v\nafter  %+v", before, after)
	}
}
