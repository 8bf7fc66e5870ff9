package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hearth-meet/hearth/room/redisstore/redistest"
	"github.com/hearth-meet/hearth/signaling/client"
	"github.com/hearth-meet/hearth/signaling/protocol"
)

// canary is in every name of TestAttendanceProofs: the display names and
// the name typed onto the proof. After the meeting it must be nowhere.
const canary = "Zqcanary"

// checkProof posts a proof (or, with code set, a short code and name) to
// /verify and returns the JSON answer.
func checkProof(t *testing.T, ts *testServer, form url.Values) (genuine bool, statement map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+ts.addr.String()+"/verify", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Genuine   bool           `json:"genuine"`
		Statement map[string]any `json:"statement"`
		Code      map[string]any `json:"code"`
		Reason    string         `json:"reason"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/verify: HTTP %d, %v", resp.StatusCode, err)
	}
	if res.Code != nil {
		return res.Genuine, res.Code
	}
	return res.Genuine, res.Statement
}

// attend runs a meeting in a room that gives proofs: a facilitator and a
// member, who asks for a proof, has it confirmed, asks again; the meeting
// is then ended (during runs just before). It returns both proofs.
func attend(t *testing.T, ts *testServer, during func()) (first, confirmed protocol.AttendanceProof) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	links := newRoom(t, ts, `{"name":"Tuesday group","settings":{"waitingRoom":false,"attendanceProof":true,"publicLabel":"Evening meeting"}}`)
	ws := "ws://" + ts.addr.String() + "/ws"
	fac, err := client.DialConn(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer fac.CloseNow()
	id, fkey := roomAndKey(links.FacilitatorLink)
	if _, err := fac.Join(ctx, protocol.Join{Room: id, Name: canary + "chair", FacilitatorKey: fkey}); err != nil {
		t.Fatal(err)
	}
	mem, err := client.DialConn(ctx, ws)
	if err != nil {
		t.Fatal(err)
	}
	defer mem.CloseNow()
	mw, err := mem.Join(ctx, memberJoin(links.MemberLink, canary+"member"))
	if err != nil {
		t.Fatal(err)
	}
	ask := func() protocol.AttendanceProof {
		if err := mem.Send(ctx, protocol.AttendanceRequest{Type: protocol.TypeAttendanceProof, Name: canary + " Proofname"}); err != nil {
			t.Fatal(err)
		}
		for {
			m, err := mem.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type == protocol.TypeError {
				t.Fatalf("attendance_proof refused: %s", m.Raw)
			}
			if m.Type == protocol.TypeAttendanceProof {
				var p protocol.AttendanceProof
				if err := m.Decode(&p); err != nil {
					t.Fatal(err)
				}
				return p
			}
		}
	}
	first = ask()
	if err := fac.Send(ctx, protocol.ConfirmAttendance{Type: protocol.TypeConfirmAttendance, Participant: mw.Self.ID}); err != nil {
		t.Fatal(err)
	}
	for {
		var ev protocol.Event
		m, err := mem.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type == protocol.TypeEvent && m.Decode(&ev) == nil && ev.Kind == "attendance_confirmed" {
			break
		}
	}
	confirmed = ask()
	if !confirmed.Confirmed || confirmed.Label != "Evening meeting" || confirmed.Name != canary+" Proofname" {
		t.Errorf("confirmed proof %+v", confirmed)
	}
	during()
	if err := fac.Send(ctx, protocol.Moderate{Type: protocol.TypeModerate, Action: "end_meeting"}); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := mem.Recv(ctx)
		if err != nil {
			t.Fatalf("the member was not told the meeting ended: %v", err)
		}
		if m.Type == protocol.TypeBye {
			break
		}
	}
	return first, confirmed
}

// checkAll checks at /verify: both proofs genuine, showing what was
// attested; the confirmed one with one byte changed, not genuine; its
// code with the name genuine.
func checkAll(t *testing.T, ts *testServer, first, confirmed protocol.AttendanceProof) {
	t.Helper()
	for _, p := range []protocol.AttendanceProof{first, confirmed} {
		genuine, st := checkProof(t, ts, url.Values{"proof": {p.VerifyURL + "#" + p.Token}})
		if !genuine || st["label"] != "Evening meeting" || st["name"] != canary+" Proofname" || st["confirmed"] != p.Confirmed ||
			st["date"] != p.Date || st["joined"] != p.Joined || st["left"] != p.Left {
			t.Errorf("proof %+v checks as %v %v", p, genuine, st)
		}
	}
	b := []byte(confirmed.Token)
	b[len(b)/3] ^= 1
	if genuine, st := checkProof(t, ts, url.Values{"proof": {string(b)}}); genuine || st != nil {
		t.Errorf("a proof with one byte changed checks as %v %v", genuine, st)
	}
	if genuine, _ := checkProof(t, ts, url.Values{"code": {confirmed.Code}, "name": {canary + " proofname"}}); !genuine {
		t.Errorf("the code %s with its name is not genuine", confirmed.Code)
	}
}

// TestAttendanceProofs is issue 14's Done-when for proofs: a proof checks
// at /verify, the same with one byte changed does not, a restart does not
// break checking, and after the meeting neither the data directory nor
// Redis (every key) holds any of the names, nor do the logs.
func TestAttendanceProofs(t *testing.T) {
	t.Run("data directory", func(t *testing.T) {
		dataDir := t.TempDir()
		ts := startServer(t, "--admin-token", "tok", "--data-dir", dataDir)
		first, confirmed := attend(t, ts, func() {})
		checkAll(t, ts, first, confirmed)
		ts.stop()
		if strings.Contains(strings.ToLower(ts.logs.String()), strings.ToLower(canary)) {
			t.Error("a name is in the server's logs")
		}
		// The scan reads the file as stored: the room's name is found.
		if found := scanDir(t, dataDir, "Tuesday group"); len(found) == 0 {
			t.Error("the scan does not find the room's name in the data directory")
		}
		if found := scanDir(t, dataDir, canary); len(found) != 0 {
			t.Errorf("after the meeting %v hold a name of the meeting", found)
		}
		again := startServer(t, "--admin-token", "tok", "--data-dir", dataDir)
		checkAll(t, again, first, confirmed)
	})
	t.Run("redis", func(t *testing.T) {
		rs := redistest.Start(t)
		args := []string{"--redis-url", "redis://" + rs.Addr() + "/0", "--admin-token", "tok"}
		ts := startServer(t, args...)
		first, confirmed := attend(t, ts, func() {
			// While the meeting runs, its state holds the names: the scan finds them.
			if found := scanRedis(t, rs.Addr()); len(found) == 0 {
				t.Error("the scan does not find the names of the running meeting in Redis")
			}
		})
		checkAll(t, ts, first, confirmed)
		ts.stop()
		if found := scanRedis(t, rs.Addr()); len(found) != 0 {
			t.Errorf("after the meeting Redis keys %v hold a name of the meeting", found)
		}
		if strings.Contains(strings.ToLower(ts.logs.String()), strings.ToLower(canary)) {
			t.Error("a name is in the server's logs")
		}
		again := startServer(t, args...)
		checkAll(t, again, first, confirmed)
	})
}

// scanDir returns the files under dir that hold needle (any case).
func scanDir(t *testing.T, dir, needle string) (found []string) {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(needle))) {
			found = append(found, path)
		}
		return nil
	})
	if err != nil || n == 0 {
		t.Fatalf("scanning %s: %d files, %v", dir, n, err)
	}
	return found
}

// scanRedis returns the Redis keys whose name or value (of any type)
// holds the canary.
func scanRedis(t *testing.T, addr string) (found []string) {
	t.Helper()
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil || len(keys) == 0 {
		t.Fatalf("redis keys: %v %v", keys, err)
	}
	for _, k := range keys {
		var vals []string
		switch typ := c.Type(ctx, k).Val(); typ {
		case "string":
			vals = []string{c.Get(ctx, k).Val()}
		case "hash":
			for f, v := range c.HGetAll(ctx, k).Val() {
				vals = append(vals, f, v)
			}
		case "list":
			vals = c.LRange(ctx, k, 0, -1).Val()
		case "set":
			vals = c.SMembers(ctx, k).Val()
		case "zset":
			vals = c.ZRange(ctx, k, 0, -1).Val()
		case "stream":
			for _, m := range c.XRange(ctx, k, "-", "+").Val() {
				for f, v := range m.Values {
					vals = append(vals, f, toString(v))
				}
			}
		default:
			t.Errorf("key %s of type %s not scanned", k, typ)
		}
		for _, v := range append(vals, k) {
			if strings.Contains(strings.ToLower(v), strings.ToLower(canary)) {
				found = append(found, k)
				break
			}
		}
	}
	t.Logf("scanned %d redis keys: %d hold the canary", len(keys), len(found))
	return found
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
