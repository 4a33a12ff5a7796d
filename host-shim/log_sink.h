#ifndef ARMORCLAW_HOST_SHIM_LOG_SINK_H_
#define ARMORCLAW_HOST_SHIM_LOG_SINK_H_

// Everything the host says goes to stderr through here, one write per line under one lock, so
// that lines from the plugin's thread, the feed threads and main never interleave.

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "armorclaw/eventbus.h"

namespace armorclaw::host {

// Writes `line` plus a newline to stderr.
void WriteStderrLine(std::string_view line);

// "eventbus-host: <message>", the host's own diagnostics.
void ReportHostError(std::string_view message);

// "<RFC 3339 UTC time> <LEVEL> eventbus: <message>". Line breaks in the message are escaped so
// that one plugin log call stays one line.
std::string FormatPluginLogLine(absl::Time time, int32_t level, std::string_view message);

// The aceb_log_fn handed to the plugin; host_context is unused.
void LogPluginMessage(void* host_context, int32_t level, aceb_string message);

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_LOG_SINK_H_
