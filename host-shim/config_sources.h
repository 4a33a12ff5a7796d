#ifndef ARMORCLAW_HOST_SHIM_CONFIG_SOURCES_H_
#define ARMORCLAW_HOST_SHIM_CONFIG_SOURCES_H_

// The configuration sources other than the TOML file, and how they combine. Precedence, lowest
// first: config file, environment, --set.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "host-shim/config_entries.h"

namespace armorclaw::host {

inline constexpr std::string_view kEnvironmentPrefix = "ARMORCLAW_EVENTBUS_";

// Every ARMORCLAW_EVENTBUS_<KEY>=value in `environment` (a null-terminated array like `environ`),
// as (lower-cased KEY, value), sorted by key so the result does not depend on environment order.
ConfigEntries EnvironmentEntries(const char* const* environment);

// One --set argument, "key=value" (the value may be empty or contain "="). The key must not be
// empty.
absl::StatusOr<std::pair<std::string, std::string>> ParseSetting(std::string_view setting);

// `base` with every key of `overrides` replaced or appended. Keys keep the position of their first
// appearance; when `overrides` names a key twice, the later value wins.
ConfigEntries MergeConfig(ConfigEntries base, const ConfigEntries& overrides);

// The host's whole configuration, read at start and again on SIGHUP: the [eventbus] table of the file at
// `config_path` (if any), then `environment`, then `settings` (the --set options). Fails with the file's
// error.
absl::StatusOr<ConfigEntries> LoadHostConfig(const std::optional<std::string>& config_path,
                                             const char* const* environment, const ConfigEntries& settings);

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_CONFIG_SOURCES_H_
