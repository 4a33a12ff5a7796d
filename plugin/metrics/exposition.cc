#include "plugin/metrics/exposition.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <type_traits>

#include "absl/strings/str_format.h"

namespace armorclaw::eventbus {
namespace {

constexpr std::string_view kPrefix = "armorclaw_eventbus_";

// One series: the stats field it shows, its family (without the prefix), the family's type and help, and
// its label pair ("" for none). The rows of one family are consecutive, as the format requires.
struct Series {
  std::string_view stats_field;
  std::string_view family;
  std::string_view type;
  std::string_view labels;
  std::string_view help;
};

constexpr std::string_view kCounter = "counter";
constexpr std::string_view kGauge = "gauge";
constexpr std::string_view kDisconnectsHelp =
    "WebSocket connections the plugin closed, by reason (the rest of connections_closed_total were closed "
    "by the client, by stop, or for a protocol violation).";
constexpr std::string_view kRejectedHelp = "Events publish refused, by reason.";
constexpr std::string_view kResumesHelp = "Subscribes with since, by outcome.";

constexpr std::array<Series, 44> kSeries = {{
    {"events_published", "events_published_total", kCounter, "", "Events publish accepted."},
    {"events_rejected_invalid", "events_rejected_total", kCounter, R"(reason="invalid")", kRejectedHelp},
    {"events_rejected_busy", "events_rejected_total", kCounter, R"(reason="busy")", kRejectedHelp},
    {"last_sequence", "last_sequence", kGauge, "", "Sequence number of the last event publish accepted."},
    {"ingest_queue_depth", "ingest_queue_depth", kGauge, "",
     "Events accepted and not yet taken by the I/O thread."},
    {"deliveries", "deliveries_total", kCounter, "", "Events handed to connections, one per receiving connection."},
    {"connections_open", "connections_open", kGauge, "", "Open WebSocket connections."},
    {"connections_accepted", "connections_accepted_total", kCounter, "", "WebSocket upgrades completed."},
    {"connections_closed", "connections_closed_total", kCounter, "", "Open WebSocket connections that ended."},
    {"tokens_expired", "disconnects_total", kCounter, R"(reason="token_expired")", kDisconnectsHelp},
    {"tokens_revoked", "disconnects_total", kCounter, R"(reason="token_revoked")", kDisconnectsHelp},
    {"slow_consumers_disconnected", "disconnects_total", kCounter, R"(reason="slow_consumer")", kDisconnectsHelp},
    {"inactive_disconnected", "disconnects_total", kCounter, R"(reason="inactivity")", kDisconnectsHelp},
    {"keepalive_disconnected", "disconnects_total", kCounter, R"(reason="ping_unanswered")", kDisconnectsHelp},
    {"sockets_open", "sockets_open", kGauge, "", "Accepted TCP connections in any stage, each holding a descriptor."},
    {"address_limit_refused", "address_limit_refusals_total", kCounter, "",
     "TCP connections closed at accept by max_connections_per_address."},
    {"http_rejected", "http_rejections_total", kCounter, "", "HTTP requests answered with an error instead of an upgrade."},
    {"auth_refused", "auth_refusals_total", kCounter, "", "Connections refused for their token (every reason)."},
    {"auth_reloads", "auth_reloads_total", kCounter, "", "Authentication files loaded again after a change."},
    {"auth_reload_failures", "auth_reload_failures_total", kCounter, "",
     "Changed authentication files that could not be loaded."},
    {"tls_reloads", "tls_reloads_total", kCounter, "", "TLS certificate and key loaded again after a change."},
    {"tls_reload_failures", "tls_reload_failures_total", kCounter, "", "Changed TLS files that could not be loaded."},
    {"subscriptions_active", "subscriptions_active", kGauge, "", "Active subscriptions over all connections."},
    {"protocol_errors", "protocol_errors_total", kCounter, "", "Error messages sent to clients for bad requests."},
    {"queued_bytes", "queued_bytes", kGauge, "", "Bytes queued for connections and not yet taken by the kernel."},
    {"queued_bytes_peak", "queued_bytes_peak", kGauge, "", "Highest queued_bytes since start."},
    {"history_events", "history_events", kGauge, "", "Events retained in memory for clients that resume."},
    {"history_bytes", "history_bytes", kGauge, "", "Bytes of the frames (plain and compressed) retained in memory for clients that resume."},
    {"history_earliest_sequence", "history_earliest_sequence", kGauge, "",
     "Sequence number of the oldest retained event (the next one while none is retained)."},
    {"replays_recovered", "resumes_total", kCounter, R"(outcome="recovered")", kResumesHelp},
    {"replays_too_old", "resumes_total", kCounter, R"(outcome="too_old")", kResumesHelp},
    {"replays_epoch_mismatch", "resumes_total", kCounter, R"(outcome="epoch_mismatch")", kResumesHelp},
    {"replays_future", "resumes_total", kCounter, R"(outcome="future")", kResumesHelp},
    {"replays_too_many", "resumes_total", kCounter, R"(outcome="too_many")", kResumesHelp},
    {"replayed_events", "replayed_events_total", kCounter, "", "Events replayed to clients that resumed."},
    {"log_bytes", "log_bytes", kGauge, "", "Bytes of the durable log's segments."},
    {"log_segments", "log_segments", kGauge, "", "Segment files of the durable log."},
    {"log_earliest_sequence", "log_earliest_sequence", kGauge, "",
     "Sequence number of the oldest event in the durable log (0 when it holds none)."},
    {"log_fsyncs", "log_fsyncs_total", kCounter, "", "fdatasync calls that made the durable log durable."},
    {"log_write_errors", "log_write_errors_total", kCounter, "",
     "Durable log writes and fsyncs that failed (a failed write turns the log off until the next start)."},
    {"log_recovery_truncated_bytes", "log_recovery_truncated_bytes", kGauge, "",
     "Bytes of a torn or corrupt tail the durable log's recovery cut at create."},
    {"replayed_from_disk_events", "replayed_from_disk_events_total", kCounter, "",
     "Replayed events read back from the durable log (part of replayed_events_total)."},
    {"max_subscribers", "max_subscribers", kGauge, "", "The configured max_subscribers."},
    {"websocket_enabled", "websocket_enabled", kGauge, "", "1 when the WebSocket server runs (websocket_enabled)."},
}};
// The stats field active_subscribers is subscriptions_active under the bridge's name: no series of its own.

// Appends text and integers (the exposition's names are std::string_view, which this Abseil's StrAppend
// does not take; see common/string_view_compat.h).
template <typename... Parts>
void Append(std::string& out, const Parts&... parts) {
  const auto one = [&out](const auto& part) {
    if constexpr (std::is_integral_v<std::decay_t<decltype(part)>>) {
      out += std::to_string(part);
    } else {
      out += part;
    }
  };
  (one(parts), ...);
}

uint64_t FigureValue(const StatsSnapshot& snapshot, std::string_view name) {
  const auto figure = std::find_if(snapshot.begin(), snapshot.end(),
                                   [name](const StatsFigure& candidate) { return candidate.name == name; });
  return figure == snapshot.end() ? 0 : figure->value;
}

void AppendHeader(std::string& out, std::string_view family, std::string_view type, std::string_view help) {
  Append(out, "# HELP ", kPrefix, family, " ", help, "\n# TYPE ", kPrefix, family, " ", type, "\n");
}

// `scale` turns the observed unit into the base unit (1e-9 for nanoseconds to seconds).
void AppendHistogram(std::string& out, std::string_view family, std::string_view help,
                     const Histogram::Reading& reading, double scale) {
  AppendHeader(out, family, "histogram", help);
  for (size_t bucket = 0; bucket < reading.cumulative.size(); ++bucket) {
    const std::string le = bucket < reading.upper_bounds.size()
                               ? absl::StrFormat("%.9g", static_cast<double>(reading.upper_bounds[bucket]) * scale)
                               : std::string("+Inf");
    Append(out, kPrefix, family, "_bucket{le=\"", le, "\"} ", reading.cumulative[bucket], "\n");
  }
  Append(out, kPrefix, family, "_sum ", absl::StrFormat("%.9g", static_cast<double>(reading.sum) * scale),
                  "\n", kPrefix, family, "_count ", reading.count, "\n");
}

}  // namespace

std::string WriteExposition(const StatsSnapshot& snapshot, const Histogram::Reading& publish_to_socket_ns,
                            const Histogram::Reading& write_batch_bytes,
                            const Histogram::Reading& io_thread_lateness_ns) {
  std::string out;
  std::string_view family;
  for (const Series& series : kSeries) {
    if (series.family != family) AppendHeader(out, series.family, series.type, series.help);
    family = series.family;
    Append(out, kPrefix, series.family, series.labels.empty() ? "" : "{", series.labels,
                    series.labels.empty() ? "" : "}", " ", FigureValue(snapshot, series.stats_field), "\n");
  }
  AppendHistogram(out, "publish_to_socket_seconds",
                  "Seconds from publish accepting an event to the kernel taking its frame, per delivery; sampled "
                  "(every 64th event, plain ws:// connections).",
                  publish_to_socket_ns, 1e-9);
  AppendHistogram(out, "write_batch_bytes", "Bytes the kernel took in one write of a connection's batch.",
                  write_batch_bytes, 1);
  AppendHistogram(out, "io_thread_lateness_seconds",
                  "Seconds each heartbeat of the I/O thread ran late: how long work that became ready waited "
                  "for the thread.",
                  io_thread_lateness_ns, 1e-9);
  return out;
}

}  // namespace armorclaw::eventbus
