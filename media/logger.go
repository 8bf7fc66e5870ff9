package media

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// warnEvery is how often one kind of pion warning is logged at most. pion
// logs a warning for many single packets it drops (a STUN request for an
// unknown user, a datagram from an address that is no candidate): anyone
// who can send UDP to the media port could otherwise write the logs.
const warnEvery = time.Minute

// maxWarnKinds bounds the kinds of warning remembered; warnings of further
// kinds share one.
const maxWarnKinds = 64

// packetWarnings names the warnings pion logs per packet received, by the
// start of their text (checked against pion/ice v4.4.8 and pion/webrtc
// v4.2.26 by sending garbage to the media port: see
// TestGarbageUDPIsQuiet). Each is one kind, whatever the rest of its text.
// Other warnings are each a kind of their own (by their format).
var packetWarnings = []struct{ prefix, kind string }{
	{"Failed to handle decode ICE", "stun_malformed"},    // udpmux, ice: undecodable STUN
	{"No Username attribute", "stun_no_username"},        // udpmux: STUN from an unknown address without USERNAME
	{"Discarded message from", "unknown_sender"},         // ice: not STUN, from no known candidate
	{"Discard ", "stun_refused"},                         // ice: wrong username, broken integrity, stray responses
	{"Failed to handle message", "stun_dropped"},         // ice: agent closing
	{"Warning: mux: no endpoint", "no_endpoint"},         // webrtc: neither DTLS, SRTP nor SRTCP
	{"Ignoring remote candidate", "candidate_ignored"},   // ice: filtered or unparsable candidate
	{"Discarding remote candidate", "candidate_ignored"}, // webrtc: candidate of an unknown type
	{"Failed to parse remote candidate", "candidate_ignored"},
	{"Failed to write packet", "buffer_full"}, // udpmux, ice: a connection's receive buffer is full
}

// pionLoggers routes pion's logs to zap at warning level and above, each
// kind of warning at most once per warnEvery; the others are counted in
// Stats.WarningsSuppressed. pion writes candidate addresses into its
// messages: the logger given to New must remove them (cmd/hearth's does,
// for every log line).
type pionLoggers struct {
	// static after construction
	log        *zap.Logger
	now        func() time.Time
	suppressed *atomic.Uint64

	mu    sync.Mutex // guards kinds and loggers
	kinds map[warnKey]*warnState
	// loggers are the loggers made, by scope: pion asks for a dozen per
	// peer connection, always of the same few scopes, and each zap
	// logger with a field of its own holds an encoder and its buffer
	// (~26 KiB a connection when made afresh each time).
	loggers map[string]*pionLogger
}

// warnKey is one kind of warning: a name from packetWarnings, or the
// scope and format of the call.
type warnKey struct{ scope, text string }

// overflowKey is the kind of every warning beyond maxWarnKinds.
var overflowKey = warnKey{text: "other"}

type warnState struct {
	last       time.Time // when one was last logged
	suppressed uint64    // not logged since
}

func newPionLoggers(log *zap.Logger, now func() time.Time, suppressed *atomic.Uint64) *pionLoggers {
	return &pionLoggers{log: log, now: now, suppressed: suppressed, kinds: map[warnKey]*warnState{},
		loggers: map[string]*pionLogger{}}
}

// maxLoggers bounds the loggers kept by scope; further scopes get a
// logger of their own each time.
const maxLoggers = 64

// NewLogger implements logging.LoggerFactory. A pionLogger holds no
// state of its own, so one per scope serves every connection.
func (f *pionLoggers) NewLogger(scope string) logging.LeveledLogger {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l := f.loggers[scope]; l != nil {
		return l
	}
	l := &pionLogger{f: f, scope: scope, log: f.log.With(zap.String("pion", scope))}
	if len(f.loggers) < maxLoggers {
		f.loggers[scope] = l
	}
	return l
}

// admit says whether a warning of kind k may be logged now, and how many
// of its kind were not logged since the last one.
func (f *pionLoggers) admit(k warnKey) (suppressed uint64, ok bool) {
	now := f.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.kinds[k]
	if st == nil && len(f.kinds) >= maxWarnKinds {
		k = overflowKey
		st = f.kinds[k]
	}
	if st == nil {
		f.kinds[k] = &warnState{last: now}
		return 0, true
	}
	if now.Sub(st.last) < warnEvery {
		st.suppressed++
		f.suppressed.Add(1)
		return 0, false
	}
	suppressed = st.suppressed
	st.last, st.suppressed = now, 0
	return suppressed, true
}

// kindOf returns the kind of a warning with the given format (or message).
func kindOf(scope, format string) (k warnKey, named bool) {
	for _, w := range packetWarnings {
		if strings.HasPrefix(format, w.prefix) {
			return warnKey{text: w.kind}, true
		}
	}
	return warnKey{scope: scope, text: format}, false
}

type pionLogger struct {
	f     *pionLoggers
	scope string
	log   *zap.Logger
}

func (l *pionLogger) Trace(string)                      {}
func (l *pionLogger) Tracef(string, ...any)             {}
func (l *pionLogger) Debug(string)                      {}
func (l *pionLogger) Debugf(string, ...any)             {}
func (l *pionLogger) Info(string)                       {}
func (l *pionLogger) Infof(string, ...any)              {}
func (l *pionLogger) Warn(msg string)                   { l.write(zapcore.WarnLevel, msg, nil) }
func (l *pionLogger) Warnf(format string, args ...any)  { l.write(zapcore.WarnLevel, format, args) }
func (l *pionLogger) Error(msg string)                  { l.write(zapcore.ErrorLevel, msg, nil) }
func (l *pionLogger) Errorf(format string, args ...any) { l.write(zapcore.ErrorLevel, format, args) }

// write logs one warning or error unless one of its kind was logged less
// than warnEvery ago. The message is formatted only when it is written.
func (l *pionLogger) write(level zapcore.Level, format string, args []any) {
	if !l.log.Core().Enabled(level) {
		return
	}
	k, named := kindOf(l.scope, format)
	suppressed, ok := l.f.admit(k)
	if !ok {
		return
	}
	msg := format
	if args != nil {
		msg = fmt.Sprintf(format, args...)
	}
	var fields []zap.Field
	if named {
		fields = append(fields, zap.String("kind", k.text))
	}
	if suppressed > 0 {
		fields = append(fields, zap.Uint64("suppressed", suppressed))
	}
	if ce := l.log.Check(level, msg); ce != nil {
		ce.Write(fields...)
	}
}
