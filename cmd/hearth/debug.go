package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
)

// checkDebugAddr refuses a --debug-addr that is not on loopback. The
// profiles it serves are for operators on the machine (or through an SSH
// tunnel): they name no participant, but they show the server's code,
// its goroutines and its memory, and a CPU profile or trace costs CPU
// while it runs, so they are never offered to the network.
func checkDebugAddr(addr string) error {
	if addr == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("debug-addr: %q is not a listen address such as 127.0.0.1:6060", addr)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("debug-addr: %q is not a loopback address: profiles are served only on 127.0.0.1, ::1 or localhost", addr)
	}
	return nil
}

// debugHandler serves Go's runtime profiles (net/http/pprof) under
// /debug/pprof/: the index, the named profiles (heap, allocs, goroutine,
// threadcreate, block, mutex), a CPU profile (profile?seconds=N), an
// execution trace (trace?seconds=N) and symbol lookup. The command line
// (pprof's cmdline) is left out: it may hold --admin-token.
func debugHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/debug/pprof/cmdline" {
			http.NotFound(w, r)
			return
		}
		pprof.Index(w, r)
	})
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	return mux
}
