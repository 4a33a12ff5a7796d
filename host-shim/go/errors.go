package eventbus

import (
	"errors"
	"fmt"
)

// Status is an ABI status code (aceb_status). The values are the header's and are never renumbered.
type Status int32

// The ABI's status codes.
const (
	StatusOK              Status = 0
	StatusBusy            Status = 1
	StatusInvalid         Status = 2
	StatusBadState        Status = 3
	StatusBufferTooSmall  Status = 4
	StatusConfigError     Status = 5
	StatusIOError         Status = 6
	StatusVersionMismatch Status = 7
	StatusInternal        Status = 8
)

// String gives the header's name: "ACEB_BUSY", ...; an unknown code is "ACEB_<n>".
func (s Status) String() string {
	switch s {
	case StatusOK:
		return "ACEB_OK"
	case StatusBusy:
		return "ACEB_BUSY"
	case StatusInvalid:
		return "ACEB_INVALID"
	case StatusBadState:
		return "ACEB_BAD_STATE"
	case StatusBufferTooSmall:
		return "ACEB_BUFFER_TOO_SMALL"
	case StatusConfigError:
		return "ACEB_CONFIG_ERROR"
	case StatusIOError:
		return "ACEB_IO_ERROR"
	case StatusVersionMismatch:
		return "ACEB_VERSION_MISMATCH"
	case StatusInternal:
		return "ACEB_INTERNAL"
	}
	return fmt.Sprintf("ACEB_<%d>", int32(s))
}

// Error is a call the plugin refused: which call, the status it returned, and its text (for a
// configuration error the text names the key and the value).
type Error struct {
	Op      string // "create", "start", "publish", ...; empty for the sentinels
	Status  Status
	Message string
	// The plugin's ABI lacks the function (ErrNotSupported); Status is then ACEB_INVALID.
	unsupported bool
}

func (e *Error) Error() string {
	text := "eventbus: "
	if e.Op != "" {
		text += e.Op + ": "
	}
	if e.Message == "" {
		return text + e.Status.String()
	}
	return text + e.Message + " (" + e.Status.String() + ")"
}

// Is matches a sentinel (an *Error with no Op and no Message) by status, so that
// errors.Is(err, ErrBusy) holds for every ACEB_BUSY the plugin returns.
func (e *Error) Is(target error) bool {
	sentinel, ok := target.(*Error)
	if ok && sentinel == ErrNotSupported {
		return e.unsupported
	}
	return ok && sentinel.Op == "" && sentinel.Message == "" && sentinel.Status == e.Status
}

// Sentinels for errors.Is, one per status.
var (
	ErrBusy            = &Error{Status: StatusBusy}            // publish: the ingest queue is full or behind; retry the same event later
	ErrInvalid         = &Error{Status: StatusInvalid}         // a malformed event, or a bad argument
	ErrBadState        = &Error{Status: StatusBadState}        // publish before Start or after Stop, Start twice, ...: harmless
	ErrConfig          = &Error{Status: StatusConfigError}     // create: a configuration value is invalid
	ErrIO              = &Error{Status: StatusIOError}         // start: the listener could not be set up
	ErrVersionMismatch = &Error{Status: StatusVersionMismatch} // Open: the plugin does not speak ABI 1.x
	ErrInternal        = &Error{Status: StatusInternal}        // a bug or resource exhaustion in the plugin
)

// ErrNotSupported matches a call of a function the plugin's ABI version does not have (Reconfigure on
// an ABI 1.0 plugin): nothing was called.
var ErrNotSupported = &Error{Status: StatusInvalid, Message: "the plugin's ABI version lacks this function", unsupported: true}

// ErrClosed is returned by every method of a Bus after Close. It also matches ErrBadState, because
// for a caller such as the bridge's relay both mean "the bus no longer takes events".
var ErrClosed = &Error{Op: "bus", Status: StatusBadState, Message: "the bus is closed"}

// ErrUnavailable is returned by Open in a build without cgo (CGO_ENABLED=0), which cannot load a
// shared object.
var ErrUnavailable = errors.New("eventbus: unavailable: this program was built without cgo (CGO_ENABLED=0)")
