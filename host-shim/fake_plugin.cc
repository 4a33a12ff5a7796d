// A stand-in eventbus plugin for the loader's tests. Its behaviour is scripted through the
// configuration:
//   fail_create = TEXT      create fails with ACEB_CONFIG_ERROR and TEXT
//   fail_start = TEXT       start fails with ACEB_IO_ERROR and TEXT
//   websocket_enabled = false   listen_url answers ACEB_BAD_STATE
//   stats_bytes = N         stats writes a JSON object of at least N bytes
//   log = TEXT              create logs TEXT at ACEB_LOG_INFO
// publish accepts any text starting with "{", answers ACEB_BUSY to "busy", ACEB_INVALID with a
// 10000-byte reason to "long-error", and ACEB_INVALID with a short reason to anything else.
// Negotiating minor version 99 returns a table whose struct_size ends before `stats` (the entries
// after it are filled in, to catch a reader that ignores struct_size).
// It is an ABI 1.0 plugin: its table's struct_size ends before `reconfigure` (ABI 1.1), which is filled
// in all the same and logs "reconfigure called" at ACEB_LOG_ERROR, so that a host calling a function its
// plugin does not have shows in the log. A plugin of the past cannot be built from today's header any
// other way: this table is the one stand-in for it.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "armorclaw/eventbus.h"

struct aceb_plugin {
  aceb_host host{};
  std::string fail_start;
  bool websocket_enabled = true;
  size_t stats_bytes = 0;
  std::atomic<int> state{0};  // 0 created, 1 started, 2 stopped.
  std::atomic<unsigned long> published{0};
};

namespace {

std::string_view View(aceb_string s) { return {s.data != nullptr ? s.data : "", s.size}; }

void WriteError(aceb_buffer* error, std::string_view text) {
  if (error == nullptr) return;
  const size_t n = std::min(text.size(), error->capacity);
  if (n > 0) std::memcpy(error->data, text.data(), n);
  error->size = text.size();
}

aceb_status WriteOutput(aceb_buffer* out, std::string_view text) {
  if (out == nullptr) return ACEB_INVALID;
  out->size = text.size();
  if (text.size() > out->capacity) return ACEB_BUFFER_TOO_SMALL;
  std::memcpy(out->data, text.data(), text.size());
  return ACEB_OK;
}

aceb_status Create(const aceb_host* host, const aceb_config_entry* entries, size_t count,
                   aceb_plugin** out, aceb_buffer* error) {
  if (host == nullptr || out == nullptr || (entries == nullptr && count > 0)) return ACEB_INVALID;
  auto* plugin = new aceb_plugin;
  std::memcpy(&plugin->host, host, std::min<size_t>(host->struct_size, sizeof(aceb_host)));
  for (size_t i = 0; i < count; ++i) {
    const std::string_view key = View(entries[i].key);
    const std::string_view value = View(entries[i].value);
    if (key == "fail_create") {
      WriteError(error, value);
      delete plugin;
      return ACEB_CONFIG_ERROR;
    }
    if (key == "fail_start") plugin->fail_start = value;
    if (key == "websocket_enabled") plugin->websocket_enabled = value != "false";
    if (key == "stats_bytes") {
      plugin->stats_bytes = std::strtoul(std::string(value).c_str(), nullptr, 10);
    }
    if (key == "log" && plugin->host.log != nullptr) {
      plugin->host.log(plugin->host.host_context, ACEB_LOG_INFO, entries[i].value);
    }
  }
  *out = plugin;
  return ACEB_OK;
}

aceb_status Start(aceb_plugin* plugin, aceb_buffer* error) {
  if (plugin == nullptr) return ACEB_INVALID;
  if (!plugin->fail_start.empty()) {
    WriteError(error, plugin->fail_start);
    return ACEB_IO_ERROR;
  }
  int created = 0;
  return plugin->state.compare_exchange_strong(created, 1) ? ACEB_OK : ACEB_BAD_STATE;
}

aceb_status ListenUrl(aceb_plugin* plugin, aceb_buffer* out) {
  if (plugin == nullptr) return ACEB_INVALID;
  if (plugin->state != 1 || !plugin->websocket_enabled) return ACEB_BAD_STATE;
  return WriteOutput(out, "ws://127.0.0.1:1/events");
}

aceb_status Publish(aceb_plugin* plugin, const char* event_json, size_t size, aceb_buffer* error) {
  if (plugin == nullptr || (event_json == nullptr && size > 0)) return ACEB_INVALID;
  if (plugin->state != 1) return ACEB_BAD_STATE;
  const std::string_view event(event_json != nullptr ? event_json : "", size);
  if (event == "busy") return ACEB_BUSY;
  if (event == "long-error") {
    WriteError(error, std::string(10000, 'x'));
    return ACEB_INVALID;
  }
  if (!event.starts_with("{")) {
    WriteError(error, "not a JSON object");
    return ACEB_INVALID;
  }
  ++plugin->published;
  return ACEB_OK;
}

aceb_status Stats(aceb_plugin* plugin, aceb_buffer* out) {
  if (plugin == nullptr) return ACEB_INVALID;
  std::string json =
      "{\"published\":" + std::to_string(plugin->published.load()) + ",\"padding\":\"";
  if (json.size() + 2 < plugin->stats_bytes)
    json.append(plugin->stats_bytes - json.size() - 2, 'p');
  json += "\"}";
  return WriteOutput(out, json);
}

aceb_status Stop(aceb_plugin* plugin, uint32_t /*grace_ms*/) {
  if (plugin == nullptr) return ACEB_INVALID;
  int started = 1;
  return plugin->state.compare_exchange_strong(started, 2) ? ACEB_OK : ACEB_BAD_STATE;
}

aceb_status Destroy(aceb_plugin* plugin) {
  if (plugin == nullptr) return ACEB_INVALID;
  delete plugin;
  return ACEB_OK;
}

aceb_status Reconfigure(aceb_plugin* plugin, const aceb_config_entry*, size_t, aceb_buffer*) {
  if (plugin == nullptr) return ACEB_INVALID;
  static constexpr std::string_view kCalled = "reconfigure called";
  if (plugin->host.log != nullptr) {
    plugin->host.log(plugin->host.host_context, ACEB_LOG_ERROR, {kCalled.data(), kCalled.size()});
  }
  return ACEB_OK;
}

// Where an ABI 1.0 table ends: after destroy.
constexpr size_t kAbi10ApiSize = offsetof(aceb_api, reconfigure);

constexpr aceb_api kApi = {kAbi10ApiSize,
                           ACEB_ABI_VERSION_MAJOR,
                           0,
                           0,
                           Create,
                           Start,
                           ListenUrl,
                           Publish,
                           Stats,
                           Stop,
                           Destroy,
                           Reconfigure};
constexpr aceb_api kShortApi = {offsetof(aceb_api, stats),
                                ACEB_ABI_VERSION_MAJOR,
                                0,
                                0,
                                Create,
                                Start,
                                ListenUrl,
                                Publish,
                                Stats,
                                Stop,
                                Destroy,
                                Reconfigure};

}  // namespace

extern "C" aceb_status aceb_negotiate(const aceb_negotiation* request, const aceb_api** api) {
  if (request == nullptr || api == nullptr ||
      request->struct_size < offsetof(aceb_negotiation, abi_minor) + sizeof(uint32_t)) {
    return ACEB_INVALID;
  }
  if (request->abi_major != ACEB_ABI_VERSION_MAJOR) {
    *api = nullptr;
    return ACEB_VERSION_MISMATCH;
  }
  *api = request->abi_minor == 99 ? &kShortApi : &kApi;
  return ACEB_OK;
}
