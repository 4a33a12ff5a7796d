// armorclaw-eventbus-host: stands in for the ArmorClaw bridge. Loads the eventbus plugin, hands it
// the [eventbus] configuration, starts it, feeds it events, reloads the configuration on SIGHUP and stops
// it on SIGINT or SIGTERM.

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "armorclaw/eventbus.h"
#include "common/string_view_compat.h"
#include "common/unique_fd.h"
#include "host-shim/cli_options.h"
#include "host-shim/config_sources.h"
#include "host-shim/default_plugin_path.h"
#include "host-shim/demo_feed.h"
#include "host-shim/event_feed.h"
#include "host-shim/log_sink.h"
#include "host-shim/plugin_loader.h"
#include "host-shim/shutdown_signal.h"
#include "host-shim/toml_config.h"

extern char** environ;

namespace armorclaw::host {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitPluginFailed = 1;
constexpr int kExitUsage = 2;

// Wherever the current directory is: next to the executable in a build tree, in the plugin directory of
// its prefix once installed (see default_plugin_path.h).
std::string DefaultPluginPathOfThisProgram() {
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof(exe) - 1);
  if (n <= 0) return std::string(kPluginFileName);
  return DefaultPluginPath(std::string_view(exe, static_cast<size_t>(n)));
}

// dlopen searches the library path for a bare file name; a user naming a file means that file.
std::string AsPath(const std::string& file) {
  return file.find('/') == std::string::npos ? absl::StrCat("./", file) : file;
}

void WriteStdoutLine(std::string_view line) {
  const std::string text = absl::StrCat(ToAbsl(line), "\n");
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t written = ::write(STDOUT_FILENO, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      ReportHostError(absl::StrCat("cannot write to stdout: ", std::strerror(errno)));
      return;
    }
    rest.remove_prefix(static_cast<size_t>(written));
  }
}

// SIGHUP: reads the configuration again, as at start, and hands the whole of it to the plugin's
// reconfigure (ABI 1.1). A refusal (a bad value, a key that takes a restart, a 1.0 plugin) is logged and
// the running configuration stays.
void ReloadConfiguration(const CliOptions& options, PluginInstance& plugin) {
  absl::StatusOr<ConfigEntries> config = LoadHostConfig(options.config_path, environ, options.settings);
  absl::Status reconfigured = config.ok() ? plugin.Reconfigure(*config) : config.status();
  if (reconfigured.ok()) {
    ReportHostError("received SIGHUP, configuration reloaded");
  } else {
    ReportHostError(absl::StrCat("received SIGHUP, configuration not reloaded (the running one stays): ",
                                 reconfigured.message()));
  }
}

// Blocks until SIGINT or SIGTERM arrives, reloading the configuration on each SIGHUP meanwhile (the
// signals are blocked in every thread, so only this wait receives them).
void WaitForStopSignal(const sigset_t& signals, const CliOptions& options, PluginInstance& plugin) {
  while (true) {
    const int received = ::sigwaitinfo(&signals, nullptr);
    if (received == SIGHUP) ReloadConfiguration(options, plugin);
    if (received == SIGINT || received == SIGTERM) {
      ReportHostError(
          absl::StrCat("received ", received == SIGINT ? "SIGINT" : "SIGTERM", ", stopping"));
      return;
    }
  }
}

int Run(int argc, char** argv) {
  const std::string_view program = argc > 0 ? argv[0] : "armorclaw-eventbus-host";
  const absl::StatusOr<CliOptions> parsed =
      ParseCommandLine(std::vector<std::string_view>(argv + std::min(argc, 1), argv + argc));
  if (!parsed.ok()) {
    ReportHostError(ToStd(parsed.status().message()));
    WriteStderrLine(Usage(program));
    return kExitUsage;
  }
  const CliOptions& options = *parsed;
  if (options.help) {
    WriteStdoutLine(Usage(program));
    return kExitOk;
  }

  absl::StatusOr<ConfigEntries> config = LoadHostConfig(options.config_path, environ, options.settings);
  if (!config.ok()) {
    ReportHostError(ToStd(config.status().message()));
    return kExitUsage;
  }

  UniqueFd events_file;
  int events_fd = -1;
  if (options.events_path.has_value()) {
    if (*options.events_path == "-") {
      events_fd = STDIN_FILENO;
    } else {
      events_file = UniqueFd(::open(options.events_path->c_str(), O_RDONLY | O_CLOEXEC));
      if (!events_file.valid()) {
        ReportHostError(absl::StrCat("cannot open events file ", *options.events_path, ": ",
                                     std::strerror(errno)));
        return kExitUsage;
      }
      events_fd = events_file.get();
    }
  }

  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  if (!shutdown.ok()) {
    ReportHostError(ToStd(shutdown.status().message()));
    return kExitPluginFailed;
  }

  // Only now, so that Ctrl-C still ends a host stuck opening a FIFO nobody writes to, yet before
  // any thread exists, the plugin's included: threads inherit the mask, so the signals can only
  // be taken by sigwaitinfo below and they interrupt no thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A reader of our stdout or stderr going away must not kill the server.
  ::signal(SIGPIPE, SIG_IGN);

  const std::string plugin_path =
      options.plugin_path.has_value() ? AsPath(*options.plugin_path) : DefaultPluginPathOfThisProgram();
  absl::StatusOr<PluginLibrary> library = PluginLibrary::Open(plugin_path);
  if (!library.ok()) {
    ReportHostError(ToStd(library.status().message()));
    return kExitPluginFailed;
  }
  const aceb_host host{sizeof(aceb_host), 0, nullptr, &LogPluginMessage};
  absl::StatusOr<PluginInstance> plugin = PluginInstance::Create(*library, host, *config);
  if (!plugin.ok()) {
    ReportHostError(absl::StrCat("cannot create the event bus: ", plugin.status().message()));
    return kExitPluginFailed;
  }
  if (absl::Status started = plugin->Start(); !started.ok()) {
    ReportHostError(absl::StrCat("cannot start the event bus: ", started.message()));
    return kExitPluginFailed;
  }

  absl::StatusOr<std::string> url = plugin->ListenUrl();
  if (url.ok()) {
    WriteStdoutLine(absl::StrCat("eventbus: listening on ", *url));
  } else if (AcebStatusOf(url.status()) == ACEB_BAD_STATE) {
    ReportHostError(
        "the WebSocket server is disabled (websocket_enabled = false); events are "
        "accepted but nobody can subscribe");
  } else {
    ReportHostError(absl::StrCat("cannot get the listen URL: ", url.status().message()));
  }

  {
    const PublishFn publish = [&plugin](std::string_view event, std::string* error) {
      return plugin->Publish(event, error);
    };
    std::optional<EventFeed> event_feed;
    std::optional<DemoFeed> demo_feed;
    if (events_fd >= 0) {
      event_feed.emplace(events_fd, options.events_path == "-" ? "stdin" : *options.events_path,
                         publish, *shutdown, ReportHostError);
    }
    if (options.demo_events_per_second.has_value()) {
      demo_feed.emplace(*options.demo_events_per_second, std::random_device()(), publish, *shutdown,
                        ReportHostError);
    }
    // Declared after the feeds so that it runs before they are joined, on every way out of this
    // block: joined feeds touch no stopped or destroyed plugin, and an untriggered feed would wait
    // for the end of its input.
    const absl::Cleanup stop_feeds = [&shutdown] { shutdown->Trigger(); };
    WaitForStopSignal(stop_signals, options, *plugin);
  }

  if (absl::Status stopped = plugin->Stop(options.grace_ms); !stopped.ok()) {
    ReportHostError(absl::StrCat("stop failed: ", stopped.message()));
    return kExitPluginFailed;
  }
  return kExitOk;
}

}  // namespace
}  // namespace armorclaw::host

int main(int argc, char** argv) {
  try {
    return armorclaw::host::Run(argc, argv);
  } catch (const std::exception& e) {
    armorclaw::host::ReportHostError(absl::StrCat("fatal: ", e.what()));
  } catch (...) {
    armorclaw::host::ReportHostError("fatal: unknown exception");
  }
  return 1;
}
