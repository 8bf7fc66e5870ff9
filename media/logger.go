package media

import (
	"fmt"
	"regexp"

	"github.com/pion/logging"
	"go.uber.org/zap"
)

// pionLoggers routes pion's logs to zap at warning level and above, with
// IP addresses removed from the text: pion writes candidate addresses into
// its messages, and Hearth never logs addresses.
type pionLoggers struct {
	log    *zap.Logger
	ipAddr *regexp.Regexp
}

func newPionLoggers(log *zap.Logger) *pionLoggers {
	return &pionLoggers{
		log: log,
		// IPv4, and anything that looks like an IPv6 address.
		ipAddr: regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b|\[?\b[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\]?`),
	}
}

// NewLogger implements logging.LoggerFactory.
func (f *pionLoggers) NewLogger(scope string) logging.LeveledLogger {
	return &pionLogger{f: f, log: f.log.With(zap.String("pion", scope))}
}

type pionLogger struct {
	f   *pionLoggers
	log *zap.Logger
}

func (l *pionLogger) clean(s string) string { return l.f.ipAddr.ReplaceAllString(s, "<addr>") }

func (l *pionLogger) Trace(string)          {}
func (l *pionLogger) Tracef(string, ...any) {}
func (l *pionLogger) Debug(string)          {}
func (l *pionLogger) Debugf(string, ...any) {}
func (l *pionLogger) Info(string)           {}
func (l *pionLogger) Infof(string, ...any)  {}
func (l *pionLogger) Warn(msg string)       { l.log.Warn(l.clean(msg)) }
func (l *pionLogger) Warnf(format string, args ...any) {
	l.log.Warn(l.clean(fmt.Sprintf(format, args...)))
}
func (l *pionLogger) Error(msg string) { l.log.Error(l.clean(msg)) }
func (l *pionLogger) Errorf(format string, args ...any) {
	l.log.Error(l.clean(fmt.Sprintf(format, args...)))
}
