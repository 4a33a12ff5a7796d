#include "plugin/counters.h"

#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"

namespace armorclaw::eventbus {

StatsSnapshot Counters::Snapshot(uint64_t last_sequence, uint64_t ingest_queue_depth, uint64_t max_subscribers,
                                  bool websocket_enabled) const {
  auto read = [](const std::atomic<uint64_t>& counter) { return counter.load(std::memory_order_relaxed); };
  return {
      {"events_published", read(events_published)},
      {"events_rejected_invalid", read(events_rejected_invalid)},
      {"events_rejected_busy", read(events_rejected_busy)},
      {"last_sequence", last_sequence},
      {"ingest_queue_depth", ingest_queue_depth},
      {"deliveries", read(deliveries)},
      {"connections_open", read(connections_open)},
      {"connections_accepted", read(connections_accepted)},
      {"connections_closed", read(connections_closed)},
      {"sockets_open", read(sockets_open)},
      {"address_limit_refused", read(address_limit_refused)},
      {"http_rejected", read(http_rejected)},
      {"auth_refused", read(auth_refused)},
      {"tokens_expired", read(tokens_expired)},
      {"tokens_revoked", read(tokens_revoked)},
      {"auth_reloads", read(auth_reloads)},
      {"auth_reload_failures", read(auth_reload_failures)},
      {"tls_reloads", read(tls_reloads)},
      {"tls_reload_failures", read(tls_reload_failures)},
      {"subscriptions_active", read(subscriptions_active)},
      {"slow_consumers_disconnected", read(slow_consumers_disconnected)},
      {"inactive_disconnected", read(inactive_disconnected)},
      {"keepalive_disconnected", read(keepalive_disconnected)},
      {"protocol_errors", read(protocol_errors)},
      {"queued_bytes", queued_bytes.now()},
      {"queued_bytes_peak", queued_bytes.peak()},
      {"history_events", read(history_events)},
      {"history_bytes", read(history_bytes)},
      {"history_earliest_sequence", read(history_earliest_sequence)},
      {"replays_recovered", read(replays_recovered)},
      {"replays_too_old", read(replays_too_old)},
      {"replays_epoch_mismatch", read(replays_epoch_mismatch)},
      {"replays_future", read(replays_future)},
      {"replays_too_many", read(replays_too_many)},
      {"replayed_events", read(replayed_events)},
      {"log_bytes", read(log_bytes)},
      {"log_segments", read(log_segments)},
      {"log_earliest_sequence", read(log_earliest_sequence)},
      {"log_fsyncs", read(log_fsyncs)},
      {"log_write_errors", read(log_write_errors)},
      {"log_recovery_truncated_bytes", read(log_recovery_truncated_bytes)},
      {"replayed_from_disk_events", read(replayed_from_disk_events)},
      {"active_subscribers", read(subscriptions_active)},
      {"max_subscribers", max_subscribers},
      {"websocket_enabled", websocket_enabled, true},
  };
}

std::string StatsJson(const StatsSnapshot& snapshot) {
  boost::json::object stats;
  for (const StatsFigure& figure : snapshot) {
    if (figure.yes_no) {
      stats.emplace(figure.name, figure.value != 0);
    } else {
      stats.emplace(figure.name, figure.value);
    }
  }
  return boost::json::serialize(stats);
}

}  // namespace armorclaw::eventbus
