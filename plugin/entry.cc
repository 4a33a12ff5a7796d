// The C boundary: the only extern "C" code and the only exported symbol. Every body catches everything,
// so no exception, and no failure on any input, reaches the host as anything but a status.
#include <algorithm>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string_view>

#include "absl/status/status.h"
#include "armorclaw/eventbus.h"
#include "plugin/plugin.h"
#include "common/string_view_compat.h"

using armorclaw::eventbus::ConfigEntries;
using armorclaw::eventbus::HostLog;
using armorclaw::eventbus::Plugin;

struct aceb_plugin {
  std::unique_ptr<Plugin> impl;
};

namespace {

// Writes what fits; reports the full size. Returns whether all of it fit.
bool WriteBuffer(aceb_buffer* out, std::string_view text) {
  if (out == nullptr) return false;
  if (out->data != nullptr) std::memcpy(out->data, text.data(), std::min(out->capacity, text.size()));
  out->size = text.size();
  return text.size() <= out->capacity && (out->data != nullptr || text.empty());
}

aceb_status ToStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return ACEB_OK;
    case absl::StatusCode::kResourceExhausted:
      return ACEB_BUSY;
    case absl::StatusCode::kInvalidArgument:
      return ACEB_INVALID;
    case absl::StatusCode::kFailedPrecondition:
      return ACEB_BAD_STATE;
    case absl::StatusCode::kUnavailable:
      return ACEB_IO_ERROR;
    default:
      return ACEB_INTERNAL;
  }
}

aceb_status Report(const absl::Status& status, aceb_buffer* error) {
  if (!status.ok()) WriteBuffer(error, armorclaw::ToStd(status.message()));
  return ToStatus(status);
}

// Runs `body`, turning anything it throws into ACEB_INTERNAL with the reason in `error`.
template <typename Body>
aceb_status Guarded(aceb_buffer* error, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    WriteBuffer(error, "out of memory");
  } catch (const std::exception& exception) {
    try {
      WriteBuffer(error, exception.what());
    } catch (...) {
    }
  } catch (...) {
    WriteBuffer(error, "unknown internal error");
  }
  return ACEB_INTERNAL;
}

std::string_view View(aceb_string text) {
  return text.data == nullptr ? std::string_view() : std::string_view(text.data, text.size);
}

// Copies min(struct_size, sizeof) into zeroed memory, so a host built against an older or newer header
// works: fields it does not know stay zero.
aceb_host ReadHost(const aceb_host* host) {
  aceb_host copy{};
  std::memcpy(&copy, host, std::min<size_t>(host->struct_size, sizeof copy));
  return copy;
}

ConfigEntries ReadEntries(const aceb_config_entry* entries, size_t count) {
  ConfigEntries config;
  config.reserve(count);
  for (size_t i = 0; i < count; ++i) config.emplace_back(View(entries[i].key), View(entries[i].value));
  return config;
}

// A configuration refused (InvalidArgument) is ACEB_CONFIG_ERROR, whatever create or reconfigure found.
aceb_status ReportConfig(const absl::Status& status, aceb_buffer* error) {
  if (status.code() != absl::StatusCode::kInvalidArgument) return Report(status, error);
  WriteBuffer(error, armorclaw::ToStd(status.message()));
  return ACEB_CONFIG_ERROR;
}

aceb_status Create(const aceb_host* host, const aceb_config_entry* entries, size_t count, aceb_plugin** out,
                   aceb_buffer* error) {
  return Guarded(error, [&] {
    if (out != nullptr) *out = nullptr;
    if (host == nullptr || out == nullptr || (entries == nullptr && count > 0)) {
      WriteBuffer(error, "create: host and out are required, and entries when count > 0");
      return ACEB_INVALID;
    }
    const aceb_host copy = ReadHost(host);
    auto plugin = Plugin::Create(HostLog(copy.log, copy.host_context), ReadEntries(entries, count));
    if (!plugin.ok()) {
      const aceb_status status = ReportConfig(plugin.status(), error);
      return status == ACEB_CONFIG_ERROR ? status : ACEB_INTERNAL;
    }
    *out = new aceb_plugin{*std::move(plugin)};
    return ACEB_OK;
  });
}

aceb_status Start(aceb_plugin* plugin, aceb_buffer* error) {
  return Guarded(error, [&] {
    if (plugin == nullptr) return Report(absl::InvalidArgumentError("start: plugin is null"), error);
    return Report(plugin->impl->Start(), error);
  });
}

aceb_status ListenUrl(aceb_plugin* plugin, aceb_buffer* out) {
  return Guarded(nullptr, [&] {
    if (plugin == nullptr || out == nullptr) return ACEB_INVALID;
    auto url = plugin->impl->ListenUrl();
    if (!url.ok()) return ToStatus(url.status());
    return WriteBuffer(out, *url) ? ACEB_OK : ACEB_BUFFER_TOO_SMALL;
  });
}

aceb_status Publish(aceb_plugin* plugin, const char* event_json, size_t size, aceb_buffer* error) {
  return Guarded(error, [&] {
    if (plugin == nullptr || (event_json == nullptr && size > 0)) {
      return Report(absl::InvalidArgumentError("publish: plugin and event_json are required"), error);
    }
    return Report(plugin->impl->Publish(std::string_view(event_json == nullptr ? "" : event_json, size)), error);
  });
}

aceb_status Stats(aceb_plugin* plugin, aceb_buffer* out) {
  return Guarded(nullptr, [&] {
    if (plugin == nullptr || out == nullptr) return ACEB_INVALID;
    return WriteBuffer(out, plugin->impl->Stats()) ? ACEB_OK : ACEB_BUFFER_TOO_SMALL;
  });
}

aceb_status Stop(aceb_plugin* plugin, uint32_t grace_ms) {
  return Guarded(nullptr, [&] {
    if (plugin == nullptr) return ACEB_INVALID;
    return ToStatus(plugin->impl->Stop(absl::Milliseconds(grace_ms)));
  });
}

aceb_status Destroy(aceb_plugin* plugin) {
  return Guarded(nullptr, [&] {
    if (plugin == nullptr) return ACEB_INVALID;
    delete plugin;
    return ACEB_OK;
  });
}

aceb_status Reconfigure(aceb_plugin* plugin, const aceb_config_entry* entries, size_t count, aceb_buffer* error) {
  return Guarded(error, [&] {
    if (plugin == nullptr || (entries == nullptr && count > 0)) {
      return Report(absl::InvalidArgumentError("reconfigure: plugin is required, and entries when count > 0"), error);
    }
    return ReportConfig(plugin->impl->Reconfigure(ReadEntries(entries, count)), error);
  });
}

constexpr aceb_api kApi = {
    sizeof(aceb_api), ACEB_ABI_VERSION_MAJOR, ACEB_ABI_VERSION_MINOR, 0, Create, Start, ListenUrl, Publish, Stats,
    Stop,             Destroy,                Reconfigure,
};

}  // namespace

extern "C" aceb_status aceb_negotiate(const aceb_negotiation* request, const aceb_api** api) {
  if (api != nullptr) *api = nullptr;
  constexpr size_t kVersionFieldsEnd = offsetof(aceb_negotiation, abi_minor) + sizeof(uint32_t);
  if (request == nullptr || api == nullptr || request->struct_size < kVersionFieldsEnd) return ACEB_INVALID;
  if (request->abi_major != ACEB_ABI_VERSION_MAJOR) return ACEB_VERSION_MISMATCH;
  *api = &kApi;
  return ACEB_OK;
}
