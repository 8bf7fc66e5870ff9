package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// listeners are the sockets of one run: the main one (HTTPS with TLS),
// the plain-HTTP one that redirects to it (with TLS only), the metrics
// one (with --metrics-addr only) and the profiling one (with --debug-addr
// only).
type listeners struct {
	main, redirect, metrics, debug net.Listener
	tls                            *tlsSetup // nil without TLS
}

// openListeners opens the configuration's listeners.
func openListeners(c config, log *zap.Logger) (*listeners, error) {
	ts, err := newTLS(c, log)
	if err != nil {
		return nil, err
	}
	l := &listeners{tls: ts}
	listen := func(key, addr string) (net.Listener, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("%s %s: %w", key, addr, err)
		}
		return ln, nil
	}
	if l.main, err = listen("addr", c.Addr); err != nil {
		return nil, err
	}
	if ts != nil {
		l.main = tls.NewListener(l.main, ts.config)
		if addr := c.HTTPRedirectAddr; addr != "off" {
			if addr == "" {
				addr = ":80"
			}
			if l.redirect, err = listen("http-redirect-addr", addr); err != nil {
				return nil, err
			}
		}
	}
	if c.MetricsAddr != "" {
		if l.metrics, err = listen("metrics-addr", c.MetricsAddr); err != nil {
			return nil, err
		}
	}
	if c.DebugAddr != "" {
		if l.debug, err = listen("debug-addr", c.DebugAddr); err != nil {
			return nil, err
		}
	}
	return l, nil
}

func (l *listeners) close() {
	for _, ln := range []net.Listener{l.main, l.redirect, l.metrics, l.debug} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// logFields are the listeners' ports, for the "serving" line (ports only:
// Hearth's logs carry no IP addresses).
func (l *listeners) logFields() []zap.Field {
	f := []zap.Field{zap.Int("http_port", portOf(l.main.Addr())), zap.Bool("tls", l.tls != nil)}
	if l.redirect != nil {
		f = append(f, zap.Int("http_redirect_port", portOf(l.redirect.Addr())))
	}
	if l.metrics != nil {
		f = append(f, zap.Int("metrics_port", portOf(l.metrics.Addr())))
	}
	if l.debug != nil {
		f = append(f, zap.Int("debug_port", portOf(l.debug.Addr())))
	}
	return f
}

// servers serve HTTP on listeners until shut down.
type servers struct {
	list []*http.Server
	errc chan error
}

// serve starts srv on ln (when ln is not nil).
func (s *servers) serve(ln net.Listener, h http.Handler, log *zap.Logger) {
	if ln == nil {
		return
	}
	if s.errc == nil {
		s.errc = make(chan error, 4) // one per listener
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: zap.NewStdLog(log)}
	s.list = append(s.list, srv)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.errc <- err
		}
	}()
}

// shutdown stops every server, letting requests in flight end until ctx
// ends.
func (s *servers) shutdown(ctx context.Context) error {
	var errs []error
	for _, srv := range s.list {
		errs = append(errs, srv.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
