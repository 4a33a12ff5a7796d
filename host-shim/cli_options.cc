#include "host-shim/cli_options.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/string_view_compat.h"
#include "host-shim/config_sources.h"
#include "host-shim/default_plugin_path.h"

namespace armorclaw::host {
namespace {

absl::Status Once(bool already_set, std::string_view option) {
  if (!already_set) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(ToAbsl(option), " given more than once"));
}

absl::StatusOr<double> ParseDemoRate(std::string_view text) {
  double rate;
  if (!absl::SimpleAtod(ToAbsl(text), &rate) || !std::isfinite(rate) || rate <= 0 ||
      rate > kMaxDemoRate) {
    return absl::InvalidArgumentError(
        absl::StrCat("--demo expects events per second, more than 0 and at most ", kMaxDemoRate,
                     ", got \"", ToAbsl(text), "\""));
  }
  return rate;
}

}  // namespace

absl::StatusOr<CliOptions> ParseCommandLine(const std::vector<std::string_view>& args) {
  CliOptions options;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      options.help = true;
      return options;
    }
    if (arg == "--demo") {
      if (auto status = Once(options.demo_events_per_second.has_value(), "--demo"); !status.ok()) {
        return status;
      }
      options.demo_events_per_second = kDefaultDemoRate;
      continue;
    }
    if (!arg.starts_with("-") || arg == "-") {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", ToAbsl(arg), "\""));
    }
    if (!arg.starts_with("--")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown option \"", ToAbsl(arg), "\""));
    }

    // --name=value or --name value.
    const size_t equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    std::string_view value;
    const auto take_value = [&]() -> absl::Status {
      if (equals != std::string_view::npos) {
        value = arg.substr(equals + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(ToAbsl(name), " needs a value"));
      }
      return absl::OkStatus();
    };

    absl::Status status;
    if (name == "--demo") {
      // Only "--demo=RATE" gets here; a separate word after --demo is not its value.
      status = Once(options.demo_events_per_second.has_value(), name);
      if (status.ok()) {
        absl::StatusOr<double> rate = ParseDemoRate(arg.substr(equals + 1));
        if (rate.ok()) {
          options.demo_events_per_second = *rate;
        } else {
          status = rate.status();
        }
      }
    } else if (name == "--config") {
      status = Once(options.config_path.has_value(), name);
      if (status.ok()) status = take_value();
      if (status.ok()) options.config_path = std::string(value);
    } else if (name == "--plugin") {
      status = Once(options.plugin_path.has_value(), name);
      if (status.ok()) status = take_value();
      if (status.ok()) options.plugin_path = std::string(value);
    } else if (name == "--events") {
      status = Once(options.events_path.has_value(), name);
      if (status.ok()) status = take_value();
      if (status.ok()) options.events_path = std::string(value);
    } else if (name == "--set") {
      status = take_value();
      if (status.ok()) {
        absl::StatusOr<std::pair<std::string, std::string>> setting = ParseSetting(value);
        if (setting.ok()) {
          options.settings.push_back(*std::move(setting));
        } else {
          status = setting.status();
        }
      }
    } else if (name == "--grace-ms") {
      status = take_value();
      if (status.ok() && !absl::SimpleAtoi(ToAbsl(value), &options.grace_ms)) {
        status = absl::InvalidArgumentError(absl::StrCat(
            "--grace-ms expects milliseconds from 0 to 4294967295, got \"", ToAbsl(value), "\""));
      }
    } else {
      status = absl::InvalidArgumentError(absl::StrCat("unknown option \"", ToAbsl(name), "\""));
    }
    if (!status.ok()) return status;
  }
  return options;
}

std::string Usage(std::string_view program) {
  return absl::StrFormat(
      R"(Usage: %s [OPTIONS]

Loads the armorclaw-eventbus plugin as the ArmorClaw bridge would, starts its WebSocket server
and feeds it Matrix events until SIGINT or SIGTERM. On SIGHUP it reads its configuration again and
hands it to the plugin (what can change live does; see docs/operations.md). Prints "eventbus:
listening on <URL>" on stdout once the server listens; everything else goes to stderr.

Options:
  --config FILE         read the [eventbus] table of a bridge config.toml
  --set KEY=VALUE       set one [eventbus] key; repeatable; overrides the environment and the file
  --plugin PATH         the plugin shared object (default: armorclaw-eventbus.so next to this
                        program, else in %s from it)
  --events FILE         publish the JSON Matrix events in FILE, one per line ("-" reads standard
                        input); the server keeps running at end of input
  --demo[=RATE]         publish a synthetic Matrix feed at RATE events per second (default %g)
  --grace-ms N          how long stop waits for clients to close, in milliseconds (default 5000)
  -h, --help            print this help and exit

Environment:
  %sKEY=VALUE  sets [eventbus] key "key" (lower-cased); overrides the file

Exit status: 0 after a signal-initiated stop, 1 when the plugin cannot be loaded, created or
started, 2 for a bad command line, configuration file or events file.)",
      program, ToAbsl(InstalledPluginDirFromHost()), kDefaultDemoRate, kEnvironmentPrefix);
}

}  // namespace armorclaw::host
