package signaling_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// A report reaches the facilitators at once, on their instance too, and
// no member; the reporter is answered report_sent; a facilitator who
// comes later finds it in the welcome; dismissing it reaches them all;
// nothing of it is logged. Whether someone is new here is likewise sent
// to facilitators only. On one server, and across two servers sharing
// one Redis (the facilitator on one, the reporter on the other).
func TestReportReachesFacilitatorsOnly(t *testing.T) {
	t.Run("one server", func(t *testing.T) {
		srv := newTestServer(t)
		checkReport(t, liveWorld{a: srv.url, b: srv.url, rooms: srv.Rooms, room: srv.Room}, srv.Logs.String)
	})
	t.Run("two servers and Redis", func(t *testing.T) {
		checkReport(t, twoInstances(t), nil)
	})
}

// nextEvent returns c's next event of kind, failing on any event of a
// kind in never before it.
func nextEvent(t *testing.T, ctx context.Context, c *client.Conn, kind string, never ...string) protocol.Event {
	t.Helper()
	for {
		var ev protocol.Event
		if err := nextOfType(t, ctx, c, protocol.TypeEvent).Decode(&ev); err != nil {
			t.Fatal(err)
		}
		for _, k := range never {
			if ev.Kind == k {
				t.Fatalf("got a %q event: %+v", k, ev)
			}
		}
		if ev.Kind == kind {
			return ev
		}
	}
}

func checkReport(t *testing.T, w liveWorld, logs func() string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const reason, rude = "Canaryreason he mocks people", "Canarytext you are all weak"

	fac := w.dial(t, ctx, w.a)
	if _, err := fac.Join(ctx, w.join("Fennel", w.room.FacilitatorKey, "")); err != nil {
		t.Fatal(err)
	}
	mia := w.dial(t, ctx, w.a) // a member on the facilitator's instance
	if _, err := mia.Join(ctx, w.join("Mia", "", "")); err != nil {
		t.Fatal(err)
	}
	rex := w.dial(t, ctx, w.b)
	rexWelcome, err := rex.Join(ctx, w.join("Rex", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	nova := w.dial(t, ctx, w.b) // the reporter, new here, on the other instance
	nj := w.join("Nova", "", "")
	nj.NewHere = true
	novaWelcome, err := nova.Join(ctx, nj)
	if err != nil {
		t.Fatal(err)
	}
	if novaWelcome.Self.NewHere {
		t.Error("Nova's own record says new here: only facilitators see it")
	}
	for who, c := range map[string]*client.Conn{"Fennel": fac, "Mia": mia, "Rex": rex} {
		ev := nextEvent(t, ctx, c, "joined")
		for ev.Participant.Name != "Nova" {
			ev = nextEvent(t, ctx, c, "joined")
		}
		if want := who == "Fennel"; ev.Participant.NewHere != want {
			t.Errorf("%s sees Nova new here: %v, want %v", who, ev.Participant.NewHere, want)
		}
	}

	// Rex writes to the room; Nova reports the message.
	if err := rex.Send(ctx, protocol.Chat{Type: protocol.TypeChat, Text: rude}); err != nil {
		t.Fatal(err)
	}
	chat := nextEvent(t, ctx, nova, "chat")
	if err := nova.Send(ctx, map[string]any{"type": "report", "id": 7, "message": chat.Message.ID, "reason": reason}); err != nil {
		t.Fatal(err)
	}
	var sent protocol.ReportSent
	if err := nextOfType(t, ctx, nova, protocol.TypeReportSent).Decode(&sent); err != nil || string(sent.Re) != "7" {
		t.Errorf("report_sent = %+v, %v; want re 7", sent, err)
	}
	got := nextEvent(t, ctx, fac, "report").Report
	want := protocol.ReportInfo{ID: "r1", From: novaWelcome.Self.ID, FromName: "Nova", About: rexWelcome.Self.ID, AboutName: "Rex",
		MessageID: chat.Message.ID, MessageText: rude, Reason: reason, At: got.At}
	if got == nil || *got != want {
		t.Fatalf("the facilitator's report = %+v, want %+v", got, want)
	}

	// Bad reports: a clear error each, and the session goes on.
	for _, bad := range []string{`{"type":"report"}`, `{"type":"report","participant":"nobody"}`,
		`{"type":"report","participant":"` + novaWelcome.Self.ID + `"}`, `{"type":"report","message":"m999"}`,
		`{"type":"report","participant":7}`} {
		if err := nova.SendRaw(ctx, []byte(bad)); err != nil {
			t.Fatal(err)
		}
		e := expectError(t, ctx, nova, protocol.CodeBadRequest)
		t.Logf("%s: %s", bad, e.Message)
	}
	// Nova also reports Rex's behaviour, without a message.
	if err := nova.Send(ctx, protocol.Report{Type: protocol.TypeReport, Participant: rexWelcome.Self.ID}); err != nil {
		t.Fatal(err)
	}
	nextOfType(t, ctx, nova, protocol.TypeReportSent)
	if r := nextEvent(t, ctx, fac, "report").Report; r.About != rexWelcome.Self.ID || r.MessageID != "" || r.Reason != "" {
		t.Errorf("second report = %+v", r)
	}

	// A facilitator arriving now finds both reports.
	cofac := w.dial(t, ctx, w.b)
	cw, err := cofac.Join(ctx, w.join("Corin", w.room.FacilitatorKey, ""))
	if err != nil {
		t.Fatal(err)
	}
	if len(cw.Reports) != 2 || cw.Reports[0].Reason != reason {
		t.Errorf("a later facilitator's welcome holds reports %+v", cw.Reports)
	}
	// A member arriving now finds none, nor who is new here.
	late := w.dial(t, ctx, w.a)
	lw, err := late.Join(ctx, w.join("Lark", "", ""))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(lw)
	if len(lw.Reports) != 0 || strings.Contains(string(raw), "newHere") || strings.Contains(string(raw), "Canaryreason") {
		t.Errorf("a member's welcome: %s", raw)
	}

	// The facilitator dismisses the first report; then writes a marker,
	// which members must reach having seen no report.
	if err := fac.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "dismiss_report", ReportID: "r1"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Conn{fac, cofac} {
		if ev := nextEvent(t, ctx, c, "report_dismissed"); ev.ReportID != "r1" {
			t.Errorf("report_dismissed names %q", ev.ReportID)
		}
	}
	if err := fac.Send(ctx, protocol.Chat{Type: protocol.TypeChat, Text: "marker"}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client.Conn{mia, rex, nova, late} {
		for {
			ev := nextEvent(t, ctx, c, "chat", "report", "report_dismissed")
			if ev.Message.Text == "marker" {
				break
			}
		}
	}
	if logs != nil {
		for _, secret := range []string{"Canary", "Nova", "Rex"} {
			if strings.Contains(logs(), secret) {
				t.Errorf("the server's log holds %q", secret)
			}
		}
	}
}

// Under first names only (the test room has it, as new rooms do), a join
// with two words or over 20 characters is refused with bad_name and a
// message saying what to do; the same connection then joins with a first
// name.
func TestFirstNamesOnlyOnTheWire(t *testing.T) {
	srv := newTestServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := dial(t, ctx, srv)
	for _, name := range []string{"Sam Smith", "Bartholomew-Alexander"} {
		if err := c.Send(ctx, srv.join(name)); err != nil {
			t.Fatal(err)
		}
		e := expectError(t, ctx, c, protocol.CodeBadName)
		if !strings.Contains(e.Message, "first names only") || !strings.Contains(e.Message, "20 characters") {
			t.Errorf("%q refused with %q", name, e.Message)
		}
	}
	w, err := c.Join(ctx, srv.join("Sam"))
	if err != nil {
		t.Fatal(err)
	}
	if !w.Room.FirstNamesOnly {
		t.Error("the welcome's room does not say first names only")
	}
	if err := c.Send(ctx, protocol.Rename{Type: protocol.TypeRename, Name: "Sam Smith"}); err != nil {
		t.Fatal(err)
	}
	expectError(t, ctx, c, protocol.CodeBadName)
}
