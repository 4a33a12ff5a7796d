// One plugin instance: configuration, the ingest queue, and the I/O thread that serves it. The C entry
// points (entry.cc) translate to and from this class; it reports failures as absl::Status:
//   ResourceExhausted = ingest queue full, InvalidArgument = bad input, FailedPrecondition = wrong state,
//   Unavailable = listener could not be set up.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_PLUGIN_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_PLUGIN_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "plugin/security/auth.h"
#include "plugin/config.h"
#include "plugin/counters.h"
#include "plugin/history/durable_log.h"
#include "plugin/history/log_writer.h"
#include "plugin/host_log.h"
#include "plugin/ingest_queue.h"
#include "plugin/metrics/heartbeat.h"
#include "plugin/metrics/operator_server.h"
#include "plugin/security/file_watch.h"
#include "plugin/security/scrubber.h"
#include "plugin/net/server.h"

namespace armorclaw::eventbus {

class Plugin {
 public:
  // Host thread; validates the configuration (unknown keys are logged and ignored).
  static absl::StatusOr<std::unique_ptr<Plugin>> Create(HostLog log, const ConfigEntries& entries);
  ~Plugin();  // Stops without grace if still running.

  // Host lifecycle calls, one at a time.
  absl::Status Start();
  absl::Status Stop(absl::Duration grace);
  // Replaces the configuration, all or nothing (ABI 1.1 reconfigure). The entries are a whole new
  // configuration, validated as Create validates them (same errors, InvalidArgument); a key whose change
  // takes a restart (ReloadOf) is refused, each such key named, InvalidArgument; authentication files that
  // do not load are refused as by Create. While running, returns once the I/O thread applies it; before
  // start, it is what start will use. After stop: FailedPrecondition. A lifecycle call: never concurrent
  // with Start, Stop or another Reconfigure; publish, stats and listen_url may run meanwhile.
  absl::Status Reconfigure(const ConfigEntries& entries);

  // Any thread.
  absl::Status Publish(std::string_view event_json);
  absl::StatusOr<std::string> ListenUrl() const;
  std::string Stats() const;
  // The Prometheus exposition of the same figures (plugin/metrics/exposition.h).
  std::string Metrics() const;

 private:
  enum class State { kCreated, kRunning, kStopped };

  // The authenticator `config` asks for (null: authentication off), and the versions of its files that
  // were read, stamped before reading them so that a file replaced meanwhile is loaded again by the watch.
  struct Authentication {
    std::shared_ptr<const Authenticator> authenticator;
    FileWatch::Stamps files_loaded;
  };
  static absl::StatusOr<Authentication> LoadAuthentication(const Config& config);
  static absl::StatusOr<std::unique_ptr<const Scrubber>> CreateScrubber();

  Plugin(HostLog log, Config config, std::string epoch, Authentication authentication,
         std::unique_ptr<const Scrubber> scrubber, std::unique_ptr<DurableLog> durable_log);
  // I/O thread: hands every waiting event to the index: from the ingest queue, or with the durable log on,
  // what the log writer has logged.
  void DrainIngest();
  // Ends the log writer's thread once it has written and passed on what was queued (host's thread).
  void StopLogWriter();
  void RunIoThread();
  StatsSnapshot Snapshot() const;
  // The operator listener of metrics_addr and its thread (nothing when metrics_addr is not set). Start
  // binds it (a failure is start's), Stop ends it; both from the host's thread.
  absl::Status StartOperatorListener();
  void StopOperatorListener();

  // Declared before the io_context: sessions still pending in it when it is destroyed refer to them.
  Counters counters_;
  const HostLog log_;
  // The configuration in force. Read and replaced by the host's lifecycle calls only (Start, Reconfigure);
  // what other threads read of it is copied below.
  Config config_;
  // Keys no reconfiguration changes (Reload::kRestart), read by publish, stats and the operator thread.
  const bool websocket_enabled_;
  const int64_t ingest_queue_events_;
  // Live keys read by publish and stats.
  std::atomic<int64_t> max_event_bytes_;
  std::atomic<int64_t> max_subscribers_;
  // Names this instance's history of sequence numbers, which starts at 1 with it (Hub::epoch), or the
  // durable log's, which goes on across restarts.
  const std::string epoch_;
  // What Start hands the server; the server has its own once running.
  Authentication authentication_;
  // The scrubber, built the first time pii_scrubbing is on and kept until destruction, so that a publish
  // still using it when scrubbing is turned off never sees it freed. Written by Create and Reconfigure.
  std::unique_ptr<const Scrubber> scrubber_built_;
  // What publish uses: scrubber_built_, or null while pii_scrubbing is off. One atomic load per publish,
  // no reference count to contend on.
  std::atomic<const Scrubber*> scrubber_;
  boost::asio::io_context io_;
  // A wait armed by start and cancelled by stop: it keeps the I/O thread running until then, and its
  // cancellation is how stop reaches that thread, with nothing to allocate (so stop cannot fail half-way).
  boost::asio::steady_timer shutdown_signal_;
  absl::Duration grace_;  // Written by stop before it cancels shutdown_signal_; read by its handler.
  IngestQueue queue_;
  std::vector<EventPtr> drained_;  // I/O thread only; kept to reuse its capacity.
  size_t unflushed_events_ = 0;    // I/O thread only: dispatched since the last Server::Flush.
  std::unique_ptr<Server> server_;  // Null when websocket_enabled is false. Kept until destruction.
  // The durable log and the thread that writes it between the queue and the I/O thread (all three null or
  // not started when enable_durable_log is false). Declared after queue_, which they use.
  const std::unique_ptr<DurableLog> durable_log_;
  std::unique_ptr<LogWriter> log_writer_;
  std::thread log_writer_thread_;
  std::atomic<State> state_{State::kCreated};
  std::thread io_thread_;
  Heartbeat heartbeat_{io_, counters_.io_thread_lateness_ns};
  std::unique_ptr<OperatorServer> operator_server_;  // Null unless metrics_addr is set and running.
  std::thread operator_thread_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_PLUGIN_H_
