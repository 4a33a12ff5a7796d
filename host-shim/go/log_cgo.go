//go:build cgo

package eventbus

/*
#include <stdint.h>
*/
import "C"

import "runtime/cgo"

// acebGoLog is the plugin's log callback (reached through abi_calls.c's log_to_go). handle is the
// runtime/cgo.Handle of the bus's LogFunc: the plugin keeps the value, never a Go pointer. It stays
// valid until the instance is destroyed, after which no callback comes.
//
//export acebGoLog
func acebGoLog(handle C.uintptr_t, level C.int32_t, data *C.char, size C.size_t) {
	log := cgo.Handle(handle).Value().(LogFunc)
	log(Level(level), C.GoStringN(data, C.int(size)))
}
