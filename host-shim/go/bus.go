//go:build cgo

package eventbus

/*
#include <stdlib.h>
#include "abi_calls.h"
*/
import "C"

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime/cgo"
	"sync"
	"unsafe"
)

// Text outputs (stats, listen_url) grow on ACEB_BUFFER_TOO_SMALL; past this the plugin misbehaves.
const maxTextOutput = 64 << 20

// Bus is one plugin instance, from Create to Close. See the package comment for which methods may
// run concurrently.
type Bus struct {
	api *C.aceb_api

	// lifecycle serializes Start, Stop and Close with each other.
	lifecycle sync.Mutex
	// mu guards plugin: every call holds it for reading, Close for writing, so that destroy never
	// runs under a call in progress.
	mu     sync.RWMutex
	plugin *C.aceb_plugin // nil once closed
	log    cgo.Handle     // 0 without a LogFunc; deleted only after destroy
}

// Create makes an instance from entries (given to the plugin in this order) with log as its log
// sink (nil: the plugin logs nothing). Nothing is bound until Start. A bad value gives an error
// matching ErrConfig whose text names the key and the value.
func (l *Library) Create(entries []Entry, log LogFunc) (*Bus, error) {
	config, free := cEntries(entries)
	defer free()
	var handle cgo.Handle
	if log != nil {
		handle = cgo.NewHandle(log)
	}
	var plugin *C.aceb_plugin
	var failure C.aceb_go_text
	status := C.aceb_go_create(l.api, C.uintptr_t(handle), config, C.size_t(len(entries)), &plugin, &failure)
	if err := statusError("create", status, takeText(&failure)); err != nil {
		if handle != 0 {
			handle.Delete() // create failed: no instance kept the handle
		}
		return nil, err
	}
	if plugin == nil {
		if handle != 0 {
			handle.Delete()
		}
		return nil, &Error{Op: "create", Status: StatusInternal, Message: "create returned ACEB_OK without an instance"}
	}
	return &Bus{api: l.api, plugin: plugin, log: handle}, nil
}

// cEntries copies entries into C memory (the plugin borrows them for the create call only).
func cEntries(entries []Entry) (*C.aceb_config_entry, func()) {
	if len(entries) == 0 {
		return nil, func() {}
	}
	first := (*C.aceb_config_entry)(C.calloc(C.size_t(len(entries)), C.sizeof_aceb_config_entry))
	array := unsafe.Slice(first, len(entries))
	var texts []unsafe.Pointer
	text := func(s string) C.aceb_string {
		if s == "" {
			return C.aceb_string{}
		}
		data := C.CBytes([]byte(s))
		texts = append(texts, data)
		return C.aceb_string{data: (*C.char)(data), size: C.size_t(len(s))}
	}
	for i, entry := range entries {
		array[i].key = text(entry.Key)
		array[i].value = text(entry.Value)
	}
	return first, func() {
		for _, data := range texts {
			C.free(data)
		}
		C.free(unsafe.Pointer(first))
	}
}

// Start binds the listener (unless websocket_enabled is false) and starts the plugin's thread.
// ErrIO: the address could not be bound (the text says which); ErrBadState: already started or
// stopped.
func (b *Bus) Start() error {
	return b.withLifecycle(func(plugin *C.aceb_plugin) error {
		var failure C.aceb_go_text
		status := C.aceb_go_start(b.api, plugin, &failure)
		return statusError("start", status, takeText(&failure))
	})
}

// Reconfigure replaces the configuration of a created or running bus with entries, the whole new
// configuration as for Create (a key left out takes its default); it returns once the new values are in
// force (ABI 1.1). All or nothing: ErrConfig when a value is invalid or when a key that takes a restart
// would change (websocket_addr, websocket_path, websocket_enabled, TLS on or off, ingest_queue_events,
// metrics_addr; the text names each), and nothing changed. ErrNotSupported when the plugin speaks ABI 1.0
// (its table ends before reconfigure, which is then not called); ErrBadState after Stop.
// Not concurrent with Start or Stop (it waits for them).
func (b *Bus) Reconfigure(entries []Entry) error {
	config, free := cEntries(entries)
	defer free()
	return b.withLifecycle(func(plugin *C.aceb_plugin) error {
		var absent C.int
		var failure C.aceb_go_text
		status := C.aceb_go_reconfigure(b.api, plugin, config, C.size_t(len(entries)), &absent, &failure)
		text := takeText(&failure)
		if absent != 0 {
			return &Error{Op: "reconfigure", Status: Status(status), Message: text, unsupported: true}
		}
		return statusError("reconfigure", status, text)
	})
}

// Publish hands one event (a JSON object, such as the bridge's MatrixEvent marshalled) to the bus.
// It never blocks and copies the bytes before it returns. Each accepted event gets the next
// sequence number, in the order the calls took it, so call it from one goroutine to keep an order.
// ErrBusy: the ingest queue is full, or its oldest event waited longer than max_ingest_delay, and the
// event was not taken (retry it); ErrInvalid: not a valid event (the text says why); ErrBadState: before
// Start or after Stop; ErrClosed: after Close.
func (b *Bus) Publish(eventJSON []byte) error {
	return b.withPlugin(func(plugin *C.aceb_plugin) error {
		var data *C.char
		if len(eventJSON) > 0 {
			// A Go pointer to bytes without Go pointers, for the duration of the call only: allowed.
			data = (*C.char)(unsafe.Pointer(&eventJSON[0]))
		}
		var failure C.aceb_go_text
		status := C.aceb_go_publish(b.api, plugin, data, C.size_t(len(eventJSON)), &failure)
		return statusError("publish", status, takeText(&failure))
	})
}

// ListenURL is the URL clients connect to, with the port actually bound ("ws://127.0.0.1:41234/events").
// ErrBadState when not listening (before Start, after Stop, or websocket_enabled = false).
func (b *Bus) ListenURL() (string, error) {
	text, err := b.fetchText("listen_url", 256, func(plugin *C.aceb_plugin, out *C.aceb_buffer) C.aceb_status {
		return C.aceb_go_listen_url(b.api, plugin, out)
	})
	return string(text), err
}

// StatsJSON is the plugin's stats object as it wrote it (docs/abi.md#stats-fields).
func (b *Bus) StatsJSON() ([]byte, error) {
	return b.fetchText("stats", 2048, func(plugin *C.aceb_plugin, out *C.aceb_buffer) C.aceb_status {
		return C.aceb_go_stats(b.api, plugin, out)
	})
}

// Stats is the stats object decoded: counters are json.Number (they are unsigned 64-bit integers,
// which a float64 would round), websocket_enabled is a bool. It marshals back unchanged, so the
// bridge's eventbus.get_stats can return it as its result.
func (b *Bus) Stats() (map[string]any, error) {
	text, err := b.StatsJSON()
	if err != nil {
		return nil, err
	}
	decoder := json.NewDecoder(bytes.NewReader(text))
	decoder.UseNumber()
	stats := map[string]any{}
	if err := decoder.Decode(&stats); err != nil {
		return nil, fmt.Errorf("eventbus: stats: %w", err)
	}
	return stats, nil
}

// fetchText calls a text-writing function (stats, listen_url) with a C buffer, growing it while the
// plugin answers ACEB_BUFFER_TOO_SMALL (counters may grow between two calls, hence the headroom).
func (b *Bus) fetchText(op string, capacity int,
	call func(plugin *C.aceb_plugin, out *C.aceb_buffer) C.aceb_status) ([]byte, error) {
	var text []byte
	err := b.withPlugin(func(plugin *C.aceb_plugin) error {
		for {
			data := C.malloc(C.size_t(capacity))
			if data == nil {
				return &Error{Op: op, Status: StatusInternal, Message: "out of memory"}
			}
			out := C.aceb_buffer{data: (*C.char)(data), capacity: C.size_t(capacity)}
			status := call(plugin, &out)
			if status == C.ACEB_OK {
				text = C.GoBytes(data, C.int(out.size))
			}
			C.free(data)
			if status != C.ACEB_BUFFER_TOO_SMALL {
				return statusError(op, status, "")
			}
			wanted := int(out.size) + int(out.size)/4 + 64
			if wanted < 2*capacity {
				wanted = 2 * capacity
			}
			if wanted > maxTextOutput {
				return &Error{Op: op, Status: StatusInternal, Message: fmt.Sprintf("asked for %d bytes", out.size)}
			}
			capacity = wanted
		}
	})
	return text, err
}

// Stop stops gracefully: clients get a close frame 1001 and the time left before ctx's deadline
// (DefaultStopGrace without a deadline, none once ctx is done) to complete it; then the plugin's
// thread is joined and no log line comes again. The call itself lasts at most that grace period
// and cannot be cut short. Publish afterwards returns ErrBadState. ErrBadState: not started, or
// already stopped.
func (b *Bus) Stop(ctx context.Context) error {
	return b.withLifecycle(func(plugin *C.aceb_plugin) error {
		return statusError("stop", C.aceb_go_stop(b.api, plugin, C.uint32_t(graceMillis(ctx))), "")
	})
}

// withPlugin runs fn on the instance under the read lock, so that Close waits for it; after Close
// it returns ErrClosed.
func (b *Bus) withPlugin(fn func(plugin *C.aceb_plugin) error) error {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.plugin == nil {
		return ErrClosed
	}
	return fn(b.plugin)
}

// withLifecycle is withPlugin for Start and Stop, which also wait for each other and for Close.
func (b *Bus) withLifecycle(fn func(plugin *C.aceb_plugin) error) error {
	b.lifecycle.Lock()
	defer b.lifecycle.Unlock()
	return b.withPlugin(fn)
}

// Close frees the instance, stopping it first without grace if it still runs, then releases the
// log callback. It waits for calls in progress on other goroutines. Calling it again returns nil.
func (b *Bus) Close() error {
	b.lifecycle.Lock()
	defer b.lifecycle.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.plugin == nil {
		return nil
	}
	status := C.aceb_go_destroy(b.api, b.plugin)
	b.plugin = nil
	if b.log != 0 {
		b.log.Delete() // after destroy: no callback can come any more
		b.log = 0
	}
	return statusError("destroy", status, "")
}
