//go:build !cgo

package eventbus

import "context"

// Without cgo nothing can be loaded; these keep the API so that a CGO_ENABLED=0 build of the bridge
// compiles, and Open says why it cannot work.

// Library is unavailable without cgo.
type Library struct{}

// Bus is unavailable without cgo.
type Bus struct{}

// Open returns ErrUnavailable: this build has no cgo.
func Open(path string) (*Library, error) { return nil, ErrUnavailable }

func (l *Library) Path() string                                      { return "" }
func (l *Library) Create(entries []Entry, log LogFunc) (*Bus, error) { return nil, ErrUnavailable }
func (b *Bus) Start() error                                          { return ErrUnavailable }
func (b *Bus) Publish(eventJSON []byte) error                        { return ErrUnavailable }
func (b *Bus) ListenURL() (string, error)                            { return "", ErrUnavailable }
func (b *Bus) StatsJSON() ([]byte, error)                            { return nil, ErrUnavailable }
func (b *Bus) Stats() (map[string]any, error)                        { return nil, ErrUnavailable }
func (b *Bus) Stop(ctx context.Context) error                        { return ErrUnavailable }
func (b *Bus) Reconfigure(entries []Entry) error                     { return ErrUnavailable }
func (b *Bus) Close() error                                          { return nil }
