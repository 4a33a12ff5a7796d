//go:build cgo

#include "abi_calls.h"

#include <dlfcn.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "_cgo_export.h"

/* Error texts are a line or two; a longer one is cut and its missing length reported. */
enum { kErrorCapacity = 4096 };

static void copy_text(const char* text, size_t size, size_t truncated, aceb_go_text* out) {
  out->data = NULL;
  out->size = 0;
  out->truncated = truncated;
  if (size == 0) return;
  out->data = malloc(size);
  if (out->data == NULL) return;
  memcpy(out->data, text, size);
  out->size = size;
}

/* What the plugin wrote into `buffer`, kept for Go only when the call failed. */
static aceb_status keep_error(aceb_status status, const aceb_buffer* buffer, aceb_go_text* out) {
  if (status == ACEB_OK) {
    out->data = NULL;
    out->size = 0;
    out->truncated = 0;
    return status;
  }
  const size_t written = buffer->size < buffer->capacity ? buffer->size : buffer->capacity;
  copy_text(buffer->data, written, buffer->size - written, out);
  return status;
}

void* aceb_go_load(const char* path, void** entry, aceb_go_text* error) {
  void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  const char* reason = NULL;
  *entry = NULL;
  if (handle != NULL) {
    dlerror(); /* clears a stale error, so that a failed lookup can be told from a null symbol */
    *entry = dlsym(handle, ACEB_ENTRY_SYMBOL);
    if (*entry == NULL) {
      reason = dlerror();
      dlclose(handle);
      handle = NULL;
      if (reason == NULL) reason = "the entry symbol " ACEB_ENTRY_SYMBOL " is null";
    }
  } else {
    reason = dlerror();
  }
  if (reason == NULL) reason = "dlopen failed";
  copy_text(reason, handle == NULL ? strlen(reason) : 0, 0, error);
  return handle;
}

void aceb_go_unload(void* handle) { dlclose(handle); }

aceb_status aceb_go_negotiate(void* entry, uint32_t major, uint32_t minor, aceb_api* out) {
  aceb_negotiate_fn negotiate;
  aceb_negotiation request;
  const aceb_api* table = NULL;
  aceb_status status;
  memcpy(&negotiate, &entry, sizeof negotiate); /* void* to function pointer, portably */
  memset(&request, 0, sizeof request);
  request.struct_size = sizeof request;
  request.abi_major = major;
  request.abi_minor = minor;
  memset(out, 0, sizeof *out);
  status = negotiate(&request, &table);
  if (status != ACEB_OK) return status;
  if (table == NULL || table->struct_size < offsetof(aceb_api, reserved)) return ACEB_INTERNAL;
  memcpy(out, table, table->struct_size < sizeof *out ? table->struct_size : sizeof *out);
  return ACEB_OK;
}

static void log_to_go(void* host_context, int32_t level, aceb_string message) {
  acebGoLog((uintptr_t)host_context, level, (char*)message.data, message.size);
}

aceb_status aceb_go_create(const aceb_api* api, uintptr_t log_handle, const aceb_config_entry* entries,
                           size_t count, aceb_plugin** out, aceb_go_text* error) {
  char text[kErrorCapacity];
  aceb_buffer buffer = {text, sizeof text, 0};
  aceb_host host;
  memset(&host, 0, sizeof host);
  host.struct_size = sizeof host;
  host.host_context = (void*)log_handle;
  host.log = log_handle != 0 ? log_to_go : NULL;
  return keep_error(api->create(&host, entries, count, out, &buffer), &buffer, error);
}

aceb_status aceb_go_start(const aceb_api* api, aceb_plugin* plugin, aceb_go_text* error) {
  char text[kErrorCapacity];
  aceb_buffer buffer = {text, sizeof text, 0};
  return keep_error(api->start(plugin, &buffer), &buffer, error);
}

aceb_status aceb_go_publish(const aceb_api* api, aceb_plugin* plugin, const char* event, size_t size,
                            aceb_go_text* error) {
  char text[kErrorCapacity];
  aceb_buffer buffer = {text, sizeof text, 0};
  return keep_error(api->publish(plugin, event, size, &buffer), &buffer, error);
}

aceb_status aceb_go_stats(const aceb_api* api, aceb_plugin* plugin, aceb_buffer* out) {
  return api->stats(plugin, out);
}

aceb_status aceb_go_listen_url(const aceb_api* api, aceb_plugin* plugin, aceb_buffer* out) {
  return api->listen_url(plugin, out);
}

aceb_status aceb_go_reconfigure(const aceb_api* api, aceb_plugin* plugin, const aceb_config_entry* entries,
                                size_t count, int* absent, aceb_go_text* error) {
  /* The ABI's rule for appended functions: present only when struct_size covers them. */
  *absent = api->struct_size < offsetof(aceb_api, reconfigure) + sizeof api->reconfigure;
  if (*absent) {
    static const char kAbsent[] = "the plugin speaks ABI 1.0, which has no reconfigure";
    copy_text(kAbsent, sizeof kAbsent - 1, 0, error);
    return ACEB_INVALID;
  }
  char text[kErrorCapacity];
  aceb_buffer buffer = {text, sizeof text, 0};
  return keep_error(api->reconfigure(plugin, entries, count, &buffer), &buffer, error);
}

aceb_status aceb_go_stop(const aceb_api* api, aceb_plugin* plugin, uint32_t grace_ms) {
  return api->stop(plugin, grace_ms);
}

aceb_status aceb_go_destroy(const aceb_api* api, aceb_plugin* plugin) { return api->destroy(plugin); }
