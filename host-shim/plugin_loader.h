#ifndef ARMORCLAW_HOST_SHIM_PLUGIN_LOADER_H_
#define ARMORCLAW_HOST_SHIM_PLUGIN_LOADER_H_

// RAII over the eventbus plugin: loading and negotiating the shared object (PluginLibrary), and one
// plugin instance from create to destroy (PluginInstance). Plugin statuses become absl::Status
// values whose message is the plugin's error text and which carry the raw aceb_status as a
// payload (see AcebStatusOf), so that callers can tell ACEB_CONFIG_ERROR from ACEB_INVALID.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "armorclaw/eventbus.h"
#include "host-shim/config_entries.h"

namespace armorclaw::host {

// A loaded and negotiated plugin shared object. The shared object stays mapped while this object
// or any PluginInstance created from it exists, so destruction order cannot unmap running code.
class PluginLibrary {
 public:
  // dlopen(path, RTLD_NOW | RTLD_LOCAL), looks up ACEB_ENTRY_SYMBOL and negotiates the given ABI
  // version; abi_major/abi_minor exist so that tests can ask for a version the plugin refuses.
  // Errors name the path: UnavailableError (dlopen failed), NotFoundError (no entry symbol),
  // FailedPreconditionError (version refused, or an unusable function table), or the mapped
  // status of any other refusal.
  static absl::StatusOr<PluginLibrary> Open(const std::string& path,
                                            uint32_t abi_major = ACEB_ABI_VERSION_MAJOR,
                                            uint32_t abi_minor = ACEB_ABI_VERSION_MINOR);

  PluginLibrary(PluginLibrary&&) noexcept = default;
  PluginLibrary& operator=(PluginLibrary&&) noexcept = default;
  PluginLibrary(const PluginLibrary&) = delete;
  PluginLibrary& operator=(const PluginLibrary&) = delete;
  ~PluginLibrary() = default;

  // The plugin's function table, copied as the ABI says: min(struct_size, sizeof(aceb_api)) bytes
  // into zeroed memory. struct_size is the plugin's own, so it may exceed sizeof(aceb_api).
  const aceb_api& api() const { return api_; }
  // The raw entry point, for ABI tests that negotiate again with odd requests.
  aceb_negotiate_fn negotiate() const { return negotiate_; }
  const std::string& path() const { return path_; }

 private:
  friend class PluginInstance;

  PluginLibrary(std::shared_ptr<void> handle, std::string path, aceb_negotiate_fn negotiate,
                const aceb_api& api)
      : handle_(std::move(handle)), path_(std::move(path)), negotiate_(negotiate), api_(api) {}

  std::shared_ptr<void> handle_;  // dlclose runs when the last owner goes.
  std::string path_;
  aceb_negotiate_fn negotiate_ = nullptr;
  aceb_api api_{};
};

// One plugin instance: created by Create, destroyed (which also stops it) by the destructor.
// Publish, ListenUrl and Stats may be called from any thread, as the ABI allows; Start and Stop
// must not run concurrently with each other or with destruction.
class PluginInstance {
 public:
  // Calls create with `config` in the given order. ACEB_CONFIG_ERROR and ACEB_INVALID become
  // InvalidArgumentError, with the plugin's text (which names the key and value) as the message.
  static absl::StatusOr<PluginInstance> Create(const PluginLibrary& library, const aceb_host& host,
                                               const ConfigEntries& config);

  PluginInstance(PluginInstance&& other) noexcept;
  PluginInstance& operator=(PluginInstance&& other) noexcept;
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;
  ~PluginInstance();

  // ACEB_IO_ERROR becomes UnavailableError, ACEB_BAD_STATE FailedPreconditionError.
  absl::Status Start();
  // FailedPreconditionError carrying ACEB_BAD_STATE when the plugin is not listening (for
  // example websocket_enabled = false).
  absl::StatusOr<std::string> ListenUrl() const;
  // Returns the plugin's status unchanged, because callers act on ACEB_BUSY and ACEB_INVALID
  // differently. Fills *error (if non-null) with the plugin's reason, or clears it on ACEB_OK.
  aceb_status Publish(std::string_view event_json, std::string* error = nullptr);
  // The counters JSON. Grows its buffer on ACEB_BUFFER_TOO_SMALL, since the counters can grow
  // between two calls.
  absl::StatusOr<std::string> Stats() const;
  absl::Status Stop(uint32_t grace_ms);
  // ABI 1.1: replaces the configuration (the whole of it, as for Create). UnimplementedError, without
  // calling anything, when the plugin's table ends before `reconfigure` (an ABI 1.0 plugin);
  // ACEB_CONFIG_ERROR becomes InvalidArgumentError with the plugin's text.
  absl::Status Reconfigure(const ConfigEntries& config);

  aceb_plugin* handle() const { return plugin_; }

 private:
  PluginInstance(std::shared_ptr<void> library_handle, const aceb_api& api, aceb_plugin* plugin)
      : library_handle_(std::move(library_handle)), api_(api), plugin_(plugin) {}

  void Destroy();

  std::shared_ptr<void> library_handle_;
  aceb_api api_{};
  aceb_plugin* plugin_ = nullptr;
};

// "ACEB_OK", "ACEB_BUSY", ...; "ACEB_<unknown>" for a code this header does not define.
std::string_view StatusName(aceb_status status);

// The absl::Status for a plugin status: OK for ACEB_OK; otherwise the mapped code with `message`
// and the raw status attached as a payload.
absl::Status FromAcebStatus(aceb_status status, std::string_view message);

// The raw aceb_status attached by FromAcebStatus, if any.
std::optional<aceb_status> AcebStatusOf(const absl::Status& status);

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_PLUGIN_LOADER_H_
