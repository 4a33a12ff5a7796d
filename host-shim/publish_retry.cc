#include "host-shim/publish_retry.h"

#include <algorithm>
#include <chrono>

namespace armorclaw::host {
namespace {

// The queue drains at the plugin's pace; the first pauses are short so that a brief burst costs
// little latency, and the cap keeps a stalled plugin from being polled in a tight loop.
constexpr std::chrono::microseconds kFirstBackoff{200};
constexpr std::chrono::microseconds kMaxBackoff{50'000};

}  // namespace

std::optional<aceb_status> PublishRetryingBusy(const PublishFn& publish,
                                               std::string_view event_json,
                                               const ShutdownSignal& shutdown, std::string* error) {
  std::chrono::microseconds backoff = kFirstBackoff;
  while (true) {
    const aceb_status status = publish(event_json, error);
    if (status != ACEB_BUSY) return status;
    if (shutdown.WaitFor(backoff)) return std::nullopt;
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

}  // namespace armorclaw::host
