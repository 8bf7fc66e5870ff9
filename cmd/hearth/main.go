// Command hearth is the Hearth meeting server: signaling over WebSocket,
// media through its own SFU, and the browser client, in one binary.
//
// With no configuration it keeps rooms' definitions in ./hearth-data and
// running meetings in memory; on the first start it creates a demo room,
// and on every start it prints the demo room's member and facilitator
// links.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/hearth-meet/hearth/media"
	"github.com/hearth-meet/hearth/room"
	"github.com/hearth-meet/hearth/signaling"
	"github.com/hearth-meet/hearth/signaling/admin"
	"github.com/hearth-meet/hearth/signaling/cluster"
	"github.com/hearth-meet/hearth/signaling/verify"
	"github.com/hearth-meet/hearth/web"
)

func main() {
	// The first SIGTERM (or interrupt) starts the server's drain (a
	// subcommand stops), a second one ends at once.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	drainNow := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		close(drainNow)
		<-sigs
		stop()
	}()
	err := dispatch(ctx, drainNow, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "hearth:", err)
		os.Exit(1)
	}
}

// run starts the server and serves until ctx ends, or, once drainNow is
// closed, until the drain ends (see drain). Links go to stdout, logs to
// stderr. ready, if not nil, gets the HTTP address once serving.
func run(ctx context.Context, drainNow <-chan struct{}, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- net.Addr) error {
	cfg, err := parseConfig(args, getenv, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	defer func() { _ = log.Sync() }()

	sfu, err := newSFU(cfg, log)
	if err != nil {
		return err
	}
	defer func() { _ = sfu.Close() }()

	lns, err := openListeners(cfg, log)
	if err != nil {
		return err
	}
	defer lns.close()
	ln := lns.main
	var serverTLS *tls.Config
	if lns.tls != nil {
		serverTLS = lns.tls.config
	}
	turns, err := startTURN(cfg, sfu, serverTLS, log)
	if err != nil {
		return err
	}
	defer turns.close()

	st, err := newState(ctx, cfg, ln.Addr(), log)
	if err != nil {
		return err
	}
	defer st.close()
	rooms := room.NewServiceWith(room.ServiceParams{Store: st.store, Directory: st.dir})
	base := cfg.baseURL(ln.Addr())
	proofs, err := verify.New(ctx, verify.Params{Keys: st.dir, BaseURL: base, Log: log.Named("verify")})
	if err != nil {
		return err
	}
	sp := signaling.Params{Rooms: rooms, SFU: sfu, Log: log.Named("signaling"), Admission: cfg.admission(),
		ResumeGrace: cfg.ResumeGrace, Proofs: proofs}
	if turns != nil {
		sp.ICEServers = turns.iceServers
	}
	if st.registry != nil {
		cl := cluster.New(cluster.Params{Registry: st.registry, Rooms: rooms, SFU: sfu, Log: log.Named("cluster")})
		defer cl.Close()
		sp.Cluster = cl
	}
	sig := signaling.NewServer(sp)

	if err := printDemoLinks(ctx, rooms, base, stdout); err != nil {
		return err
	}

	srvs := serveHTTP(cfg, lns, sig, proofs, st, rooms, turns, sfu, base, log)
	log.Info("serving", append(lns.logFields(), zap.Int("media_udp_port", portOf(sfu.LocalAddr())))...)
	if ready != nil {
		ready <- ln.Addr()
	}
	return waitAndStop(ctx, drainNow, cfg, srvs, sig, st, log)
}

// newSFU makes the media server from the configuration.
func newSFU(cfg config, log *zap.Logger) (*media.SFU, error) {
	return media.New(media.Config{
		UDPPort:        cfg.ICEUDPPort,
		LoopbackOnly:   cfg.ICELoopbackOnly,
		PublicIPs:      cfg.publicIPs(),
		BatchWriteSize: cfg.BatchSize,
		Networks:       cfg.iceNetworks(),
		TCPPort:        cfg.ICETCPPort,
	}, log.Named("media"))
}

// serveHTTP starts the HTTP servers on the open listeners: the meeting
// page, the WebSocket, the operators' API and admin page, the health
// endpoints, /metrics (on metrics-addr when set), the redirect to HTTPS
// and the runtime profiles (on debug-addr when set); proofs serves
// /verify.
func serveHTTP(cfg config, lns *listeners, sig *signaling.Server, proofs *verify.Service, st *state, rooms *room.Service, turns *turnSetup,
	sfu *media.SFU, base string, log *zap.Logger) *servers {
	ln := lns.main
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(sfu, sig), newReachCollector(sfu, turns.server()), newLayersCollector(sfu), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	publicMetrics := metrics
	if lns.metrics != nil {
		publicMetrics = nil // only on --metrics-addr
	}
	// Not ready while draining (a load balancer's health check sends
	// newcomers elsewhere), nor while the room state cannot be reached.
	notReady := func(ctx context.Context) string {
		if sig.Draining() {
			return "draining"
		}
		if st.ready(ctx) != nil {
			return "room state unreachable"
		}
		return ""
	}
	srvs := &servers{}
	srvs.serve(ln, routes(sig, web.HandlerWith(web.Options{SupportText: cfg.SupportText, CrisisText: cfg.CrisisText}), admin.Handler(admin.Params{
		Rooms: rooms, Log: log.Named("admin"), Token: cfg.AdminToken, BaseURL: base,
		Version: versionLine(), Instance: instanceName(st), Ready: func(ctx context.Context) error {
			if why := notReady(ctx); why != "" {
				return errors.New(why)
			}
			return nil
		}, ClientAddr: sig.ClientAddr, ProofKeys: proofs.Keys}), proofs, notReady, publicMetrics), log.Named("http"))
	if lns.redirect != nil {
		srvs.serve(lns.redirect, lns.tls.redirect(cfg.httpsBase(ln.Addr())), log.Named("http"))
	}
	if lns.metrics != nil {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		srvs.serve(lns.metrics, mux, log.Named("http"))
	}
	srvs.serve(lns.debug, debugHandler(), log.Named("http"))
	return srvs
}

// waitAndStop serves until the context ends, the servers fail, or a
// drain was asked for (then it drains first), and shuts down.
func waitAndStop(ctx context.Context, drainNow <-chan struct{}, cfg config, srvs *servers, sig *signaling.Server,
	st *state, log *zap.Logger) error {
	select {
	case err := <-srvs.errc:
		return err
	case <-ctx.Done():
	case <-drainNow:
		var cl others
		if st.registry != nil {
			cl = st.registry
		}
		drain(ctx, sig, cl, cfg.DrainTimeout, log.Named("drain"))
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = sig.Shutdown(sctx)
	return srvs.shutdown(sctx)
}

func portOf(a net.Addr) int {
	switch a := a.(type) {
	case *net.TCPAddr:
		return a.Port
	case *net.UDPAddr:
		return a.Port
	}
	return 0
}

// routes are the public listener's; verify serves /verify (proofs of
// attendance); metrics is nil when /metrics is served on its own
// listener. notReady returns why /readyz fails, "" when ready.
func routes(sig *signaling.Server, client, admin, verify http.Handler, notReady func(context.Context) string, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	mux.Handle("/api/", admin)
	mux.Handle("/admin/session", admin)
	mux.Handle("GET /admin", client)
	mux.Handle("GET /ws", sig)
	mux.Handle("GET /r/{room}", client)
	mux.HandleFunc("POST /r/{room}/name", sig.RoomName)
	mux.Handle("GET /assets/", client)
	mux.Handle("/verify", verify)
	mux.Handle("/verify/keys", verify)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if why := notReady(r.Context()); why != "" {
			http.Error(w, "not ready: "+why, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
