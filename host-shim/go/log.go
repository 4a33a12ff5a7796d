package eventbus

// Level is the level of a plugin log line (ACEB_LOG_*).
type Level int32

// The ABI's log levels.
const (
	LevelDebug Level = 0
	LevelInfo  Level = 1
	LevelWarn  Level = 2
	LevelError Level = 3
)

func (l Level) String() string {
	switch l {
	case LevelDebug:
		return "DEBUG"
	case LevelInfo:
		return "INFO"
	case LevelWarn:
		return "WARN"
	case LevelError:
		return "ERROR"
	}
	return "LOG"
}

// LogFunc receives the plugin's log lines. It is called from the plugin's own thread or from the
// goroutine of a call in progress, possibly from both at once: it must be safe for concurrent use,
// return quickly, and never call back into the Bus.
type LogFunc func(level Level, message string)
