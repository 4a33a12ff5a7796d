#include "host-shim/log_sink.h"

#include <unistd.h>

#include <cerrno>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/string_view_compat.h"

namespace armorclaw::host {
namespace {

std::mutex& StderrMutex() {
  static std::mutex* mutex = new std::mutex;  // Never destroyed: threads may log during exit.
  return *mutex;
}

std::string_view LevelName(int32_t level) {
  switch (level) {
    case ACEB_LOG_DEBUG: return "DEBUG";
    case ACEB_LOG_INFO: return "INFO";
    case ACEB_LOG_WARN: return "WARN";
    case ACEB_LOG_ERROR: return "ERROR";
  }
  return "LOG";
}

}  // namespace

void WriteStderrLine(std::string_view line) {
  std::string text = absl::StrCat(ToAbsl(line), "\n");
  std::lock_guard<std::mutex> lock(StderrMutex());
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t written = ::write(STDERR_FILENO, rest.data(), rest.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return;  // Nowhere left to report a broken stderr.
    }
    rest.remove_prefix(static_cast<size_t>(written));
  }
}

void ReportHostError(std::string_view message) {
  WriteStderrLine(absl::StrCat("eventbus-host: ", ToAbsl(message)));
}

std::string FormatPluginLogLine(absl::Time time, int32_t level, std::string_view message) {
  std::string line =
      absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()), " ",
                   ToAbsl(LevelName(level)), " eventbus: ");
  line.reserve(line.size() + message.size());
  for (const char c : message) {
    switch (c) {
      case '\n': line += "\\n"; break;
      case '\r': line += "\\r"; break;
      default: line += c;
    }
  }
  return line;
}

void LogPluginMessage(void* /*host_context*/, int32_t level, aceb_string message) {
  // A C callback: nothing may unwind into the plugin.
  try {
    WriteStderrLine(
        FormatPluginLogLine(absl::Now(), level,
                            std::string_view(message.data != nullptr ? message.data : "",
                                             message.data != nullptr ? message.size : 0)));
  } catch (...) {
  }
}

}  // namespace armorclaw::host
