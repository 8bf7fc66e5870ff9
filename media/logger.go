package media

import (
	"fmt"

	"github.com/pion/logging"
	"go.uber.org/zap"
)

// pionLoggers routes pion's logs to zap at warning level and above. pion
// writes candidate addresses into its messages: the logger given to New
// must remove them (cmd/hearth's does, for every log line).
type pionLoggers struct {
	log *zap.Logger
}

func newPionLoggers(log *zap.Logger) *pionLoggers { return &pionLoggers{log: log} }

// NewLogger implements logging.LoggerFactory.
func (f *pionLoggers) NewLogger(scope string) logging.LeveledLogger {
	return &pionLogger{log: f.log.With(zap.String("pion", scope))}
}

type pionLogger struct {
	log *zap.Logger
}

func (l *pionLogger) Trace(string)                      {}
func (l *pionLogger) Tracef(string, ...any)             {}
func (l *pionLogger) Debug(string)                      {}
func (l *pionLogger) Debugf(string, ...any)             {}
func (l *pionLogger) Info(string)                       {}
func (l *pionLogger) Infof(string, ...any)              {}
func (l *pionLogger) Warn(msg string)                   { l.log.Warn(msg) }
func (l *pionLogger) Warnf(format string, args ...any)  { l.log.Warn(fmt.Sprintf(format, args...)) }
func (l *pionLogger) Error(msg string)                  { l.log.Error(msg) }
func (l *pionLogger) Errorf(format string, args ...any) { l.log.Error(fmt.Sprintf(format, args...)) }
