#include "plugin/net/server.h"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl/context.hpp"
#include "openssl/ssl.h"
#include "plugin/net/listen.h"
#include "plugin/net/session.h"

namespace armorclaw::eventbus {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

// Sockets still in the HTTP stage beyond max_connections: enough to answer 503 to a burst, few enough
// that a flood cannot exhaust the host's descriptors.
constexpr size_t kHandshakeSlack = 256;

// TLS 1.2 and later, no renegotiation (a renegotiation could make a send wait for a read).
absl::StatusOr<std::shared_ptr<asio::ssl::context>> LoadTls(const Config& config) {
  auto tls = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 |
                   asio::ssl::context::single_dh_use);
  SSL_CTX_set_options(tls->native_handle(), SSL_OP_NO_RENEGOTIATION);
  boost::system::error_code error;
  // No passphrase can be configured. Without a callback OpenSSL would ask for one on the terminal,
  // blocking the bridge's thread in start (or ours, in a reload) on input that never comes. OpenSSL asks
  // only for an encrypted key, which is how the error below can say so: its own reason varies, as a wrong
  // (empty) passphrase passes AES-CBC's padding check one time in 256 and fails in the decoder instead.
  auto asked_for_passphrase = std::make_shared<bool>(false);
  tls->set_password_callback(
      [asked_for_passphrase](std::size_t, asio::ssl::context::password_purpose) {
        *asked_for_passphrase = true;
        return std::string();
      },
      error);
  tls->use_certificate_chain_file(config.tls_cert_file, error);
  if (error) {
    return absl::UnavailableError(
        absl::StrCat("cannot load tls_cert_file \"", config.tls_cert_file, "\": ", error.message()));
  }
  // OpenSSL also checks here that the key belongs to the certificate.
  tls->use_private_key_file(config.tls_key_file, asio::ssl::context::pem, error);
  if (error) {
    const std::string reason =
        *asked_for_passphrase
            ? absl::StrCat("the key is encrypted and no passphrase can be given: store it unencrypted (",
                           error.message(), ")")
            : error.message();
    return absl::UnavailableError(absl::StrCat("cannot load tls_key_file \"", config.tls_key_file, "\": ", reason));
  }
  return tls;
}

}  // namespace

Server::Server(asio::io_context& io, std::shared_ptr<Hub> hub)
    : io_(io), acceptor_(io), retry_timer_(io), grace_timer_(io), position_timer_(io), hub_(std::move(hub)) {}

std::vector<std::string> Server::AuthenticationFiles(const Config& config) {
  std::vector<std::string> files;
  for (const std::string& path : {config.auth_tokens_file, config.auth_jwt_secret_file}) {
    if (!path.empty()) files.push_back(path);
  }
  return files;
}

absl::StatusOr<std::unique_ptr<Server>> Server::Listen(asio::io_context& io, const Config& config,
                                                       std::string epoch,
                                                       std::shared_ptr<const Authenticator> authenticator,
                                                       FileWatch::Stamps auth_files_loaded, HostLog log,
                                                       Counters& counters,
                                                       std::function<std::string()> stats_json,
                                                       const LogWriter* log_writer) {
  auto hub = std::make_shared<Hub>(config, std::move(epoch), std::move(authenticator), log, counters);
  hub->stats_json = std::move(stats_json);
  if (log_writer != nullptr) {
    // The sequence goes on from the log: a client resuming across the restart is in range.
    hub->log_writer = log_writer;
    hub->head = log_writer->log().last_offset();
  }
  std::unique_ptr<Server> server(new Server(io, std::move(hub)));
  Server* const watcher = server.get();
  if (!config.tls_cert_file.empty()) {
    std::vector<std::string> files{config.tls_cert_file, config.tls_key_file};
    FileWatch::Stamps loaded = FileWatch::Read(files);
    auto tls = LoadTls(config);
    if (!tls.ok()) return tls.status();
    server->hub_->tls = *std::move(tls);
    server->tls_watch_.emplace(io, std::move(files), std::move(loaded), [watcher] { watcher->ReloadTls(); });
  }
  if (server->hub_->authenticator) {
    server->auth_watch_.emplace(io, AuthenticationFiles(config), std::move(auth_files_loaded),
                                [watcher] { watcher->ReloadAuthentication(); });
  }
  if (absl::Status listening = ListenOn(server->acceptor_, config.websocket_addr, "websocket_addr"); !listening.ok()) {
    return listening;
  }
  boost::system::error_code error;
  const tcp::endpoint bound = server->acceptor_.local_endpoint(error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot read the bound address: ", error.message()));
  server->url_ = absl::StrCat(server->hub_->tls ? "wss://" : "ws://", HostForUrl(bound.address()), ":",
                              bound.port(), config.websocket_path);
  return server;
}

void Server::Start() {
  Accept();
  if (hub_->config.position_interval != absl::ZeroDuration()) ArmPositionTimer();
  if (auth_watch_) auth_watch_->Start();
  if (tls_watch_) tls_watch_->Start();
}

void Server::StopServing() {
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_timer_.cancel();
  position_timer_.cancel();
  if (auth_watch_) auth_watch_->Stop();
  if (tls_watch_) tls_watch_->Stop();
}

void Server::ReloadAuthentication() {
  auto authenticator = Authenticator::Create(hub_->config);
  if (!authenticator.ok()) {
    Increment(hub_->counters.auth_reload_failures);
    hub_->log.Warn(absl::StrCat("cannot reload the authentication files, the previous ones stay in force: ",
                                authenticator.status().message()));
    return;
  }
  InstallAuthenticator(*std::move(authenticator));
}

void Server::InstallAuthenticator(std::shared_ptr<const Authenticator> authenticator) {
  hub_->authenticator = std::move(authenticator);
  Increment(hub_->counters.auth_reloads);
  hub_->log.Info(absl::StrCat("authentication reloaded: ",
                              hub_->authenticator ? hub_->authenticator->Describe() : "off"));
  const std::vector<Session*> sessions(hub_->sessions.begin(), hub_->sessions.end());
  for (Session* session : sessions) session->Recheck();
}

absl::Status Server::Reconfigure(const Config& next, std::shared_ptr<const Authenticator> authenticator,
                                 FileWatch::Stamps auth_files_loaded) {
  const Config& running = hub_->config;
  // TLS is on in both (its on/off needs a restart); another pair of files is loaded before anything changes.
  std::shared_ptr<asio::ssl::context> tls;
  std::vector<std::string> tls_files{next.tls_cert_file, next.tls_key_file};
  FileWatch::Stamps tls_loaded;
  if (hub_->tls && (next.tls_cert_file != running.tls_cert_file || next.tls_key_file != running.tls_key_file)) {
    tls_loaded = FileWatch::Read(tls_files);
    auto loaded = LoadTls(next);
    if (!loaded.ok()) return absl::InvalidArgumentError(loaded.status().message());
    tls = *std::move(loaded);
  }
  const bool authentication_changed =
      next.auth_tokens_file != running.auth_tokens_file || next.auth_jwt_secret_file != running.auth_jwt_secret_file ||
      next.auth_jwt_audience != running.auth_jwt_audience || next.auth_jwt_issuer != running.auth_jwt_issuer;
  const bool position_interval_changed = next.position_interval != running.position_interval;
  // Nothing below fails but for lack of memory.
  hub_->config = next;
  hub_->sockets_by_address.set_limit(static_cast<size_t>(next.max_connections_per_address));
  hub_->history.SetBounds(static_cast<size_t>(next.history_size), static_cast<size_t>(next.history_max_bytes));
  RecordHistory();
  if (position_interval_changed) {
    // The next positions go out one new interval from now (none while it is 0).
    position_timer_.cancel();
    if (next.position_interval != absl::ZeroDuration() && acceptor_.is_open()) ArmPositionTimer();
  }
  if (tls) {
    hub_->tls = std::move(tls);
    tls_watch_->Rewatch(std::move(tls_files), std::move(tls_loaded));
    Increment(hub_->counters.tls_reloads);
    hub_->log.Info("TLS certificate reloaded: new connections get the new one");
  }
  if (authentication_changed) {
    if (auth_watch_) {
      auth_watch_->Rewatch(AuthenticationFiles(next), std::move(auth_files_loaded));
    } else if (authenticator) {
      Server* const watcher = this;
      auth_watch_.emplace(io_, AuthenticationFiles(next), std::move(auth_files_loaded),
                          [watcher] { watcher->ReloadAuthentication(); });
      if (acceptor_.is_open()) auth_watch_->Start();
    }
    InstallAuthenticator(std::move(authenticator));
  }
  for (Session* session : hub_->sessions) session->Reconfigured();
  return absl::OkStatus();
}

void Server::ReloadTls() {
  auto tls = LoadTls(hub_->config);
  if (!tls.ok()) {
    Increment(hub_->counters.tls_reload_failures);
    hub_->log.Warn(absl::StrCat("cannot reload the TLS files, the previous ones stay in force: ",
                                tls.status().message()));
    return;
  }
  hub_->tls = *std::move(tls);
  Increment(hub_->counters.tls_reloads);
  hub_->log.Info("TLS certificate reloaded: new connections get the new one");
}

void Server::Accept() {
  // Accepting onto the io_context's own executor type keeps Asio's type-erased executor off the
  // per-connection paths.
  acceptor_.async_accept(io_, [this](boost::system::error_code error, CorkedSocket::socket_type socket) {
    OnAccept(error, std::move(socket));
  });
}

void Server::OnAccept(boost::system::error_code error, CorkedSocket::socket_type socket) {
  if (error == asio::error::operation_aborted || !acceptor_.is_open()) return;
  if (error) {
    // Typically out of descriptors: wait a little instead of spinning on a failing accept.
    hub_->log.Warn(absl::StrCat("accept failed: ", error.message(), "; retrying in 100 ms"));
    retry_timer_.expires_after(std::chrono::milliseconds(100));
    retry_timer_.async_wait([this](boost::system::error_code wait_error) {
      if (!wait_error) Accept();
    });
    return;
  }
  // Over the slack the socket is closed unanswered: an answer would cost what the limit is there to save.
  if (hub_->sessions.size() < static_cast<size_t>(hub_->config.max_connections) + kHandshakeSlack) {
    Admit(std::move(socket));
  }
  Accept();
}

void Server::Admit(CorkedSocket::socket_type socket) {
  boost::system::error_code error;
  const tcp::endpoint peer = socket.remote_endpoint(error);
  if (error) return;  // Already gone.
  AddressLimit::Key address = AddressLimit::KeyOf(peer.address());
  if (!hub_->sockets_by_address.TryAdd(address)) {
    // Closed unanswered too, for the same reason.
    Increment(hub_->counters.address_limit_refused);
    hub_->log.Debug(absl::StrCat("refusing ", peer.address().to_string(), ":", peer.port(),
                                 ": max_connections_per_address (", hub_->config.max_connections_per_address,
                                 ") reached"));
    return;
  }
  socket.set_option(tcp::no_delay(true), error);
  std::make_shared<Session>(std::move(socket), std::move(address), hub_)->Start();
}

void Server::Publish(const std::vector<EventPtr>& events) {
  try {
    for (const EventPtr& event : events) {
      // Retained and counted as dispatched together, so that a resume sees each event exactly once: either
      // in the history, up to head, or live. Retained first, so that a failure in its live delivery does
      // not take it from the history too.
      hub_->history.Append(event);
      hub_->head = event->sequence;
      hub_->index.Dispatch(event);
    }
  } catch (...) {
    // What was queued is still sent.
    RecordHistory();
    Flush();
    throw;
  }
  RecordHistory();
}

void Server::Flush() {
  if (!flush_part_posted_) FlushPart();
}

void Server::FlushPart() {
  // A writev costs about the same for a few frames as for many (loopback TCP charges the receiver's work to
  // the sender): one per connection per flush, however many events it got, is what keeps a delivery near
  // the ideal loop's cost. Parts bound how long the thread is held: at 1000 connections a whole flush
  // takes tens of milliseconds.
  const auto until = std::chrono::steady_clock::now() + kFlushPart;
  std::vector<Session*>& dirty = hub_->dirty;
  size_t sent = 0;
  // By index: a session flushed may be cut, but none is destroyed (and so unlisted) during the walk.
  while (sent < dirty.size()) {
    dirty[sent++]->FlushBatch();
    if (std::chrono::steady_clock::now() >= until) break;
  }
  dirty.erase(dirty.begin(), dirty.begin() + static_cast<std::ptrdiff_t>(sent));
  if (dirty.empty()) return BoundTotalQueueBytes();
  flush_part_posted_ = true;
  boost::asio::post(io_, [this] {
    flush_part_posted_ = false;
    FlushPart();
  });
}

void Server::BoundTotalQueueBytes() {
  const auto cap = static_cast<uint64_t>(hub_->config.max_total_queue_bytes);
  // One compare while within the bound; over it, a walk of the connections (only then).
  if (cap == 0 || hub_->counters.queued_bytes.now() <= cap) return;
  // Connections already being cut do not count: what they still hold is dropped (plain sockets) or leaves
  // with their close (TLS records, which cannot be dropped), and they take no more. Counting them would
  // cut every other connection while a TLS one drains.
  std::vector<std::pair<size_t, Session*>> queues;
  uint64_t total = 0;
  for (Session* session : hub_->sessions) {
    if (session->closing()) continue;
    const size_t bytes = session->queued_bytes();
    if (bytes == 0) continue;
    queues.emplace_back(bytes, session);
    total += bytes;
  }
  std::sort(queues.begin(), queues.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [bytes, session] : queues) {
    if (total <= cap) return;
    session->CutForTotalQueueBytes();
    total -= bytes;
  }
}

void Server::RecordHistory() {
  Counters& counters = hub_->counters;
  counters.history_events.store(hub_->history.size(), std::memory_order_relaxed);
  counters.history_bytes.store(hub_->history.bytes(), std::memory_order_relaxed);
  counters.history_earliest_sequence.store(hub_->history.earliest(hub_->head), std::memory_order_relaxed);
}

void Server::ArmPositionTimer() {
  position_timer_.expires_after(absl::ToChronoNanoseconds(hub_->config.position_interval));
  position_timer_.async_wait([this](boost::system::error_code error) {
    if (error || !acceptor_.is_open()) return;  // Cancelled, or shutting down.
    // Runs between batches, like a subscribe: every event up to the head has been dispatched. A session
    // may be cut while sent its position, but none leaves the set during the walk (it is destroyed later,
    // through the I/O context).
    for (Session* session : hub_->sessions) session->SendPosition(hub_->head);
    ArmPositionTimer();
  });
}

void Server::Shutdown(absl::Duration grace) {
  StopServing();
  if (hub_->sessions.empty()) return;
  try {
    hub_->on_all_closed = [this] { grace_timer_.cancel(); };
    // GoAway may release a session's subscriptions, never the session itself: the set stays as it is.
    for (Session* session : hub_->sessions) session->GoAway();
    grace_timer_.expires_after(absl::ToChronoNanoseconds(grace));
    grace_timer_.async_wait([this](boost::system::error_code error) {
      if (error) return;  // Cancelled: every connection closed in time.
      hub_->log.Warn(absl::StrCat("stop: grace period over, dropping the ", hub_->sessions.size(),
                                  " connections still open"));
      Abort();
    });
  } catch (...) {
    // Out of memory, say: no grace period then, but every connection still ends.
    Abort();
    throw;
  }
}

void Server::Abort() {
  // Closing a socket completes its operations later, through the I/O context: the set does not change
  // while it is walked.
  for (Session* session : hub_->sessions) session->Abort();
}

}  // namespace armorclaw::eventbus
