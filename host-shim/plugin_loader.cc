#include "host-shim/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/string_view_compat.h"

namespace armorclaw::host {
namespace {

constexpr char kStatusPayloadUrl[] = "type.armorclaw.dev/aceb_status";

// Error texts are a line or two; a longer one is cut and says how much is missing.
constexpr size_t kErrorCapacity = 4096;

// Text outputs (stats, listen_url) are retried with the size the plugin asked for; past this the
// plugin is misbehaving and we stop asking.
constexpr size_t kMaxTextOutput = size_t{64} << 20;

// An aceb_buffer over stack storage for one call's error text. Not movable: the buffer points
// into the object itself.
class ErrorBuffer {
 public:
  ErrorBuffer() : buffer_{storage_, sizeof(storage_), 0} {}
  ErrorBuffer(const ErrorBuffer&) = delete;
  ErrorBuffer& operator=(const ErrorBuffer&) = delete;

  aceb_buffer* get() { return &buffer_; }

  std::string Text() const {
    const size_t written = std::min(buffer_.size, buffer_.capacity);
    std::string text(storage_, written);
    if (buffer_.size > buffer_.capacity) {
      absl::StrAppend(&text, " [truncated: ", buffer_.size - written, " more bytes]");
    }
    return text;
  }

 private:
  char storage_[kErrorCapacity];
  aceb_buffer buffer_;
};

// The function at `member` when the plugin's table is long enough to hold it, else null. An older
// plugin's table ends early and the copy left the missing tail zeroed, but the ABI asks readers to
// go by struct_size, so we do not rely on the zeros alone.
template <typename Fn>
Fn Entry(const aceb_api& api, Fn aceb_api::*member) {
  const auto* base = reinterpret_cast<const char*>(&api);
  const auto* field = reinterpret_cast<const char*>(&(api.*member));
  const size_t end = static_cast<size_t>(field - base) + sizeof(Fn);
  return api.struct_size >= end ? api.*member : nullptr;
}

absl::Status Missing(std::string_view function) {
  return absl::UnimplementedError(
      absl::StrCat("the plugin's function table has no `", ToAbsl(function), "`"));
}

// Views of `config`'s strings, valid while it is.
std::vector<aceb_config_entry> AbiEntries(const ConfigEntries& config) {
  std::vector<aceb_config_entry> entries;
  entries.reserve(config.size());
  for (const auto& [key, value] : config) {
    entries.push_back({{key.data(), key.size()}, {value.data(), value.size()}});
  }
  return entries;
}

// The plugin's text, or the bare status name when it gave none.
std::string Reason(const ErrorBuffer& error, std::string_view call, aceb_status status) {
  std::string text = error.Text();
  return text.empty() ? absl::StrCat(ToAbsl(call), " returned ", ToAbsl(StatusName(status))) : text;
}

// Calls `fn(plugin, &buffer)` until the text fits, for stats and listen_url.
absl::StatusOr<std::string> FetchText(aceb_status (*fn)(aceb_plugin*, aceb_buffer*),
                                      aceb_plugin* plugin, std::string_view call,
                                      size_t initial_capacity) {
  std::string text(initial_capacity, '\0');
  while (true) {
    aceb_buffer out{text.data(), text.size(), 0};
    const aceb_status status = fn(plugin, &out);
    if (status == ACEB_OK) {
      text.resize(std::min(out.size, text.size()));
      return text;
    }
    if (status != ACEB_BUFFER_TOO_SMALL) {
      return FromAcebStatus(status,
                            absl::StrCat(ToAbsl(call), " returned ", ToAbsl(StatusName(status))));
    }
    // Headroom, because counters may have grown again by the next call; doubling guarantees
    // progress even if the plugin under-reports.
    const size_t wanted = std::max(out.size + out.size / 4 + 64, text.size() * 2);
    if (wanted > kMaxTextOutput) {
      return absl::InternalError(
          absl::StrCat(ToAbsl(call), " asked for ", out.size, " bytes, more than the host allows"));
    }
    text.assign(wanted, '\0');
  }
}

}  // namespace

absl::StatusOr<PluginLibrary> PluginLibrary::Open(const std::string& path, uint32_t abi_major,
                                                  uint32_t abi_minor) {
  void* raw = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (raw == nullptr) {
    const char* reason = dlerror();
    return absl::UnavailableError(absl::StrCat("cannot load plugin ", path, ": ",
                                               reason != nullptr ? reason : "dlopen failed"));
  }
  std::shared_ptr<void> handle(raw, [](void* h) { dlclose(h); });

  dlerror();  // Clears any stale error so that a null symbol can be told from a failed lookup.
  void* symbol = dlsym(handle.get(), ACEB_ENTRY_SYMBOL);
  if (symbol == nullptr) {
    const char* reason = dlerror();
    return absl::NotFoundError(absl::StrCat("plugin ", path, " does not export ", ACEB_ENTRY_SYMBOL,
                                            reason != nullptr ? ": " : "",
                                            reason != nullptr ? reason : ""));
  }
  const auto negotiate = reinterpret_cast<aceb_negotiate_fn>(symbol);

  const aceb_negotiation request{sizeof(aceb_negotiation), abi_major, abi_minor, 0};
  const aceb_api* table = nullptr;
  const aceb_status status = negotiate(&request, &table);
  if (status == ACEB_VERSION_MISMATCH) {
    return FromAcebStatus(status, absl::StrCat("plugin ", path, " does not support ABI version ",
                                               abi_major, ".", abi_minor));
  }
  if (status != ACEB_OK) {
    return FromAcebStatus(status, absl::StrCat("plugin ", path, ": ", ACEB_ENTRY_SYMBOL,
                                               " returned ", ToAbsl(StatusName(status))));
  }
  constexpr size_t kVersionEnd = offsetof(aceb_api, abi_minor) + sizeof(uint32_t);
  if (table == nullptr || table->struct_size < kVersionEnd) {
    return absl::FailedPreconditionError(absl::StrCat("plugin ", path, ": ", ACEB_ENTRY_SYMBOL,
                                                      " returned no usable function table"));
  }
  if (table->abi_major != abi_major) {
    return absl::FailedPreconditionError(absl::StrCat("plugin ", path, " accepted ABI ", abi_major,
                                                      ".x but implements ", table->abi_major, ".",
                                                      table->abi_minor));
  }
  aceb_api api{};
  std::memcpy(&api, table, std::min<size_t>(table->struct_size, sizeof(aceb_api)));
  return PluginLibrary(std::move(handle), path, negotiate, api);
}

absl::StatusOr<PluginInstance> PluginInstance::Create(const PluginLibrary& library,
                                                      const aceb_host& host,
                                                      const ConfigEntries& config) {
  const auto create = Entry(library.api_, &aceb_api::create);
  if (create == nullptr) return Missing("create");
  // Without destroy a created instance could never be freed.
  if (Entry(library.api_, &aceb_api::destroy) == nullptr) return Missing("destroy");

  const std::vector<aceb_config_entry> entries = AbiEntries(config);
  aceb_plugin* plugin = nullptr;
  ErrorBuffer error;
  const aceb_status status = create(&host, entries.data(), entries.size(), &plugin, error.get());
  if (status != ACEB_OK) return FromAcebStatus(status, Reason(error, "create", status));
  if (plugin == nullptr) {
    return absl::InternalError("create returned ACEB_OK without an instance");
  }
  return PluginInstance(library.handle_, library.api_, plugin);
}

PluginInstance::PluginInstance(PluginInstance&& other) noexcept
    : library_handle_(std::move(other.library_handle_)),
      api_(other.api_),
      plugin_(std::exchange(other.plugin_, nullptr)) {}

PluginInstance& PluginInstance::operator=(PluginInstance&& other) noexcept {
  if (this != &other) {
    Destroy();
    library_handle_ = std::move(other.library_handle_);
    api_ = other.api_;
    plugin_ = std::exchange(other.plugin_, nullptr);
  }
  return *this;
}

PluginInstance::~PluginInstance() { Destroy(); }

void PluginInstance::Destroy() {
  if (plugin_ == nullptr) return;
  // Create refused tables without destroy, so this is never null here.
  Entry(api_, &aceb_api::destroy)(std::exchange(plugin_, nullptr));
}

absl::Status PluginInstance::Start() {
  const auto start = Entry(api_, &aceb_api::start);
  if (start == nullptr) return Missing("start");
  ErrorBuffer error;
  const aceb_status status = start(plugin_, error.get());
  if (status == ACEB_OK) return absl::OkStatus();
  return FromAcebStatus(status, Reason(error, "start", status));
}

absl::StatusOr<std::string> PluginInstance::ListenUrl() const {
  const auto listen_url = Entry(api_, &aceb_api::listen_url);
  if (listen_url == nullptr) return Missing("listen_url");
  return FetchText(listen_url, plugin_, "listen_url", 256);
}

aceb_status PluginInstance::Publish(std::string_view event_json, std::string* error) {
  const auto publish = Entry(api_, &aceb_api::publish);
  if (publish == nullptr) {
    if (error != nullptr) *error = "the plugin's function table has no `publish`";
    return ACEB_INTERNAL;
  }
  // Without a caller for the text, the plugin is spared formatting it.
  if (error == nullptr) return publish(plugin_, event_json.data(), event_json.size(), nullptr);
  ErrorBuffer buffer;
  const aceb_status status = publish(plugin_, event_json.data(), event_json.size(), buffer.get());
  *error = status == ACEB_OK ? std::string() : buffer.Text();
  return status;
}

absl::StatusOr<std::string> PluginInstance::Stats() const {
  const auto stats = Entry(api_, &aceb_api::stats);
  if (stats == nullptr) return Missing("stats");
  return FetchText(stats, plugin_, "stats", 1024);
}

absl::Status PluginInstance::Stop(uint32_t grace_ms) {
  const auto stop = Entry(api_, &aceb_api::stop);
  if (stop == nullptr) return Missing("stop");
  const aceb_status status = stop(plugin_, grace_ms);
  return FromAcebStatus(status, absl::StrCat("stop returned ", ToAbsl(StatusName(status))));
}

absl::Status PluginInstance::Reconfigure(const ConfigEntries& config) {
  const auto reconfigure = Entry(api_, &aceb_api::reconfigure);
  if (reconfigure == nullptr) return Missing("reconfigure");
  const std::vector<aceb_config_entry> entries = AbiEntries(config);
  ErrorBuffer error;
  const aceb_status status = reconfigure(plugin_, entries.data(), entries.size(), error.get());
  if (status == ACEB_OK) return absl::OkStatus();
  return FromAcebStatus(status, Reason(error, "reconfigure", status));
}

std::string_view StatusName(aceb_status status) {
  switch (status) {
    case ACEB_OK: return "ACEB_OK";
    case ACEB_BUSY: return "ACEB_BUSY";
    case ACEB_INVALID: return "ACEB_INVALID";
    case ACEB_BAD_STATE: return "ACEB_BAD_STATE";
    case ACEB_BUFFER_TOO_SMALL: return "ACEB_BUFFER_TOO_SMALL";
    case ACEB_CONFIG_ERROR: return "ACEB_CONFIG_ERROR";
    case ACEB_IO_ERROR: return "ACEB_IO_ERROR";
    case ACEB_VERSION_MISMATCH: return "ACEB_VERSION_MISMATCH";
    case ACEB_INTERNAL: return "ACEB_INTERNAL";
  }
  return "ACEB_<unknown>";
}

absl::Status FromAcebStatus(aceb_status status, std::string_view message) {
  absl::StatusCode code;
  switch (status) {
    case ACEB_OK: return absl::OkStatus();
    case ACEB_BUSY: code = absl::StatusCode::kResourceExhausted; break;
    case ACEB_INVALID: code = absl::StatusCode::kInvalidArgument; break;
    case ACEB_BAD_STATE: code = absl::StatusCode::kFailedPrecondition; break;
    case ACEB_BUFFER_TOO_SMALL: code = absl::StatusCode::kOutOfRange; break;
    case ACEB_CONFIG_ERROR: code = absl::StatusCode::kInvalidArgument; break;
    case ACEB_IO_ERROR: code = absl::StatusCode::kUnavailable; break;
    case ACEB_VERSION_MISMATCH: code = absl::StatusCode::kFailedPrecondition; break;
    case ACEB_INTERNAL: code = absl::StatusCode::kInternal; break;
    default: code = absl::StatusCode::kUnknown; break;
  }
  absl::Status result(code, ToAbsl(message));
  result.SetPayload(kStatusPayloadUrl, absl::Cord(absl::StrCat(status)));
  return result;
}

std::optional<aceb_status> AcebStatusOf(const absl::Status& status) {
  const absl::optional<absl::Cord> payload = status.GetPayload(kStatusPayloadUrl);
  aceb_status raw;
  if (!payload.has_value() || !absl::SimpleAtoi(std::string(*payload), &raw)) return std::nullopt;
  return raw;
}

}  // namespace armorclaw::host
