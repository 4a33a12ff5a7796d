package eventbus

import (
	"errors"
	"fmt"
	"testing"
)

func TestErrorsMatchTheirStatusSentinel(t *testing.T) {
	busy := &Error{Op: "publish", Status: StatusBusy, Message: "the ingest queue is full"}
	if !errors.Is(busy, ErrBusy) || errors.Is(busy, ErrInvalid) {
		t.Errorf("errors.Is(%v): ErrBusy %v, ErrInvalid %v", busy, errors.Is(busy, ErrBusy), errors.Is(busy, ErrInvalid))
	}
	wrapped := fmt.Errorf("relay: %w", &Error{Op: "create", Status: StatusConfigError, Message: "bad"})
	if !errors.Is(wrapped, ErrConfig) {
		t.Errorf("a wrapped config error does not match ErrConfig: %v", wrapped)
	}
	if got, want := busy.Error(), "eventbus: publish: the ingest queue is full (ACEB_BUSY)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if got, want := (&Error{Op: "stop", Status: StatusBadState}).Error(), "eventbus: stop: ACEB_BAD_STATE"; got != want {
		t.Errorf("Error() without a message = %q, want %q", got, want)
	}
	if got, want := Status(42).String(), "ACEB_<42>"; got != want {
		t.Errorf("unknown status = %q, want %q", got, want)
	}
}

func TestErrClosedIsABadStateButNotTheReverse(t *testing.T) {
	if !errors.Is(ErrClosed, ErrBadState) {
		t.Error("ErrClosed does not match ErrBadState")
	}
	stopped := &Error{Op: "publish", Status: StatusBadState, Message: "publish: the plugin is not running"}
	if errors.Is(stopped, ErrClosed) {
		t.Error("a plugin's ACEB_BAD_STATE matches ErrClosed")
	}
}
