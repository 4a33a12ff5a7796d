//go:build cgo

package eventbus

/*
#include <stdlib.h>
#include "abi_calls.h"
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Library is the loaded and negotiated plugin. It is never unloaded (see the package comment) and
// may create any number of independent buses.
type Library struct {
	path string
	api  *C.aceb_api // C memory: the plugin's table, copied once, read by every call
}

// Open loads the plugin at path with dlopen(RTLD_NOW | RTLD_LOCAL), looks up aceb_negotiate and
// negotiates ABI 1.x. A plugin that refuses the version gives an error matching ErrVersionMismatch.
func Open(path string) (*Library, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var entry unsafe.Pointer
	var failure C.aceb_go_text
	handle := C.aceb_go_load(cpath, &entry, &failure)
	if handle == nil {
		return nil, fmt.Errorf("eventbus: cannot load plugin %s: %s", path, takeText(&failure))
	}
	api := (*C.aceb_api)(C.calloc(1, C.sizeof_aceb_api))
	if api == nil {
		C.aceb_go_unload(handle)
		return nil, fmt.Errorf("eventbus: out of memory loading %s", path)
	}
	status := C.aceb_go_negotiate(entry, ABIMajor, ABIMinor, api)
	if status != C.ACEB_OK {
		C.free(unsafe.Pointer(api))
		C.aceb_go_unload(handle)
		return nil, &Error{Op: "open", Status: Status(status),
			Message: fmt.Sprintf("plugin %s does not support ABI version %d.%d", path, ABIMajor, ABIMinor)}
	}
	// Every function of ABI 1.0 must be there: a table shorter than ours lacks some.
	if api.abi_major != ABIMajor || uintptr(api.struct_size) < unsafe.Sizeof(*api) {
		major, size := api.abi_major, api.struct_size
		C.free(unsafe.Pointer(api))
		C.aceb_go_unload(handle)
		return nil, &Error{Op: "open", Status: StatusVersionMismatch,
			Message: fmt.Sprintf("plugin %s implements ABI %d.x with a %d-byte function table", path, major, size)}
	}
	return &Library{path: path, api: api}, nil
}

// Path is the path the library was loaded from.
func (l *Library) Path() string { return l.path }
