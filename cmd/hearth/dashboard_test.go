package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title  string `json:"title"`
	Panels []struct {
		Title      string `json:"title"`
		Datasource struct {
			UID string `json:"uid"`
		} `json:"datasource"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
	} `json:"panels"`
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

// promQLMetrics are the metric names a PromQL expression selects: its
// identifiers that are not functions, aggregations, keywords, label
// names or values, ranges or variables.
func promQLMetrics(expr string) []string {
	for _, re := range []string{`"(?:[^"\\]|\\.)*"`, `\{[^}]*\}`, `\[[^\]]*\]`,
		`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`, `\$\w+`} {
		expr = regexp.MustCompile(re).ReplaceAllString(expr, " ")
	}
	keywords := map[string]bool{"by": true, "without": true, "on": true, "ignoring": true, "group_left": true,
		"group_right": true, "bool": true, "and": true, "or": true, "unless": true, "offset": true, "inf": true, "nan": true}
	var out []string
	ident := regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)
	for _, m := range ident.FindAllStringSubmatch(expr, -1) {
		if name := strings.TrimSpace(strings.TrimSuffix(m[0], m[1])); m[1] == "" && !keywords[strings.ToLower(name)] {
			out = append(out, name)
		}
	}
	return out
}

func TestPromQLMetrics(t *testing.T) {
	for expr, want := range map[string]string{
		`sum by (instance, reason) (rate(hearth_admission_refused_total{job=~"$job"}[$__rate_interval]))`: "hearth_admission_refused_total",
		`rate(process_cpu_seconds_total{instance=~"a|b"}[5m]) * 8`:                                        "process_cpu_seconds_total",
		`hearth_rooms / on (instance) group_left hearth_participants`:                                     "hearth_rooms hearth_participants",
		`label_values(hearth_participants{job=~"$job"}, instance)`:                                        "hearth_participants instance",
	} {
		if got := strings.Join(promQLMetrics(expr), " "); got != want {
			t.Errorf("%s: %q, want %q", expr, got, want)
		}
	}
}

// Every metric the Grafana dashboard queries exists on a running
// server's /metrics, and the dashboard imports as it is: its panels use
// the data source variable it defines.
func TestGrafanaDashboardMetricsExist(t *testing.T) {
	b, err := os.ReadFile("../../deploy/grafana/hearth.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("deploy/grafana/hearth.json: %v", err)
	}
	if strings.Contains(string(b), "${DS_") {
		t.Error("the dashboard uses an import-time data source input; it must import as it is")
	}
	// The embedded TURN on, so that its metrics are exposed too.
	ts := startServer(t, "--metrics-addr", "127.0.0.1:0", "--turn-udp-port", strconv.Itoa(freeUDPPort(t)))
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(loggedPort(t, ts, "metrics_port")) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	exposed := map[string]bool{}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			exposed[regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*`).FindString(line)] = true
		}
	}
	check := func(where, expr string) {
		names := promQLMetrics(expr)
		if len(names) == 0 {
			t.Errorf("%s: no metric in %q", where, expr)
		}
		for _, n := range names {
			if !exposed[n] {
				t.Errorf("%s queries %s, which /metrics does not have", where, n)
			}
		}
	}
	hasDS := false
	for _, v := range d.Templating.List {
		switch v.Type {
		case "datasource":
			hasDS = v.Name == "datasource"
		case "query":
			q, _ := v.Query.(map[string]any)
			expr, _ := q["query"].(string)
			m := regexp.MustCompile(`^label_values\(([^,]+),`).FindStringSubmatch(expr)
			if m == nil {
				t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, expr)
				continue
			}
			check("variable "+v.Name, m[1])
		}
	}
	if !hasDS {
		t.Error("the dashboard has no data source variable named datasource")
	}
	targets := 0
	for _, p := range d.Panels {
		if p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: data source %q, want ${datasource}", p.Title, p.Datasource.UID)
		}
		for _, tg := range p.Targets {
			targets++
			check("panel "+p.Title, tg.Expr)
		}
	}
	// The list: meetings, participants, forwarded packets and
	// bytes, drops, keyframe requests, NACKs, CPU and memory.
	for _, want := range []string{"hearth_rooms", "hearth_participants", "hearth_forwarded_packets_total",
		"hearth_forwarded_bytes_total", "hearth_undelivered_packets_total", "hearth_muted_packets_dropped_total",
		"hearth_pli_sent_total", "hearth_nacks_received_total", "process_cpu_seconds_total", "process_resident_memory_bytes"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the dashboard does not show %s", want)
		}
	}
	t.Logf("%d panels, %d queries checked against /metrics", len(d.Panels), targets)
}

// freeUDPPort returns a UDP port on 127.0.0.1 that was free a moment ago.
func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
