/*
 * armorclaw/eventbus.h — the whole contract between a host (the ArmorClaw bridge, or any program)
 * and the armorclaw-eventbus plugin.
 *
 * Written for a reader in any language: C99, <stddef.h> and <stdint.h> only, fixed-width integers,
 * no bool or enum-typed fields, every name prefixed `aceb_` / `ACEB_`.
 *
 * Lifecycle
 *   1. The host loads the shared object (dlopen) and looks up the one exported symbol,
 *      `aceb_negotiate`, whose type is `aceb_negotiate_fn`.
 *   2. It calls it with the ABI version it was compiled against. The plugin accepts when the
 *      major versions are equal (minor versions may differ) and hands back its function table.
 *   3. create -> start -> (publish, stats, listen_url ...) -> stop -> destroy.
 *      A plugin is started at most once; after stop it can only be destroyed.
 *
 * Compatibility rules
 *   - Every struct that crosses the boundary starts with `struct_size` and only ever grows at its
 *     end. A reader copies min(struct_size, sizeof(its own struct)) bytes into zeroed memory, so an
 *     older or newer peer works: fields it does not know are zero.
 *   - Status codes are never renumbered. Released functions are frozen; a changed signature is a
 *     new `_v2` entry appended to `aceb_api`.
 *
 * Ownership
 *   - Everything the host passes in (strings, arrays, structs) is borrowed for the duration of the
 *     call only; the plugin copies what it keeps.
 *   - Everything the plugin passes to a host callback is valid only until that callback returns.
 *   - Output buffers (`aceb_buffer`) are owned by the caller; the plugin only writes into them.
 *   - Neither side ever frees the other's memory. The plugin handle is opaque and is freed only
 *     by `destroy`. The function table returned by `aceb_negotiate` is static and stays valid
 *     until the shared object is unloaded.
 *
 * Threading
 *   - create, start, stop and destroy are called by the host one at a time (never concurrently
 *     with each other, never from inside a callback).
 *   - publish, stats and listen_url are thread-safe: any host thread may call them at any time
 *     between create and destroy, concurrently with each other and with start/stop. publish never
 *     blocks on I/O or on clients.
 *   - The plugin runs one thread of its own (started by start, joined by stop), and a second one
 *     for the operator listener when metrics_addr is set (same lifetime; it never calls a host
 *     callback). Host callbacks may be invoked from the first thread or from the thread of the call
 *     in progress; they must return quickly and must not call back into the plugin. After stop
 *     returns no callback comes again.
 *   - The plugin blocks all signals in its own threads and never installs signal handlers: the
 *     host owns signals.
 *   - There is no thread-local "last error": every error text goes into the caller's buffer.
 *
 * Failure
 *   No C++ exception, exit, abort or assertion escapes through this interface on any input;
 *   every function returns a status.
 */
#ifndef ARMORCLAW_EVENTBUS_H
#define ARMORCLAW_EVENTBUS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI version this header describes. Major changes break compatibility; minor ones only append. */
#define ACEB_ABI_VERSION_MAJOR 1u
#define ACEB_ABI_VERSION_MINOR 0u

/* The name of the one symbol the shared object exports. */
#define ACEB_ENTRY_SYMBOL "aceb_negotiate"

/* ---- Status codes (int32_t; never renumbered) ------------------------------------------------ */
typedef int32_t aceb_status;
#define ACEB_OK 0                  /* Success. */
#define ACEB_BUSY 1                /* publish: the ingest queue is full; the event was not taken.
                                      Retry later; nothing else is wrong. */
#define ACEB_INVALID 2             /* An argument is wrong: a null pointer where one is required, or a
                                      malformed event (publish). The error buffer, if given, says why. */
#define ACEB_BAD_STATE 3           /* The call does not fit the plugin's state: publish before start
                                      or after stop, start twice, stop before start or twice,
                                      listen_url while not listening. Harmless: nothing changed. */
#define ACEB_BUFFER_TOO_SMALL 4    /* stats/listen_url: the output did not fit; `size` of the buffer
                                      now holds the number of bytes needed. */
#define ACEB_CONFIG_ERROR 5        /* create: a configuration value is invalid. The error text names
                                      the key and the value. */
#define ACEB_IO_ERROR 6            /* start: the listener could not be set up (address in use,
                                      permission denied, ...). The error text says which address. */
#define ACEB_VERSION_MISMATCH 7    /* aceb_negotiate: the host's major ABI version is not supported. */
#define ACEB_INTERNAL 8            /* A bug or resource exhaustion inside the plugin (for example
                                      out of memory). The error text, if any, says what. */

/* ---- Plain data types -------------------------------------------------------------------------- */

/* A UTF-8 string that is NOT NUL-terminated. `data` may be NULL only when `size` is 0. */
typedef struct aceb_string {
  const char* data;
  size_t size;
} aceb_string;

/* A caller-owned output buffer. The plugin writes at most `capacity` bytes to `data` and always
 * sets `size` to the full length of what it had to say. When size > capacity the text was truncated
 * (error texts) or nothing usable was written (stats, listen_url, which return
 * ACEB_BUFFER_TOO_SMALL). The output is not NUL-terminated. `data` may be NULL when `capacity` is 0,
 * which is how a caller asks for the size needed. */
typedef struct aceb_buffer {
  char* data;
  size_t capacity;
  size_t size;
} aceb_buffer;

/* Log levels passed to the host's log callback. */
#define ACEB_LOG_DEBUG 0
#define ACEB_LOG_INFO 1
#define ACEB_LOG_WARN 2
#define ACEB_LOG_ERROR 3

/* The host's log sink. `message` is valid only until the call returns. Called from the plugin's
 * thread or from the thread of a host call in progress; may be called concurrently from both, so
 * it must be thread-safe and quick, and must not call back into the plugin. */
typedef void (*aceb_log_fn)(void* host_context, int32_t level, aceb_string message);

/* What the host offers the plugin. Borrowed during create; the plugin copies the fields. */
typedef struct aceb_host {
  uint32_t struct_size;   /* sizeof(aceb_host) as the host compiled it. */
  uint32_t reserved;      /* Zero. */
  void* host_context;     /* Passed back verbatim to every callback; never dereferenced. */
  aceb_log_fn log;        /* May be NULL: the plugin then logs nothing. */
} aceb_host;

/* One `[eventbus]` configuration entry: the key and its value as plain text ("true", "100", "30m",
 * "0.0.0.0:8444"); TOML arrays as JSON array text. Borrowed for the call only. */
typedef struct aceb_config_entry {
  aceb_string key;
  aceb_string value;
} aceb_config_entry;

/* An opaque plugin instance, owned by the plugin and freed only by destroy. */
typedef struct aceb_plugin aceb_plugin;

/* ---- The function table ------------------------------------------------------------------------ */
typedef struct aceb_api {
  uint32_t struct_size;   /* sizeof(aceb_api) as the plugin compiled it: functions beyond it are absent. */
  uint32_t abi_major;     /* The plugin's ABI version. */
  uint32_t abi_minor;
  uint32_t reserved;

  /* Creates an instance from the host table and the configuration. Validates every value; an
   * unknown key is reported through the log callback (ACEB_LOG_WARN) and ignored. Does not bind
   * or start anything.
   * Returns ACEB_OK and sets *out; ACEB_CONFIG_ERROR (error names key and value);
   * ACEB_INVALID for a null host or out, or entries == NULL with count > 0; ACEB_INTERNAL.
   * `error` may be NULL. */
  aceb_status (*create)(const aceb_host* host, const aceb_config_entry* entries, size_t count,
                        aceb_plugin** out, aceb_buffer* error);

  /* Binds and listens (when websocket_enabled is true) and starts the plugin's thread. With
   * websocket_enabled = false it succeeds and serves nothing (publish still accepts events).
   * Returns ACEB_OK; ACEB_IO_ERROR when the address cannot be bound; ACEB_BAD_STATE when already
   * started or stopped; ACEB_INVALID for a null plugin. Never exits the process. */
  aceb_status (*start)(aceb_plugin* plugin, aceb_buffer* error);

  /* Writes the URL clients connect to, e.g. "ws://127.0.0.1:8444/events", with the port actually
   * bound (so websocket_addr port 0 works). Returns ACEB_OK; ACEB_BUFFER_TOO_SMALL (size = needed);
   * ACEB_BAD_STATE when not listening; ACEB_INVALID for null arguments. */
  aceb_status (*listen_url)(aceb_plugin* plugin, aceb_buffer* out);

  /* Publishes one Matrix event: a JSON object of `size` bytes at `event_json`, copied before
   * return. Thread-safe; never blocks. Each accepted event gets the next bus sequence number
   * (1, 2, 3, ...), in the order the calls took it.
   * Returns ACEB_OK (accepted); ACEB_BUSY (ingest queue full, not taken); ACEB_INVALID (not a
   * valid Matrix event: the error says why); ACEB_BAD_STATE (before start or after stop).
   * `error` may be NULL. */
  aceb_status (*publish)(aceb_plugin* plugin, const char* event_json, size_t size, aceb_buffer* error);

  /* Writes a JSON object of counters (see docs/abi.md) into `out`. Thread-safe.
   * Returns ACEB_OK; ACEB_BUFFER_TOO_SMALL (size = needed); ACEB_INVALID for null arguments. */
  aceb_status (*stats)(aceb_plugin* plugin, aceb_buffer* out);

  /* Stops gracefully: stops accepting, sends every client a close frame 1001 "going away", waits at
   * most `grace_ms` milliseconds for the closes to complete, drops what remains, and joins the
   * plugin's thread. After it returns no callback comes again and publish returns ACEB_BAD_STATE.
   * Returns ACEB_OK; ACEB_BAD_STATE when not started or already stopped; ACEB_INVALID. */
  aceb_status (*stop)(aceb_plugin* plugin, uint32_t grace_ms);

  /* Frees the instance (stopping it first, with no grace, if it is still running). The handle is
   * invalid afterwards. No other call on this instance may be in progress or follow.
   * Returns ACEB_OK; ACEB_INVALID for a null plugin. */
  aceb_status (*destroy)(aceb_plugin* plugin);
} aceb_api;

/* What the host asks for in the negotiation. */
typedef struct aceb_negotiation {
  uint32_t struct_size;   /* sizeof(aceb_negotiation) as the host compiled it. */
  uint32_t abi_major;     /* ACEB_ABI_VERSION_MAJOR as the host compiled it. */
  uint32_t abi_minor;     /* ACEB_ABI_VERSION_MINOR as the host compiled it. */
  uint32_t reserved;      /* Zero. */
} aceb_negotiation;

/* The exported entry point. Any thread; no side effects. Sets *api to the plugin's static table.
 * Returns ACEB_OK; ACEB_VERSION_MISMATCH when request->abi_major differs from the plugin's
 * (*api is set to NULL); ACEB_INVALID for null arguments or a struct_size too small to hold the
 * version fields. */
typedef aceb_status (*aceb_negotiate_fn)(const aceb_negotiation* request, const aceb_api** api);

#if defined(__GNUC__)
__attribute__((visibility("default")))
#endif
aceb_status aceb_negotiate(const aceb_negotiation* request, const aceb_api** api);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ARMORCLAW_EVENTBUS_H */
