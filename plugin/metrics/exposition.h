// The Prometheus text exposition format (version 0.0.4) of the plugin's figures: the stats snapshot, one
// series per stats field, and the histograms. Series names and their stats fields are listed once, in
// exposition.cc; docs/operations.md's metrics table is checked against what this writes.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_METRICS_EXPOSITION_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_METRICS_EXPOSITION_H_

#include <string>
#include <string_view>

#include "plugin/counters.h"
#include "plugin/metrics/histogram.h"

namespace armorclaw::eventbus {

inline constexpr std::string_view kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// Every figure of `snapshot` as a series (but active_subscribers, the bridge's name for
// subscriptions_active; the unit test holds the two lists together), then the histograms. Nanoseconds are
// written as seconds.
std::string WriteExposition(const StatsSnapshot& snapshot, const Histogram::Reading& publish_to_socket_ns,
                            const Histogram::Reading& write_batch_bytes,
                            const Histogram::Reading& io_thread_lateness_ns);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_METRICS_EXPOSITION_H_
