//go:build !cgo

package eventbus

import (
	"errors"
	"testing"
)

// A CGO_ENABLED=0 build (the bridge's release build today) compiles and says why it cannot load.
func TestOpenWithoutCgoIsUnavailable(t *testing.T) {
	lib, err := Open("/usr/lib/armorclaw/armorclaw-eventbus.so")
	if !errors.Is(err, ErrUnavailable) || lib != nil {
		t.Fatalf("Open without cgo = %v, %v; want nil, ErrUnavailable", lib, err)
	}
}
