/* abi_calls.h: C trampolines between Go and the plugin's function table. Go cannot call a C
 * function pointer, so each entry of aceb_api is called from here. Errors come back as text the
 * trampoline copied into malloc'd memory (only on failure, so a successful publish allocates
 * nothing); the Go side frees it. */
#ifndef ARMORCLAW_EVENTBUS_GO_ABI_CALLS_H
#define ARMORCLAW_EVENTBUS_GO_ABI_CALLS_H

#include <stddef.h>
#include <stdint.h>

#include "armorclaw/eventbus.h"

/* An error text handed to Go: `data` is malloc'd (or NULL when there was none); `truncated` is the
 * number of bytes the plugin had to say beyond what fitted. */
typedef struct aceb_go_text {
  char* data;
  size_t size;
  size_t truncated;
} aceb_go_text;

/* dlopen(path, RTLD_NOW | RTLD_LOCAL) and dlsym(ACEB_ENTRY_SYMBOL). Returns the handle, or NULL
 * with *error set to dlerror()'s text (malloc'd). */
void* aceb_go_load(const char* path, void** entry, aceb_go_text* error);
/* dlclose, for a plugin that failed the negotiation. */
void aceb_go_unload(void* handle);

/* Negotiates ABI major.minor through `entry` and copies the plugin's table into *out as the ABI
 * says: min(struct_size, sizeof(aceb_api)) bytes into zeroed memory. */
aceb_status aceb_go_negotiate(void* entry, uint32_t major, uint32_t minor, aceb_api* out);

/* create with a host table whose log callback reaches Go (acebGoLog) with `log_handle`, a
 * runtime/cgo.Handle; log_handle 0 means no log callback. */
aceb_status aceb_go_create(const aceb_api* api, uintptr_t log_handle, const aceb_config_entry* entries,
                           size_t count, aceb_plugin** out, aceb_go_text* error);
aceb_status aceb_go_start(const aceb_api* api, aceb_plugin* plugin, aceb_go_text* error);
aceb_status aceb_go_publish(const aceb_api* api, aceb_plugin* plugin, const char* event, size_t size,
                            aceb_go_text* error);
aceb_status aceb_go_stats(const aceb_api* api, aceb_plugin* plugin, aceb_buffer* out);
aceb_status aceb_go_listen_url(const aceb_api* api, aceb_plugin* plugin, aceb_buffer* out);
/* ABI 1.1 reconfigure. A table whose struct_size ends before it (an ABI 1.0 plugin) is not called:
 * returns ACEB_INVALID with *error saying so and sets *absent to 1. */
aceb_status aceb_go_reconfigure(const aceb_api* api, aceb_plugin* plugin, const aceb_config_entry* entries,
                                size_t count, int* absent, aceb_go_text* error);
aceb_status aceb_go_stop(const aceb_api* api, aceb_plugin* plugin, uint32_t grace_ms);
aceb_status aceb_go_destroy(const aceb_api* api, aceb_plugin* plugin);

#endif
