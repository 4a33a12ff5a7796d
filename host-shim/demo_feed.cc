#include "host-shim/demo_feed.h"

#include <chrono>
#include <exception>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/string_view_compat.h"
#include "host-shim/demo_events.h"
#include "host-shim/plugin_loader.h"

namespace armorclaw::host {

DemoFeed::DemoFeed(double events_per_second, uint64_t seed, PublishFn publish,
                   const ShutdownSignal& shutdown, std::function<void(std::string_view)> report)
    : period_(std::chrono::nanoseconds(static_cast<int64_t>(1e9 / events_per_second))),
      seed_(seed),
      publish_(std::move(publish)),
      shutdown_(shutdown),
      report_(std::move(report)),
      thread_([this] { Run(); }) {}

DemoFeed::~DemoFeed() { thread_.join(); }

void DemoFeed::Run() {
  // Nothing may escape a thread function; a failure ends this feed, not the server.
  try {
    Feed();
  } catch (const std::exception& e) {
    report_(absl::StrCat("demo feed", " failed: ", e.what()));
  }
}

void DemoFeed::Feed() {
  DemoEventGenerator generator(seed_);
  std::string error;
  auto next = std::chrono::steady_clock::now();
  while (!shutdown_.WaitUntil(next)) {
    const std::string event = generator.Next(absl::Now());
    const std::optional<aceb_status> status =
        PublishRetryingBusy(publish_, event, shutdown_, &error);
    if (!status.has_value()) return;
    if (*status == ACEB_INVALID) {
      report_(absl::StrCat("demo: the plugin rejected ", event, ": ", error));
    } else if (*status != ACEB_OK) {
      report_(absl::StrCat("demo: the plugin refused an event with ", ToAbsl(StatusName(*status)),
                           error.empty() ? "" : ": ", error, "; the demo feed stops"));
      return;
    }
    next += period_;
    const auto now = std::chrono::steady_clock::now();
    if (next < now) next = now;
  }
}

}  // namespace armorclaw::host
