#ifndef ARMORCLAW_HOST_SHIM_CLI_OPTIONS_H_
#define ARMORCLAW_HOST_SHIM_CLI_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "host-shim/config_entries.h"

namespace armorclaw::host {

// The command line of armorclaw-eventbus-host. See Usage for the meaning of each option.
struct CliOptions {
  bool help = false;
  std::optional<std::string> config_path;
  ConfigEntries settings;  // --set, in command-line order.
  std::optional<std::string> plugin_path;
  std::optional<std::string> events_path;  // "-" is standard input.
  std::optional<double> demo_events_per_second;
  uint32_t grace_ms = 5000;
};

inline constexpr double kDefaultDemoRate = 2.0;
// Beyond this the pacing sleeps are shorter than a wake-up; use --events for load tests.
inline constexpr double kMaxDemoRate = 100000.0;

// `args` excludes the program name. Every option takes "--name value" or "--name=value", except
// --demo whose rate is optional and so only "--demo=RATE". Errors say what is wrong, for a message
// followed by the usage.
absl::StatusOr<CliOptions> ParseCommandLine(const std::vector<std::string_view>& args);

std::string Usage(std::string_view program);

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_CLI_OPTIONS_H_
