package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// addrPattern matches an IP address in any of the forms libraries write:
// IPv4 (192.0.2.1, 192.0.2.1:3478) and IPv6 in full, compressed or mixed
// form (2001:db8::1, ::1, ::, ::ffff:192.0.2.1, 64:ff9b::198.51.100.1),
// with a zone (fe80::1%eth0, %25eth0 in URLs), in brackets with or without
// a port ([::1]:6379). The port, zone and brackets go with the address. It
// errs on the side of removing: anything with two colons between hex
// digits (a time such as 12:30:45, a MAC address) is taken for an address.
const addrPattern = `\[(?:` + reIPv6 + `)` + reZone + `\]` + rePort +
	`|(?:` + reIPv6 + `)` + reZone +
	`|\b` + reIPv4 + `\b` + rePort

// The parts of addrPattern.
const (
	reHex  = `[0-9A-Fa-f]{1,4}`
	reIPv4 = `(?:\d{1,3}\.){3}\d{1,3}`
	// reIPv6 ends with a group (or an embedded IPv4 address), perhaps
	// followed by "::", or is all colons and groups ending in "::" (::,
	// 1::). A single colon after an address ("dial 2001:db8::1: refused")
	// is not taken as part of it.
	reIPv6 = `(?:(?:` + reHex + `)?:){2,7}(?:` + reIPv4 + `|` + reHex + `)(?:::)?|(?:(?:` + reHex + `)?:){1,7}:`
	reZone = `(?:%[0-9A-Za-z_~-]+(?:\.[0-9A-Za-z_~-]+)*)?`
	rePort = `(?::\d{1,5})?`
)

// newLogger builds the server's logger. Whatever is logged, IP addresses
// are replaced by <addr> in messages, strings and errors: libraries write
// addresses into their errors (a failed dial, a refused candidate), and
// Hearth's logs never hold an address.
func newLogger(cfg config, w io.Writer) (*zap.Logger, error) {
	level, err := zapcore.ParseLevel(cfg.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	var enc zapcore.Encoder
	if cfg.LogFormat == "console" {
		enc = zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig())
	} else {
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	}
	core := zapcore.NewCore(enc, zapcore.AddSync(w), level)
	return zap.New(&redactCore{Core: core, re: regexp.MustCompile(addrPattern)}), nil
}

// redactCore removes addresses from entries before they are written.
type redactCore struct {
	zapcore.Core
	re *regexp.Regexp
}

func (c *redactCore) With(fields []zapcore.Field) zapcore.Core {
	return &redactCore{Core: c.Core.With(c.clean(fields)), re: c.re}
}

func (c *redactCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *redactCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = c.redact(e.Message)
	return c.Core.Write(e, c.clean(fields))
}

// redact replaces every address in s by <addr>.
func (c *redactCore) redact(s string) string {
	if !strings.ContainsAny(s, ".:") { // no address without one of them
		return s
	}
	return c.re.ReplaceAllString(s, "<addr>")
}

func (c *redactCore) clean(fields []zapcore.Field) []zapcore.Field {
	out := make([]zapcore.Field, len(fields))
	for i, f := range fields {
		switch f.Type {
		case zapcore.StringType:
			f.String = c.redact(f.String)
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok {
				f = zap.NamedError(f.Key, errors.New(c.redact(err.Error())))
			}
		case zapcore.StringerType:
			if s, ok := f.Interface.(fmt.Stringer); ok {
				f = zap.String(f.Key, c.redact(s.String()))
			}
		}
		out[i] = f
	}
	return out
}

// redisLogger routes go-redis's own messages into the (redacting) logger.
type redisLogger struct{ log *zap.Logger }

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...))
}
