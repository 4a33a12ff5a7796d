// What the plugin counts, readable from any thread (the ABI's stats call, the metrics listener) while the
// I/O thread and the publishers update it. Relaxed atomics: each figure is exact on its own, not a snapshot
// of all. Snapshot is the one place the figures are read: the stats JSON and the Prometheus exposition are
// both written from it, so they cannot disagree.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_COUNTERS_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_COUNTERS_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/metrics/histogram.h"

namespace armorclaw::eventbus {

// A byte count that goes up and down, with its high-water mark. Moved by the I/O thread only, so the peak
// needs no compare-and-swap; read from any thread.
class ByteGauge {
 public:
  void Add(uint64_t bytes) {
    const uint64_t now = now_.load(std::memory_order_relaxed) + bytes;
    now_.store(now, std::memory_order_relaxed);
    if (now > peak_.load(std::memory_order_relaxed)) peak_.store(now, std::memory_order_relaxed);
  }
  void Remove(uint64_t bytes) { now_.store(now_.load(std::memory_order_relaxed) - bytes, std::memory_order_relaxed); }
  uint64_t now() const { return now_.load(std::memory_order_relaxed); }
  uint64_t peak() const { return peak_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> now_{0};
  std::atomic<uint64_t> peak_{0};
};

// One figure of the stats: its name in the stats JSON, and its value (0 or 1 for a yes/no figure, which
// the JSON writes as false or true).
struct StatsFigure {
  std::string_view name;
  uint64_t value;
  bool yes_no = false;
};
using StatsSnapshot = std::vector<StatsFigure>;

// The stats JSON object (docs/abi.md): every figure, in the snapshot's order.
std::string StatsJson(const StatsSnapshot& snapshot);

struct Counters {
  std::atomic<uint64_t> events_published{0};
  std::atomic<uint64_t> events_rejected_invalid{0};
  std::atomic<uint64_t> events_rejected_busy{0};
  std::atomic<uint64_t> deliveries{0};
  std::atomic<uint64_t> connections_open{0};
  std::atomic<uint64_t> connections_accepted{0};
  // Open WebSocket connections that ended, whoever closed them (connections_accepted - connections_open).
  std::atomic<uint64_t> connections_closed{0};
  // Accepted TCP connections in any stage: handshaking, open or closing (each holds a descriptor).
  std::atomic<uint64_t> sockets_open{0};
  std::atomic<uint64_t> address_limit_refused{0};
  std::atomic<uint64_t> http_rejected{0};
  std::atomic<uint64_t> auth_refused{0};
  std::atomic<uint64_t> tokens_expired{0};
  std::atomic<uint64_t> tokens_revoked{0};
  std::atomic<uint64_t> auth_reloads{0};
  std::atomic<uint64_t> auth_reload_failures{0};
  std::atomic<uint64_t> tls_reloads{0};
  std::atomic<uint64_t> tls_reload_failures{0};
  std::atomic<uint64_t> subscriptions_active{0};
  std::atomic<uint64_t> slow_consumers_disconnected{0};
  std::atomic<uint64_t> inactive_disconnected{0};
  std::atomic<uint64_t> keepalive_disconnected{0};
  std::atomic<uint64_t> protocol_errors{0};
  // Bytes appended to connections' outbound queues and not yet taken by the kernel, over all connections.
  // An event shared by many connections counts once for each, so this is an upper bound on the memory
  // those queues hold.
  ByteGauge queued_bytes;

  // Resuming after a disconnect (plugin/history): what the retained history holds, set by the I/O thread
  // after each batch, and how subscribes with "since" ended.
  std::atomic<uint64_t> history_events{0};
  std::atomic<uint64_t> history_bytes{0};
  std::atomic<uint64_t> history_earliest_sequence{1};
  std::atomic<uint64_t> replays_recovered{0};
  std::atomic<uint64_t> replays_too_old{0};
  std::atomic<uint64_t> replays_epoch_mismatch{0};
  std::atomic<uint64_t> replays_future{0};
  std::atomic<uint64_t> replays_too_many{0};
  std::atomic<uint64_t> replayed_events{0};
  // The durable log (plugin/history): what its segments hold, set by the log writer after each batch; its
  // fsyncs and failed writes; what recovery cut at create; and the replayed events read back from it.
  std::atomic<uint64_t> log_bytes{0};
  std::atomic<uint64_t> log_segments{0};
  std::atomic<uint64_t> log_earliest_sequence{0};
  std::atomic<uint64_t> log_fsyncs{0};
  std::atomic<uint64_t> log_write_errors{0};
  std::atomic<uint64_t> log_recovery_truncated_bytes{0};
  std::atomic<uint64_t> replayed_from_disk_events{0};

  // Seconds from publish accepting an event to the kernel taking its frame for one receiver, observed for
  // every kLatencySampleEvery-th event (by sequence) only: a clock read per delivery of each sampled event.
  static constexpr uint64_t kLatencySampleEvery = 64;
  Histogram publish_to_socket_ns{{50'000, 100'000, 250'000, 500'000, 1'000'000, 2'500'000, 5'000'000, 10'000'000,
                                  25'000'000, 50'000'000, 100'000'000, 250'000'000, 500'000'000, 1'000'000'000,
                                  2'500'000'000, 10'000'000'000}};
  // Bytes the kernel took in one writev of a connection's batch (every writev that took any).
  Histogram write_batch_bytes{{64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304}};
  // How late the I/O thread ran each heartbeat (plugin/metrics/heartbeat.h): how long work that became
  // ready waited for the thread.
  Histogram io_thread_lateness_ns{{1'000'000, 5'000'000, 10'000'000, 25'000'000, 50'000'000, 100'000'000,
                                   250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000, 10'000'000'000}};

  // Every counter, plus the figures kept elsewhere that are passed in, read once. max_subscribers and
  // websocket_enabled (the configured values) and active_subscribers (= subscriptions_active) are there under
  // the names the bridge's JSON-RPC eventbus.get_stats answers with, so that it can return the stats JSON
  // unchanged.
  StatsSnapshot Snapshot(uint64_t last_sequence, uint64_t ingest_queue_depth, uint64_t max_subscribers,
                         bool websocket_enabled) const;
};

inline void Increment(std::atomic<uint64_t>& counter, uint64_t by = 1) {
  counter.fetch_add(by, std::memory_order_relaxed);
}

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_COUNTERS_H_
