package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// addrPattern matches IPv4 addresses and anything that looks like an IPv6
// address.
const addrPattern = `\b(?:\d{1,3}\.){3}\d{1,3}\b|\[?\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\]?`

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
	e.Message = c.re.ReplaceAllString(e.Message, "<addr>")
	return c.Core.Write(e, c.clean(fields))
}

func (c *redactCore) clean(fields []zapcore.Field) []zapcore.Field {
	out := make([]zapcore.Field, len(fields))
	for i, f := range fields {
		switch f.Type {
		case zapcore.StringType:
			f.String = c.re.ReplaceAllString(f.String, "<addr>")
		case zapcore.ErrorType:
			if err, ok := f.Interface.(error); ok {
				f = zap.NamedError(f.Key, errors.New(c.re.ReplaceAllString(err.Error(), "<addr>")))
			}
		case zapcore.StringerType:
			if s, ok := f.Interface.(fmt.Stringer); ok {
				f = zap.String(f.Key, c.re.ReplaceAllString(s.String(), "<addr>"))
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
