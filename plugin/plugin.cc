#include "plugin/plugin.h"

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <exception>
#include <future>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/post.hpp"
#include "plugin/event_ingest.h"

namespace armorclaw::eventbus {

namespace asio = boost::asio;

absl::StatusOr<std::unique_ptr<Plugin>> Plugin::Create(HostLog log, const ConfigEntries& entries) {
  auto config = ParseConfig(entries, [&log](std::string_view warning) { log.Warn(warning); });
  if (!config.ok()) return config.status();
  auto authenticator = Authenticator::Create(*config);
  if (!authenticator.ok()) return authenticator.status();
  std::optional<Scrubber> scrubber;
  if (config->pii_scrubbing) {
    auto created = Scrubber::Create();
    if (!created.ok()) return absl::InternalError(absl::StrCat("PII scrubber: ", created.status().message()));
    scrubber.emplace(*std::move(created));
  }
  return std::unique_ptr<Plugin>(
      new Plugin(log, *std::move(config), *std::move(authenticator), std::move(scrubber)));
}

Plugin::Plugin(HostLog log, Config config, std::shared_ptr<const Authenticator> authenticator,
               std::optional<Scrubber> scrubber)
    : log_(log),
      config_(std::move(config)),
      authenticator_(std::move(authenticator)),
      scrubber_(std::move(scrubber)),
      io_(1),
      queue_(static_cast<size_t>(config_.ingest_queue_events),
             [this] { asio::post(io_, [this] { DrainIngest(); }); }) {}

Plugin::~Plugin() {
  if (state_.load() == State::kRunning) (void)Stop(absl::ZeroDuration());
}

absl::Status Plugin::Start() {
  if (state_.load() != State::kCreated) {
    return absl::FailedPreconditionError(
        "start: the plugin was already started (a plugin starts once; after stop, destroy it)");
  }
  if (config_.websocket_enabled) {
    auto server = Server::Listen(io_, config_, authenticator_, log_, counters_);
    if (!server.ok()) return server.status();
    server_ = *std::move(server);
    server_->Start();
  }
  work_.emplace(io_.get_executor());
  // The thread inherits this mask: every signal blocked, so the host's handlers (Go's among them) never
  // run on our thread.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  io_thread_ = std::thread([this] { RunIoThread(); });
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  queue_.Open();
  state_.store(State::kRunning, std::memory_order_release);
  if (server_) {
    log_.Info(absl::StrCat("listening on ", server_->url()));
    if (authenticator_) {
      log_.Info(absl::StrCat("authentication: ", authenticator_->Describe()));
    } else if (!asio::ip::make_address(config_.websocket_addr.host).is_loopback()) {
      log_.Warn("authentication is off (neither auth_tokens_file nor auth_jwt_secret_file is set) and the "
                "listener is not on loopback: anyone who can reach it receives every event");
    }
  } else {
    log_.Info("websocket_enabled is false: accepting events, serving no clients");
  }
  return absl::OkStatus();
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
  auto all_closed = std::make_shared<std::promise<void>>();
  std::future<void> closed = all_closed->get_future();
  asio::post(io_, [this, all_closed] {
    if (server_) {
      server_->BeginShutdown([all_closed] { all_closed->set_value(); });
    } else {
      all_closed->set_value();
    }
  });
  if (closed.wait_for(absl::ToChronoMilliseconds(grace)) != std::future_status::ready) {
    log_.Warn("stop: grace period over, dropping the connections still open");
  }
  asio::post(io_, [this] {
    if (server_) server_->Abort();
  });
  // With the work guard gone, run() returns once the aborted operations have finished.
  work_.reset();
  io_thread_.join();
  log_.Info("stopped");
  return absl::OkStatus();
}

absl::Status Plugin::Publish(std::string_view event_json) {
  if (state_.load(std::memory_order_acquire) != State::kRunning) {
    return absl::FailedPreconditionError("publish: the plugin is not running (before start or after stop)");
  }
  auto event = PrepareEvent(event_json, static_cast<size_t>(config_.max_event_bytes), absl::Now(),
                            scrubber_ ? &*scrubber_ : nullptr);
  if (!event.ok()) {
    Increment(counters_.events_rejected_invalid);
    return event.status();
  }
  switch (queue_.Push(*std::move(event))) {
    case IngestQueue::PushResult::kAccepted:
      Increment(counters_.events_published);
      return absl::OkStatus();
    case IngestQueue::PushResult::kFull:
      Increment(counters_.events_rejected_busy);
      return absl::ResourceExhaustedError(
          absl::StrCat("the ingest queue is full (ingest_queue_events = ", config_.ingest_queue_events, ")"));
    case IngestQueue::PushResult::kClosed:
      break;
  }
  return absl::FailedPreconditionError("publish: the plugin is stopping");
}

void Plugin::DrainIngest() {
  queue_.Drain(drained_);
  if (server_) Increment(counters_.deliveries, server_->Publish(drained_));
  drained_.clear();
}

absl::StatusOr<std::string> Plugin::ListenUrl() const {
  if (state_.load(std::memory_order_acquire) != State::kRunning || !server_) {
    return absl::FailedPreconditionError("listen_url: not listening");
  }
  return server_->url();
}

std::string Plugin::Stats() const {
  return counters_.ToJson(queue_.last_sequence(), queue_.depth(), config_.max_subscribers, config_.websocket_enabled);
}

}  // namespace armorclaw::eventbus
