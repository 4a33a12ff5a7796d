#include "host-shim/config_sources.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/string_view_compat.h"
#include "host-shim/toml_config.h"

namespace armorclaw::host {

ConfigEntries EnvironmentEntries(const char* const* environment) {
  ConfigEntries entries;
  for (const char* const* variable = environment; variable != nullptr && *variable != nullptr;
       ++variable) {
    std::string_view text = *variable;
    if (!text.starts_with(kEnvironmentPrefix)) continue;
    text.remove_prefix(kEnvironmentPrefix.size());
    const size_t equals = text.find('=');
    if (equals == 0 || equals == std::string_view::npos) continue;
    entries.emplace_back(absl::AsciiStrToLower(ToAbsl(text.substr(0, equals))),
                         std::string(text.substr(equals + 1)));
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return entries;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseSetting(std::string_view setting) {
  const size_t equals = setting.find('=');
  if (equals == std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--set expects key=value, got \"", ToAbsl(setting), "\""));
  }
  if (equals == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--set has an empty key: \"", ToAbsl(setting), "\""));
  }
  return std::make_pair(std::string(setting.substr(0, equals)),
                        std::string(setting.substr(equals + 1)));
}

ConfigEntries MergeConfig(ConfigEntries base, const ConfigEntries& overrides) {
  for (const auto& [key, value] : overrides) {
    const auto existing = std::find_if(base.begin(), base.end(),
                                       [&key](const auto& entry) { return entry.first == key; });
    if (existing != base.end()) {
      existing->second = value;
    } else {
      base.emplace_back(key, value);
    }
  }
  return base;
}

absl::StatusOr<ConfigEntries> LoadHostConfig(const std::optional<std::string>& config_path,
                                             const char* const* environment, const ConfigEntries& settings) {
  ConfigEntries config;
  if (config_path.has_value()) {
    absl::StatusOr<ConfigEntries> file = LoadEventbusTable(*config_path);
    if (!file.ok()) return file.status();
    config = *std::move(file);
  }
  config = MergeConfig(std::move(config), EnvironmentEntries(environment));
  return MergeConfig(std::move(config), settings);
}

}  // namespace armorclaw::host
