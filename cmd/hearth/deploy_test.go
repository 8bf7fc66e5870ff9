package main

import (
	"bytes"
	"debug/elf"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// readDeploy reads a file of deploy/.
func readDeploy(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "deploy", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkEnvNames fails for every HEARTH_ variable that is not a key's.
func checkEnvNames(t *testing.T, where string, env map[string]string) {
	t.Helper()
	known := map[string]bool{configEnv: true}
	for _, k := range keys() {
		known[envName(k.name)] = true
	}
	for name := range env {
		if strings.HasPrefix(name, "HEARTH_") && !known[name] {
			t.Errorf("%s sets %s, which is not in the configuration table", where, name)
		}
	}
}

// configFrom is the configuration the server would build from env and
// flags, with the admin token file replaced by one that exists here.
func configFrom(t *testing.T, where string, env map[string]string, args ...string) config {
	t.Helper()
	tokenFile := writeFile(t, "token", "test-token")
	getenv := func(k string) string {
		if k == "HEARTH_ADMIN_TOKEN_FILE" && env[k] != "" {
			return tokenFile
		}
		return env[k]
	}
	c, err := parseConfig(args, getenv, io.Discard)
	if err != nil {
		t.Fatalf("%s: the server would refuse its configuration: %v", where, err)
	}
	return c
}

// portOfAddr is the port of a listen address such as :8080.
func portOfAddr(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, _ := strconv.Atoi(p)
	if err != nil || n == 0 {
		t.Fatalf("%q has no port", addr)
	}
	return n
}

// compose is the part of compose.yaml the test reads.
type compose struct {
	Services map[string]struct {
		Hostname        string            `yaml:"hostname"`
		Environment     map[string]string `yaml:"environment"`
		Ports           []string          `yaml:"ports"`
		Secrets         []string          `yaml:"secrets"`
		StopGracePeriod string            `yaml:"stop_grace_period"`
		Command         []string          `yaml:"command"`
		Networks        yaml.Node         `yaml:"networks"`
	} `yaml:"services"`
}

// compose.yaml: each Hearth instance's variables are configuration keys
// the server accepts; its media port is published as itself; Caddy
// reaches it on its addr and is the trusted proxy; its instance URL names
// it; docker waits longer than its drain.
func TestComposeMatchesConfiguration(t *testing.T) {
	var c compose
	if err := yaml.Unmarshal(readDeploy(t, "compose.yaml"), &c); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	caddyfile := string(readDeploy(t, "Caddyfile.compose"))
	if !strings.Contains(caddyfile, "health_uri /readyz") {
		t.Error("Caddyfile.compose does not send traffic by /readyz")
	}
	var caddyIP string
	if caddy, ok := c.Services["caddy"]; ok {
		var nets map[string]struct {
			IPv4 string `yaml:"ipv4_address"`
		}
		if err := caddy.Networks.Decode(&nets); err == nil {
			caddyIP = nets["hearth"].IPv4
		}
	}
	if caddyIP == "" {
		t.Fatal("compose.yaml: caddy has no fixed address to trust")
	}
	vars := map[string]string{"HEARTH_DOMAIN": "meet.example.org", "PUBLIC_IP": "203.0.113.10", "TURN_SECRET": "s3cret"}
	instances := 0
	for name, s := range c.Services {
		if !strings.HasPrefix(name, "hearth-") {
			continue
		}
		instances++
		env := map[string]string{}
		for k, v := range s.Environment {
			env[k] = os.Expand(v, func(n string) string { return vars[n] })
		}
		checkEnvNames(t, "compose.yaml "+name, env)
		cfg := configFrom(t, "compose.yaml "+name, env)
		if want := strconv.Itoa(cfg.ICEUDPPort) + ":" + strconv.Itoa(cfg.ICEUDPPort) + "/udp"; !slicesContains(s.Ports, want) {
			t.Errorf("%s: ports %v, want %s (HEARTH_ICE_UDP_PORT published as itself)", name, s.Ports, want)
		}
		addrPort := strconv.Itoa(portOfAddr(t, cfg.Addr))
		if !strings.Contains(caddyfile, s.Hostname+":"+addrPort) {
			t.Errorf("Caddyfile.compose does not reach %s on %s:%s", name, s.Hostname, addrPort)
		}
		if cfg.InstanceURL != "ws://"+s.Hostname+":"+addrPort+"/ws" {
			t.Errorf("%s: instance URL %s does not name it", name, cfg.InstanceURL)
		}
		if proxies, _ := cfg.trustedProxies(); len(proxies) != 1 || proxies[0].String() != caddyIP+"/32" {
			t.Errorf("%s trusts %v, want only Caddy (%s)", name, proxies, caddyIP)
		}
		if env["HEARTH_ADMIN_TOKEN_FILE"] != "/run/secrets/admin_token" || !slicesContains(s.Secrets, "admin_token") {
			t.Errorf("%s: the admin token is not the admin_token secret", name)
		}
		if grace, err := time.ParseDuration(s.StopGracePeriod); err != nil || grace <= cfg.DrainTimeout {
			t.Errorf("%s: stop_grace_period %q is not longer than drain-timeout %v", name, s.StopGracePeriod, cfg.DrainTimeout)
		}
		if cfg.RedisURL == "" || cfg.MetricsAddr == "" {
			t.Errorf("%s: no Redis or no metrics listener", name)
		}
	}
	if coturn, ok := c.Services["coturn"]; ok {
		args := strings.Join(coturn.Command, " ")
		for name, s := range c.Services {
			if !strings.HasPrefix(name, "hearth-") {
				continue
			}
			if s.Environment["HEARTH_TURN_SECRET"] != "${TURN_SECRET}" || !strings.Contains(args, "--static-auth-secret=${TURN_SECRET}") {
				t.Errorf("%s and coturn do not share the TURN secret", name)
			}
			if !strings.Contains(s.Environment["HEARTH_TURN_URL"], ":3478?") || !strings.Contains(args, "--listening-port=3478") {
				t.Errorf("%s's turn-url does not name coturn's port", name)
			}
		}
	}
	if instances != 2 {
		t.Errorf("compose.yaml has %d Hearth instances, want 2", instances)
	}
	for _, want := range []string{"redis-1", "redis-2", "sentinel-1", "sentinel-2", "sentinel-3", "coturn", "caddy"} {
		if _, ok := c.Services[want]; !ok {
			t.Errorf("compose.yaml has no service %s", want)
		}
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// k8sObject is the part of a Kubernetes object the test reads.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data map[string]string `yaml:"data"`
	Spec struct {
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Ports []struct {
			Name       string `yaml:"name"`
			Protocol   string `yaml:"protocol"`
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec struct {
				TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
				Containers                    []struct {
					Name string   `yaml:"name"`
					Args []string `yaml:"args"`
					Env  []struct {
						Name  string `yaml:"name"`
						Value string `yaml:"value"`
					} `yaml:"env"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
						HostPort      int    `yaml:"hostPort"`
						Protocol      string `yaml:"protocol"`
					} `yaml:"ports"`
					ReadinessProbe k8sProbe `yaml:"readinessProbe"`
					LivenessProbe  k8sProbe `yaml:"livenessProbe"`
					Lifecycle      struct {
						PreStop map[string]any `yaml:"preStop"`
					} `yaml:"lifecycle"`
					VolumeMounts []k8sMount `yaml:"volumeMounts"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// readK8s reads every object of a multi-document manifest.
func readK8s(t *testing.T, name string) []k8sObject {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(readDeploy(t, filepath.Join("kubernetes", name))))
	var out []k8sObject
	for {
		var o k8sObject
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("kubernetes/%s: %v", name, err)
		}
		out = append(out, o)
	}
}

// The Kubernetes manifests: the Deployment runs with the ConfigMap's
// configuration (which the server accepts) and known variables; its
// ports are the configuration's; readiness is /readyz and liveness
// /healthz on the HTTP port; a preStop hook and a grace period longer
// than the drain; the PodDisruptionBudget and Services select its pods and
// name its ports; Redis is there.
func TestKubernetesMatchesConfiguration(t *testing.T) {
	objs := append(readK8s(t, "hearth.yaml"), readK8s(t, "redis.yaml")...)
	byKind := map[string][]k8sObject{}
	for _, o := range objs {
		byKind[o.Kind] = append(byKind[o.Kind], o)
	}
	if len(byKind["Deployment"]) != 1 || len(byKind["ConfigMap"]) != 1 || len(byKind["PodDisruptionBudget"]) != 1 {
		t.Fatalf("want one Deployment, ConfigMap and PodDisruptionBudget, got %d, %d, %d",
			len(byKind["Deployment"]), len(byKind["ConfigMap"]), len(byKind["PodDisruptionBudget"]))
	}
	dep := byKind["Deployment"][0]
	pod := dep.Spec.Template.Spec
	ctr := pod.Containers[0]
	env := map[string]string{}
	for _, e := range ctr.Env {
		env[e.Name] = e.Value
	}
	checkEnvNames(t, "the Deployment", env)
	if len(ctr.Args) != 2 || ctr.Args[0] != "--config" {
		t.Fatalf("container args %v, want --config FILE", ctr.Args)
	}
	file := ctr.Args[1]
	var cmFile string
	for _, m := range ctr.VolumeMounts {
		if m.Name == "config" {
			cmFile = strings.TrimPrefix(file, m.MountPath+"/")
		}
	}
	content, ok := byKind["ConfigMap"][0].Data[cmFile]
	if !ok {
		t.Fatalf("--config %s is not a file of the ConfigMap mounted as config", file)
	}
	c := config{}
	_ = applyYAML(&c, []byte(content))
	if c.AdminTokenFile == "" || !strings.HasPrefix(c.AdminTokenFile, mountOf(ctr.VolumeMounts, "admin")+"/") {
		t.Fatalf("admin-token-file %q is not in the admin Secret's mount", c.AdminTokenFile)
	}
	// The Secret's file does not exist here: point at one that does.
	path := writeFile(t, "hearth.yaml", strings.ReplaceAll(content, c.AdminTokenFile, writeFile(t, "token", "test-token")))
	env["HEARTH_ICE_PUBLIC_IP"] = "192.0.2.7" // from the downward API
	env["HEARTH_INSTANCE_URL"] = strings.ReplaceAll(env["HEARTH_INSTANCE_URL"], "$(POD_IP)", "10.1.2.3")
	cfg := configFrom(t, "the Deployment", env, "--config", path)
	ports := map[string]int{}
	for _, p := range ctr.Ports {
		ports[p.Name] = p.ContainerPort
		if p.Name == "media-udp" && (p.Protocol != "UDP" || p.ContainerPort != cfg.ICEUDPPort || p.HostPort != cfg.ICEUDPPort) {
			t.Errorf("media port %+v, want UDP %d on the container and the host", p, cfg.ICEUDPPort)
		}
	}
	if ports["http"] != portOfAddr(t, cfg.Addr) || ports["metrics"] != portOfAddr(t, cfg.MetricsAddr) || ports["media-udp"] == 0 {
		t.Errorf("container ports %v, want http %s, metrics %s and media-udp", ports, cfg.Addr, cfg.MetricsAddr)
	}
	if p := ctr.ReadinessProbe.HTTPGet; p.Path != "/readyz" || p.Port != "http" {
		t.Errorf("readiness probe %+v, want /readyz on http", p)
	}
	if p := ctr.LivenessProbe.HTTPGet; p.Path != "/healthz" || p.Port != "http" {
		t.Errorf("liveness probe %+v, want /healthz on http", p)
	}
	if ctr.Lifecycle.PreStop == nil {
		t.Error("no preStop hook")
	}
	if grace := time.Duration(pod.TerminationGracePeriodSeconds) * time.Second; grace <= cfg.DrainTimeout {
		t.Errorf("terminationGracePeriodSeconds %v is not longer than drain-timeout %v", grace, cfg.DrainTimeout)
	}
	labels := dep.Spec.Template.Metadata.Labels
	selects := func(sel map[string]string) bool {
		for k, v := range sel {
			if labels[k] != v {
				return false
			}
		}
		return len(sel) > 0
	}
	if !selects(byKind["PodDisruptionBudget"][0].Spec.Selector.MatchLabels) {
		t.Error("the PodDisruptionBudget does not select the Deployment's pods")
	}
	served := map[string]bool{}
	for _, s := range byKind["Service"] {
		if s.Metadata.Name == "redis" {
			served["redis"] = true
			continue
		}
		for _, p := range s.Spec.Ports {
			if _, ok := ports[p.TargetPort]; !ok {
				t.Errorf("Service %s: target port %q is not a container port", s.Metadata.Name, p.TargetPort)
			}
			served[p.TargetPort+"/"+p.Protocol] = true
		}
	}
	for _, want := range []string{"http/TCP", "media-udp/UDP", "redis"} {
		if !served[want] {
			t.Errorf("no Service for %s", want)
		}
	}
	if !strings.Contains(cfg.RedisURL, "redis.hearth.svc") {
		t.Errorf("redis-url %s does not name the redis Service", cfg.RedisURL)
	}
}

// k8sProbe is a container's HTTP probe.
type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// k8sMount is a container's volume mount.
type k8sMount struct {
	Name      string `yaml:"name"`
	MountPath string `yaml:"mountPath"`
}

// mountOf is where the volume name is mounted.
func mountOf(mounts []k8sMount, name string) string {
	for _, m := range mounts {
		if m.Name == name {
			return m.MountPath
		}
	}
	return "(none)"
}

// The Dockerfile: a non-root user, a final image without a shell whose
// HEALTHCHECK is `hearth healthcheck`, known variables; its build command,
// run here, gives a static binary that reports the version given.
func TestDockerfile(t *testing.T) {
	df := string(readDeploy(t, "Dockerfile"))
	from := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(df, -1)
	if len(from) < 2 || !strings.HasPrefix(from[len(from)-1][1], "gcr.io/distroless/static") {
		t.Errorf("the final stage is %v, want distroless static", from)
	}
	if u := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(df); u == nil || u[1] == "root" || strings.HasPrefix(u[1], "0") {
		t.Errorf("USER %v, want a non-root user", u)
	}
	if !regexp.MustCompile(`(?m)^HEALTHCHECK .*CMD \["/usr/local/bin/hearth", "healthcheck"\]`).MatchString(df) {
		t.Error("HEALTHCHECK does not run hearth healthcheck")
	}
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(HEARTH_[A-Z_]+)=(\S+)`).FindAllStringSubmatch(df, -1) {
		env[m[1]] = m[2]
	}
	checkEnvNames(t, "the Dockerfile", env)
	cfg := configFrom(t, "the Dockerfile", env)
	if !strings.Contains(df, "EXPOSE "+strconv.Itoa(portOfAddr(t, cfg.Addr))+"/tcp") || !strings.Contains(df, strconv.Itoa(cfg.ICEUDPPort)+"/udp") {
		t.Error("EXPOSE does not list the HTTP and media ports of its ENV")
	}

	build := regexp.MustCompile(`RUN (CGO_ENABLED=0 go build .*) -o /out/hearth (\./cmd/hearth)`).FindStringSubmatch(df)
	if build == nil {
		t.Fatal("no CGO_ENABLED=0 go build of ./cmd/hearth in the Dockerfile")
	}
	bin := filepath.Join(t.TempDir(), "hearth")
	cmd := exec.Command("sh", "-c", build[1]+" -o "+bin+" "+build[2])
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "VERSION=v0.0.0-docker-test")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary is dynamically linked")
		}
	}
	if out, err := exec.Command(bin, "version").Output(); err != nil || !strings.HasPrefix(string(out), "hearth v0.0.0-docker-test ") {
		t.Errorf("hearth version: %q %v", out, err)
	}
}

// The systemd unit: hardened as the issue asks, its variables known, a
// stop timeout longer than the example configuration's drain, and
// `systemd-analyze verify` finds nothing (with ExecStart pointed at an
// executable that exists here).
func TestSystemdUnit(t *testing.T) {
	unit := string(readDeploy(t, "hearth.service"))
	for _, want := range []string{"DynamicUser=yes", "StateDirectory=hearth", "ProtectSystem=strict", "NoNewPrivileges=yes",
		"CapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", "AmbientCapabilities=CAP_NET_BIND_SERVICE\n",
		"ExecStart=/usr/local/bin/hearth --config /etc/hearth/hearth.yaml\n"} {
		if !strings.Contains(unit, want) {
			t.Errorf("deploy/hearth.service lacks %q", strings.TrimSpace(want))
		}
	}
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^Environment=(HEARTH_[A-Z_]+)=(\S+)`).FindAllStringSubmatch(unit, -1) {
		env[m[1]] = m[2]
	}
	checkEnvNames(t, "deploy/hearth.service", env)
	example := string(readDeploy(t, "hearth.yaml"))
	c, err := defaults()
	if err != nil {
		t.Fatal(err)
	}
	if err := applyYAML(&c, []byte(example)); err != nil || c.check() != nil {
		t.Fatalf("deploy/hearth.yaml: %v %v", err, c.check())
	}
	if c.DataDir != "/var/lib/hearth" || !strings.Contains(unit, "WorkingDirectory=/var/lib/hearth") {
		t.Errorf("data-dir %s is not the unit's state directory /var/lib/hearth", c.DataDir)
	}
	if portOfAddr(t, c.Addr) != 443 {
		t.Errorf("deploy/hearth.yaml listens on %s, want :443 (the capability's reason)", c.Addr)
	}
	m := regexp.MustCompile(`(?m)^TimeoutStopSec=(\d+)min$`).FindStringSubmatch(unit)
	if m == nil {
		t.Fatal("no TimeoutStopSec=<n>min")
	}
	if n, _ := strconv.Atoi(m[1]); time.Duration(n)*time.Minute <= c.DrainTimeout {
		t.Errorf("TimeoutStopSec=%smin is not longer than drain-timeout %v", m[1], c.DrainTimeout)
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed here: the unit was checked by its text only")
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "hearth.service")
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(unit, "/usr/local/bin/hearth", self)), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", "--man=no", copyPath).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
