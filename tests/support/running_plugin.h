// The real plugin .so, loaded through the host shim's loader, listening on an ephemeral loopback port.
#ifndef ARMORCLAW_EVENTBUS_TESTS_SUPPORT_RUNNING_PLUGIN_H_
#define ARMORCLAW_EVENTBUS_TESTS_SUPPORT_RUNNING_PLUGIN_H_

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "host-shim/plugin_loader.h"

namespace armorclaw::eventbus::testing {

// Where the build put the plugin and the test data (compile definitions set by tests/CMakeLists.txt).
std::string PluginPath();
std::string TestDataPath(std::string_view name);
std::vector<std::string> ReadLines(const std::string& path);

// Collects the plugin's log lines; thread-safe, as the log callback must be.
class LogCapture {
 public:
  aceb_host Host();
  std::vector<std::string> lines() const;

 private:
  static void Log(void* context, int32_t level, aceb_string message);
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

class RunningPlugin {
 public:
  // websocket_addr = 127.0.0.1:0 and ping_interval = 0s, then `config` (which may override them).
  explicit RunningPlugin(const host::ConfigEntries& config = {});

  const std::string& url() const { return url_; }
  // Reconfigures through the .so's ABI 1.1 `reconfigure`: `config` is the whole new configuration, after
  // the same test defaults as the constructor's (so that websocket_addr, which takes a restart, stays).
  absl::Status Reconfigure(const host::ConfigEntries& config);
  // Publishes and expects ACEB_OK (retrying while ACEB_BUSY).
  void Publish(std::string_view event_json);
  // Publishes 8 KiB m.room.message events (event_id "$1", "$2", ...) until a client that stopped reading
  // has been cut as a slow consumer (the kernel's socket buffers take a few megabytes first), then
  // `after` more; returns how many were published. Throws if no cut came within 20000 events.
  int PublishUntilSlowConsumerCut(int after);
  host::PluginInstance& instance() { return instance_; }
  // One counter of the stats JSON.
  uint64_t Stat(std::string_view name);
  // Polls the stats until counter `name` equals `value`; throws after `deadline`. For state the server
  // reaches on its own thread (a disconnect processed, say), which no client message announces.
  void AwaitStat(std::string_view name, uint64_t value,
                 std::chrono::milliseconds deadline = std::chrono::seconds(20));
  const LogCapture& logs() const { return logs_; }

 private:
  LogCapture logs_;
  host::PluginLibrary library_;
  host::PluginInstance instance_;
  std::string url_;
};

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_SUPPORT_RUNNING_PLUGIN_H_
