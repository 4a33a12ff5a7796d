// The host's log callback, as the plugin uses it. Copyable and cheap; thread-safe as long as the host
// keeps its promise that the callback is (the ABI requires it).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HOST_LOG_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HOST_LOG_H_

#include <string_view>

#include "armorclaw/eventbus.h"

namespace armorclaw::eventbus {

class HostLog {
 public:
  HostLog() = default;
  HostLog(aceb_log_fn log, void* host_context) : log_(log), host_context_(host_context) {}

  void Debug(std::string_view message) const { Write(ACEB_LOG_DEBUG, message); }
  void Info(std::string_view message) const { Write(ACEB_LOG_INFO, message); }
  void Warn(std::string_view message) const { Write(ACEB_LOG_WARN, message); }
  void Error(std::string_view message) const { Write(ACEB_LOG_ERROR, message); }

 private:
  void Write(int32_t level, std::string_view message) const {
    if (log_ != nullptr) log_(host_context_, level, aceb_string{message.data(), message.size()});
  }

  aceb_log_fn log_ = nullptr;
  void* host_context_ = nullptr;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HOST_LOG_H_
