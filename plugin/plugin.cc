#include "plugin/plugin.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <exception>
#include <future>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/post.hpp"
#include "common/string_view_compat.h"
#include "plugin/event_ingest.h"
#include "plugin/subscriber_id.h"
#include "plugin/metrics/exposition.h"

namespace armorclaw::eventbus {

namespace asio = boost::asio;

namespace {

// What the I/O thread dispatches in one handler: small enough that a burst never holds the thread for long
// (a socket completion, a subscribe or a ping waits at most one slice, or one part of a flush), and that
// max_total_queue_bytes is checked often. A slice's cost is its deliveries, not its events (with 1000
// subscriptions an event is a thousand frames queued), so its events shrink as subscriptions grow:
// kDeliveriesPerSlice is a few milliseconds of queueing. Sending is not per slice: a backlog is flushed
// once kFlushEvery events were queued (or none waits), because a connection's writev costs nearly as much
// for one frame as for many (docs/benchmarks.md, "Overload").
constexpr DrainLimit kDispatchSlice{.events = 256, .bytes = size_t{1} << 20};
constexpr size_t kDeliveriesPerSlice = 65536;
constexpr size_t kFlushEvery = 256;

DrainLimit DispatchSlice(size_t subscriptions) {
  DrainLimit limit = kDispatchSlice;
  limit.events = std::clamp<size_t>(kDeliveriesPerSlice / std::max<size_t>(subscriptions, 1), 1, kDispatchSlice.events);
  return limit;
}

// Blocks every signal in the calling thread for its lifetime, whatever happens, so that a thread started
// meanwhile inherits the full mask (the host's handlers, Go's among them, never run on our thread) and the
// host's thread gets its own mask back.
class AllSignalsBlocked {
 public:
  AllSignalsBlocked() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous_);
  }
  ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  AllSignalsBlocked(const AllSignalsBlocked&) = delete;
  AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;

 private:
  sigset_t previous_;
};

// Opens (and recovers) the durable log at create, and says what recovery found: a warning when records
// were lost, since clients then resume under a new epoch. A directory that cannot be made or read is a
// configuration error naming it.
absl::StatusOr<std::unique_ptr<DurableLog>> OpenDurableLog(const Config& config, const HostLog& log) {
  auto opened = DurableLog::Open(DurableLogOptions{.dir = config.durable_log_dir,
                                                   .max_segment_bytes = config.log_segment_bytes(),
                                                   .retention_bytes = static_cast<uint64_t>(config.durable_log_retention_bytes)});
  if (!opened.ok()) {
    // The message names durable_log_dir and the directory or file (DurableLog::Open).
    return absl::InvalidArgumentError(opened.status().message());
  }
  const DurableLog& durable = **opened;
  const LogRecovery& recovery = durable.recovery();
  const bool had_records = durable.last_offset() != 0 || recovery.truncated_bytes != 0;
  const std::string held =
      durable.last_offset() == 0
          ? std::string("no events")
          : absl::StrCat("events ", durable.first_offset(), " to ", durable.last_offset(), " in ", durable.segments(),
                         " segments (", durable.bytes(), " bytes)");
  if (recovery.epoch_changed && had_records) {
    log.Warn(absl::StrCat("durable log in ", config.durable_log_dir, ": records were lost (", recovery.truncated_bytes,
                          " bytes of a torn or corrupt tail cut, or the last run could not write): new epoch ",
                          durable.epoch(), ", clients resume from scratch; it holds ", held));
  } else {
    log.Info(absl::StrCat("durable log in ", config.durable_log_dir, ": ", held, ", epoch ", durable.epoch(),
                          recovery.epoch_changed ? " (new)" : " (kept)", ", ", recovery.truncated_bytes,
                          " bytes cut at recovery; the sequence continues after ", durable.last_offset()));
  }
  return opened;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Plugin>> Plugin::Create(HostLog log, const ConfigEntries& entries) {
  auto config = ParseConfig(entries, [&log](std::string_view warning) { log.Warn(warning); });
  if (!config.ok()) return config.status();
  auto authentication = LoadAuthentication(*config);
  if (!authentication.ok()) return authentication.status();
  std::unique_ptr<DurableLog> durable_log;
  std::string epoch;
  if (config->enable_durable_log) {
    auto opened = OpenDurableLog(*config, log);
    if (!opened.ok()) return opened.status();
    durable_log = *std::move(opened);
    epoch = durable_log->epoch();
  } else {
    try {
      epoch = NewEpoch();
    } catch (const std::runtime_error& error) {
      return absl::InternalError(absl::StrCat("cannot draw the epoch: ", error.what()));
    }
  }
  std::unique_ptr<const Scrubber> scrubber;
  if (config->pii_scrubbing) {
    auto created = CreateScrubber();
    if (!created.ok()) return created.status();
    scrubber = *std::move(created);
  }
  return std::unique_ptr<Plugin>(
      new Plugin(log, *std::move(config), std::move(epoch), *std::move(authentication), std::move(scrubber),
                 std::move(durable_log)));
}

absl::StatusOr<Plugin::Authentication> Plugin::LoadAuthentication(const Config& config) {
  // Stamped before they are read: a file replaced after this is loaded again once the plugin runs.
  FileWatch::Stamps files_loaded = FileWatch::Read(Server::AuthenticationFiles(config));
  auto authenticator = Authenticator::Create(config);
  if (!authenticator.ok()) return authenticator.status();
  return Authentication{*std::move(authenticator), std::move(files_loaded)};
}

absl::StatusOr<std::unique_ptr<const Scrubber>> Plugin::CreateScrubber() {
  auto created = Scrubber::Create();
  if (!created.ok()) return absl::InternalError(absl::StrCat("PII scrubber: ", created.status().message()));
  return std::make_unique<const Scrubber>(*std::move(created));
}

Plugin::Plugin(HostLog log, Config config, std::string epoch, Authentication authentication,
               std::unique_ptr<const Scrubber> scrubber, std::unique_ptr<DurableLog> durable_log)
    : log_(log),
      config_(std::move(config)),
      websocket_enabled_(config_.websocket_enabled),
      ingest_queue_events_(config_.ingest_queue_events),
      max_event_bytes_(config_.max_event_bytes),
      max_subscribers_(config_.max_subscribers),
      epoch_(std::move(epoch)),
      authentication_(std::move(authentication)),
      scrubber_built_(std::move(scrubber)),
      scrubber_(scrubber_built_.get()),
      io_(1),
      shutdown_signal_(io_),
      queue_(static_cast<size_t>(config_.ingest_queue_events),
             [this] {
               if (log_writer_) {
                 log_writer_->Wake();
               } else {
                 asio::post(io_, [this] { DrainIngest(); });
               }
             },
             durable_log ? durable_log->last_offset() : 0),
      durable_log_(std::move(durable_log)) {
  queue_.set_max_delay(absl::ToChronoNanoseconds(config_.max_ingest_delay));
  if (!durable_log_) return;
  counters_.log_recovery_truncated_bytes.store(durable_log_->recovery().truncated_bytes, std::memory_order_relaxed);
  // Write before deliver: a batch reaches the I/O thread only once the writer has logged it.
  log_writer_ = std::make_unique<LogWriter>(
      *durable_log_, queue_, config_.durable_log_fsync, config_.durable_log_fsync_interval,
      static_cast<size_t>(ingest_queue_events_),
      [this] { asio::post(io_, [this] { DrainIngest(); }); }, log_, counters_);
}

Plugin::~Plugin() {
  // Stop allocates nothing and cannot fail, so destroy never leaves a thread behind.
  if (state_.load() == State::kRunning) (void)Stop(absl::ZeroDuration());
}

absl::Status Plugin::Start() {
  if (state_.load() != State::kCreated) {
    return absl::FailedPreconditionError(
        "start: the plugin was already started (a plugin starts once; after stop, destroy it)");
  }
  io_.restart();  // A failed start ran it.
  shutdown_signal_.expires_at(asio::steady_timer::time_point::max());
  shutdown_signal_.async_wait([this](boost::system::error_code) {
    heartbeat_.Stop();
    if (server_) server_->Shutdown(grace_);
  });
  // Whatever fails from here on, nothing is left behind: the thread is ended, the listener closed, and
  // start can be called again.
  auto undo = absl::MakeCleanup([this] {
    StopOperatorListener();
    StopLogWriter();
    shutdown_signal_.cancel();
    if (io_thread_.joinable()) {
      io_thread_.join();
    } else {
      io_.restart();
      io_.poll();  // The cancelled wait's handler, so that a later start does not run it.
    }
    server_.reset();
  });
  heartbeat_.Start();
  try {
    AllSignalsBlocked blocked;
    io_thread_ = std::thread([this] { RunIoThread(); });
    if (log_writer_) log_writer_thread_ = std::thread([this] { log_writer_->Run(); });
  } catch (const std::system_error& error) {
    return absl::InternalError(absl::StrCat("start: cannot create the plugin's thread: ", error.what()));
  }
  // What start logs is composed before it commits, so that nothing after the commit can fail.
  std::string started = "websocket_enabled is false: accepting events, serving no clients";
  std::string authentication;
  if (config_.websocket_enabled) {
    // Bound from this thread, so that a failure reaches the caller; served from the I/O thread.
    auto server = Server::Listen(io_, config_, epoch_, authentication_.authenticator, authentication_.files_loaded,
                                 log_, counters_, [this] { return Stats(); }, log_writer_.get());
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    started = absl::StrCat("listening on ", server_->url());
    if (authentication_.authenticator) {
      authentication = absl::StrCat("authentication: ", authentication_.authenticator->Describe());
    } else if (!asio::ip::make_address(config_.websocket_addr.host).is_loopback()) {
      authentication =
          "authentication is off (neither auth_tokens_file nor auth_jwt_secret_file is set) and the listener is "
          "not on loopback: anyone who can reach it receives every event";
    }
    asio::post(io_, [this] { server_->Start(); });
  }
  if (absl::Status status = StartOperatorListener(); !status.ok()) return status;
  const std::string operator_listener =
      operator_server_ ? absl::StrCat("metrics and health on ", operator_server_->url(), " (metrics_addr)") : "";
  queue_.Open();
  state_.store(State::kRunning, std::memory_order_release);
  std::move(undo).Cancel();
  log_.Info(started);
  if (!operator_listener.empty()) log_.Info(operator_listener);
  if (!authentication.empty()) {
    if (authentication_.authenticator) {
      log_.Info(authentication);
    } else {
      log_.Warn(authentication);
    }
  }
  return absl::OkStatus();
}

absl::Status Plugin::StartOperatorListener() {
  if (!config_.metrics_addr) return absl::OkStatus();
  OperatorServer::Probes probes{
      .metrics = [this] { return Metrics(); },
      // Ready while start's work stands and stop has not begun, and only when clients are served at all.
      .ready = [this] { return websocket_enabled_ && state_.load() == State::kRunning; },
      .heartbeat = &heartbeat_,
  };
  auto listener = OperatorServer::Listen(*config_.metrics_addr, std::move(probes));
  if (!listener.ok()) return listener.status();
  operator_server_ = *std::move(listener);
  try {
    AllSignalsBlocked blocked;
    operator_thread_ = std::thread([this] { operator_server_->Serve(); });
  } catch (const std::system_error& error) {
    operator_server_.reset();
    return absl::InternalError(absl::StrCat("start: cannot create the metrics thread: ", error.what()));
  }
  return absl::OkStatus();
}

void Plugin::StopOperatorListener() {
  if (!operator_server_) return;
  operator_server_->Stop();
  if (operator_thread_.joinable()) operator_thread_.join();
  operator_server_.reset();
}

void Plugin::RunIoThread() {
  for (;;) {
    try {
      io_.run();
      return;
    } catch (const std::exception& error) {
      // A handler failed (out of memory, say): the connection it served is lost, the rest go on.
      log_.Error(absl::StrCat("internal error on the I/O thread: ", error.what()));
    } catch (...) {
      log_.Error("internal error on the I/O thread");
    }
  }
}

absl::Status Plugin::Stop(absl::Duration grace) {
  if (state_.load() != State::kRunning) {
    return absl::FailedPreconditionError("stop: the plugin is not running");
  }
  state_.store(State::kStopped, std::memory_order_release);
  queue_.Close();
  // What was accepted is logged and passed on before the connections are told to go.
  StopLogWriter();
  grace_ = grace;
  // The server closes every connection within the grace period; then nothing is left pending, run()
  // returns and the thread ends.
  shutdown_signal_.cancel();
  io_thread_.join();
  StopOperatorListener();
  log_.Info("stopped");
  return absl::OkStatus();
}

absl::Status Plugin::Reconfigure(const ConfigEntries& entries) {
  if (state_.load() == State::kStopped) {
    return absl::FailedPreconditionError("reconfigure: the plugin is stopped (after stop it can only be destroyed)");
  }
  auto next = ParseConfig(entries, [this](std::string_view warning) { log_.Warn(warning); });
  if (!next.ok()) return next.status();
  if (const std::vector<std::string_view> keys = KeysNeedingRestart(config_, *next); !keys.empty()) {
    std::string named;
    for (std::string_view key : keys) absl::StrAppend(&named, named.empty() ? "" : ", ", ToAbsl(key));
    return absl::InvalidArgumentError(absl::StrCat(
        "reconfigure: ", named, " cannot change without a restart (restart the bridge for ",
        keys.size() == 1 ? "it" : "them", "); nothing was changed"));
  }
  auto authentication = LoadAuthentication(*next);
  if (!authentication.ok()) return authentication.status();
  if (next->pii_scrubbing && !scrubber_built_) {
    auto created = CreateScrubber();
    if (!created.ok()) return created.status();
    scrubber_built_ = *std::move(created);
  }
  if (state_.load() == State::kRunning && server_) {
    // Applied between two handlers of the I/O thread, which owns the server. Stop never runs meanwhile (a
    // lifecycle call, like this one), so the thread is there to answer.
    std::promise<absl::Status> applied;
    std::future<absl::Status> done = applied.get_future();
    asio::post(io_, [&] {
      try {
        applied.set_value(server_->Reconfigure(*next, authentication->authenticator, authentication->files_loaded));
      } catch (...) {
        applied.set_exception(std::current_exception());
      }
    });
    if (absl::Status status = done.get(); !status.ok()) return status;
  }
  max_event_bytes_.store(next->max_event_bytes, std::memory_order_relaxed);
  max_subscribers_.store(next->max_subscribers, std::memory_order_relaxed);
  queue_.set_max_delay(absl::ToChronoNanoseconds(next->max_ingest_delay));
  scrubber_.store(next->pii_scrubbing ? scrubber_built_.get() : nullptr, std::memory_order_release);
  config_ = *std::move(next);
  authentication_ = *std::move(authentication);
  log_.Info("configuration reloaded");
  return absl::OkStatus();
}

absl::Status Plugin::Publish(std::string_view event_json) {
  if (state_.load(std::memory_order_acquire) != State::kRunning) {
    return absl::FailedPreconditionError("publish: the plugin is not running (before start or after stop)");
  }
  auto event = PrepareEvent(event_json, static_cast<size_t>(max_event_bytes_.load(std::memory_order_relaxed)),
                            absl::Now(), scrubber_.load(std::memory_order_acquire));
  if (!event.ok()) {
    Increment(counters_.events_rejected_invalid);
    return event.status();
  }
  (*event)->accepted = std::chrono::steady_clock::now();
  switch (queue_.Push(*std::move(event))) {
    case IngestQueue::PushResult::kAccepted:
      Increment(counters_.events_published);
      return absl::OkStatus();
    case IngestQueue::PushResult::kFull:
      Increment(counters_.events_rejected_busy);
      return absl::ResourceExhaustedError(
          absl::StrCat("the ingest queue is full (ingest_queue_events = ", ingest_queue_events_, ")"));
    case IngestQueue::PushResult::kBehind:
      Increment(counters_.events_rejected_busy);
      return absl::ResourceExhaustedError(absl::StrCat(
          "the plugin's thread is behind: the oldest waiting event was accepted more than max_ingest_delay = ",
          absl::FormatDuration(absl::FromChrono(queue_.max_delay())), " ago"));
    case IngestQueue::PushResult::kClosed:
      break;
  }
  return absl::FailedPreconditionError("publish: the plugin is stopping");
}

void Plugin::DrainIngest() {
  // A flush not over yet (Server::Flush sends in parts) goes first: the drain stays pending and comes back
  // behind the flush's next part, so a backlog never queues faster than it is sent.
  if (server_ && server_->flushing()) {
    try {
      asio::post(io_, [this] { DrainIngest(); });
      return;
    } catch (...) {
      // Nothing can come back later: this slice is dispatched now, into the flush still going on.
    }
  }
  // Cleared even when a handler fails half-way, so that no event is sent twice.
  const auto clear = absl::MakeCleanup([this] { drained_.clear(); });
  // One slice per handler: when more wait, the drain posts itself again (IngestQueue::Drain,
  // LogWriter::Drain), behind the socket completions and requests already ready.
  const DrainLimit slice = DispatchSlice(counters_.subscriptions_active.load(std::memory_order_relaxed));
  const bool more = log_writer_ ? log_writer_->Drain(drained_, slice) : queue_.Drain(drained_, slice);
  if (!server_) return;
  unflushed_events_ += drained_.size();
  server_->Publish(drained_);
  counters_.deliveries.store(server_->deliveries(), std::memory_order_relaxed);
  if (!more || unflushed_events_ >= kFlushEvery) {
    unflushed_events_ = 0;
    server_->Flush();
  }
}

void Plugin::StopLogWriter() {
  if (!log_writer_thread_.joinable()) return;
  log_writer_->Stop();
  log_writer_thread_.join();
}

absl::StatusOr<std::string> Plugin::ListenUrl() const {
  if (state_.load(std::memory_order_acquire) != State::kRunning || !server_) {
    return absl::FailedPreconditionError("listen_url: not listening");
  }
  return server_->url();
}

StatsSnapshot Plugin::Snapshot() const {
  return counters_.Snapshot(queue_.last_sequence(), queue_.depth(), max_subscribers_.load(std::memory_order_relaxed),
                            websocket_enabled_);
}

std::string Plugin::Stats() const { return StatsJson(Snapshot()); }

std::string Plugin::Metrics() const {
  return WriteExposition(Snapshot(), counters_.publish_to_socket_ns.Read(), counters_.write_batch_bytes.Read(),
                         counters_.io_thread_lateness_ns.Read());
}

}  // namespace armorclaw::eventbus
