// Package eventbus drives the armorclaw-eventbus plugin (armorclaw-eventbus.so) from Go through its
// C ABI, abi/include/armorclaw/eventbus.h (see docs/abi.md and docs/bridge-integration.md).
//
// Open loads the shared object once per process and negotiates ABI 1.x; Library.Create makes an
// instance from the bridge's [eventbus] entries; Start, then Publish from any goroutine; Stop; Close.
//
//	lib, err := eventbus.Open("/usr/lib/armorclaw/armorclaw-eventbus.so")
//	bus, err := lib.Create(entries, logFunc)
//	err = bus.Start()
//	err = bus.Publish(eventJSON) // never blocks; errors.Is(err, eventbus.ErrBusy) is retryable
//	err = bus.Stop(ctx)          // grace period = time left before ctx's deadline
//	err = bus.Close()
//
// Concurrency: Publish, Stats, StatsJSON and ListenURL may be called from any goroutine at any time,
// also while Start or Stop runs. Start, Stop and Close are serialized with each other. Close waits
// for calls in progress and frees the instance; afterwards every method returns ErrClosed (which
// also matches ErrBadState), and Close itself returns nil again.
//
// Errors: a refusal by the plugin is an *Error carrying the ABI status and the plugin's own text;
// errors.Is matches it against ErrBusy, ErrInvalid, ErrBadState, ErrConfig, ErrIO, ... by status.
//
// The shared object is never unloaded: the bridge loads it once, and the plugin pins libraries that
// must not be unloaded anyway. Built with CGO_ENABLED=0 the package still compiles, and Open returns
// ErrUnavailable.
package eventbus
