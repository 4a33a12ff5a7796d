// A host whose log callback blocks the plugin's I/O thread on demand, as a slow host would: once `stall`
// is set, the thread that logs a connection's " opened" line (the I/O thread, when an upgrade completes)
// waits there until `release` is set. For tests of what the plugin does while its thread is stuck.
#ifndef ARMORCLAW_EVENTBUS_TESTS_SUPPORT_STALLING_HOST_H_
#define ARMORCLAW_EVENTBUS_TESTS_SUPPORT_STALLING_HOST_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "armorclaw/eventbus.h"

namespace armorclaw::eventbus::testing {

struct StallingHost {
  std::atomic<bool> stall{false};
  std::atomic<bool> stalled{false};
  std::atomic<bool> release{false};
  std::mutex mutex;
  std::vector<std::string> lines;  // Guarded by mutex: every line logged.

  aceb_host Host() {
    aceb_host host{};
    host.struct_size = sizeof host;
    host.host_context = this;
    host.log = &StallingHost::Log;
    return host;
  }

  static void Log(void* context, int32_t, aceb_string message) {
    auto* self = static_cast<StallingHost*>(context);
    const std::string line(message.data, message.size);
    {
      std::lock_guard lock(self->mutex);
      self->lines.push_back(line);
    }
    if (self->stall.load() && line.find(" opened") != std::string::npos) {
      self->stalled.store(true);
      // Bounded: a broken plugin fails the test, it does not hang it.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      while (!self->release.load() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    }
  }
};

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_SUPPORT_STALLING_HOST_H_
