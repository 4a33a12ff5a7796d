//go:build cgo

package eventbus

// The ABI header lives in this repository (abi/include), two directories up: use the module from a
// checkout of armorclaw-eventbus (a `replace` directive in the bridge's go.mod, see
// docs/bridge-integration.md).

/*
#cgo CFLAGS: -I${SRCDIR}/../../abi/include -std=c99 -Wall
#cgo LDFLAGS: -ldl
#include <stdlib.h>
#include "abi_calls.h"
*/
import "C"

import "unsafe"

// takeText turns an error text the trampolines malloc'd into a Go string and frees it.
func takeText(text *C.aceb_go_text) string {
	if text.data == nil {
		return ""
	}
	defer C.free(unsafe.Pointer(text.data))
	message := C.GoStringN(text.data, C.int(text.size))
	if text.truncated > 0 {
		message += " [truncated]"
	}
	return message
}

// statusError is nil for ACEB_OK, else an *Error carrying the call, the status and the plugin's
// text (or the bare status name when it gave none).
func statusError(op string, status C.aceb_status, message string) error {
	if status == C.ACEB_OK {
		return nil
	}
	return &Error{Op: op, Status: Status(status), Message: message}
}
