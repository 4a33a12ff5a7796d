#include "plugin/net/session.h"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "boost/asio/post.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/write.hpp"
#include "boost/beast/websocket/rfc6455.hpp"
#include "common/string_view_compat.h"
#include "plugin/console/console_page.h"
#include "plugin/history/resume.h"
#include "plugin/net/client_frame_guard.h"
#include "plugin/net/permessage_deflate.h"
#include "plugin/net/upgrade_request.h"
#include "plugin/subscriber_id.h"

namespace armorclaw::eventbus {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

// Beyond max_queue_bytes, room for a slow consumer's goodbye: the slow_consumer error (about 110 bytes)
// and the close frame, framed, and with TLS in records of their own, then close_notify.
constexpr size_t kGoodbyeBytes = 512;

std::chrono::steady_clock::duration ToChrono(absl::Duration duration) {
  return absl::ToChronoNanoseconds(duration);
}

std::shared_ptr<const std::string> SharedMessage(std::string text) {
  return std::make_shared<const std::string>(std::move(text));
}

std::string PeerOf(const CorkedSocket::socket_type& socket) {
  beast::error_code error;
  const auto endpoint = socket.remote_endpoint(error);
  if (error) return "unknown peer";
  return absl::StrCat(endpoint.address().to_string(), ":", endpoint.port());
}

}  // namespace

Session::Session(CorkedSocket::socket_type socket, AddressLimit::Key address, std::shared_ptr<Hub> hub)
    : hub_(std::move(hub)),
      peer_(PeerOf(socket)),
      address_(std::move(address)),
      ws_(std::move(socket), hub_->tls),
      timer_(ws_.get_executor()),
      subscribe_budget_(static_cast<double>(hub_->config.subscribe_rate), Clock::now()) {
  hub_->sessions.insert(this);
  hub_->counters.sockets_open.store(hub_->sessions.size(), std::memory_order_relaxed);
}

Session::~Session() {
  Release();
  // Normally flushed and unlisted at the end of the batch; not when the batch was cut short by a throw.
  if (dirty_) std::erase(hub_->dirty, this);
  hub_->sessions.erase(this);
  hub_->sockets_by_address.Remove(address_);
  hub_->counters.sockets_open.store(hub_->sessions.size(), std::memory_order_relaxed);
  if (hub_->sessions.empty() && hub_->on_all_closed) std::exchange(hub_->on_all_closed, nullptr)();
}

void Session::Start() {
  Corked().set_owner(weak_from_this());
  Corked().set_gauge(&hub_->counters.queued_bytes);
  Corked().set_histograms(&hub_->counters.publish_to_socket_ns, &hub_->counters.write_batch_bytes);
  // The one bound on what waits for this client, whoever wrote it. The callback runs inside a write (ours
  // or Beast's), while the session is alive.
  LimitQueue();
  // The TLS handshake and the HTTP request come before Beast's websocket timeouts apply: they have a
  // deadline of their own.
  timer_.expires_after(ToChrono(hub_->config.handshake_timeout));
  timer_.async_wait([self = shared_from_this()](beast::error_code error) { self->OnTimer(error); });
  ws_.next_layer().AsyncHandshake([self = shared_from_this()](beast::error_code error) {
    if (error) return self->Release();
    self->request_ = std::make_unique<http::request_parser<http::empty_body>>();
    self->request_->header_limit(8 * 1024);
    // The header only: an upgrade request has no body, and one is answered rather than read.
    http::async_read_header(self->ws_.next_layer(), self->buffer_, *self->request_,
                            [self](beast::error_code error, size_t) { self->OnRequest(error); });
  });
}

void Session::OnRequest(beast::error_code error) {
  if (error || closing_) return Release();
  const auto& request = request_->get();
  const std::string_view path = TargetPath(request.target());
  if (path != hub_->config.websocket_path) {
    if (hub_->config.console_enabled) {
      auto answer = AnswerConsole(path, request, hub_->config.websocket_path, hub_->authenticator.get(),
                                  hub_->config.allowed_origins, hub_->stats_json, absl::Now());
      if (answer) return Respond(*std::move(answer));
    }
    return RejectHttp(http::status::not_found,
                      absl::StrCat("Not Found: the event stream is at ", hub_->config.websocket_path, "\n"));
  }
  if (request.method() != http::verb::get) {
    return RejectHttp(http::status::method_not_allowed, "Method Not Allowed: use a WebSocket GET\n");
  }
  if (request_->chunked() || request_->content_length().value_or(0) > 0) {
    return RejectHttp(http::status::bad_request, "Bad Request: a WebSocket upgrade request has no body\n");
  }
  if (!websocket::is_upgrade(request)) {
    return RejectHttp(http::status::upgrade_required,
                      "Upgrade Required: this is a WebSocket endpoint (RFC 6455)\n");
  }
  if (!HasValidWebSocketKey(request)) {
    return RejectHttp(http::status::bad_request,
                      "Bad Request: Sec-WebSocket-Key must appear once, the base64 of 16 bytes (RFC 6455)\n");
  }
  // RFC 6455 section 4.1: a client sends nothing before the 101. Bytes already read behind the request
  // would be taken for the start of its first message (Beast's accept cannot take a parsed request and
  // bytes read after it): refused instead.
  if (buffer_.size() != 0) {
    return RejectHttp(http::status::bad_request,
                      "Bad Request: data sent before the 101 Switching Protocols answer (RFC 6455 section 4.1)\n");
  }
  if (!hub_->config.allowed_origins.Allows(request[http::field::origin])) {
    return RejectHttp(http::status::forbidden, "Forbidden: this Origin is not in allowed_origins\n");
  }
  if (hub_->admitted_connections >= static_cast<size_t>(hub_->config.max_connections)) {
    return RejectHttp(http::status::service_unavailable,
                      "Service Unavailable: the server's connection limit is reached; retry later\n");
  }
  // Held from here, through the upgrade, until Release.
  ++hub_->admitted_connections;
  admitted_ = true;

  if (hub_->authenticator) Authenticate(request);
  // Beast times out the upgrade and, later, the close handshake; inactivity and keep-alive pings are
  // ours (OnTimer), because a pong must not count as activity.
  ws_.set_option(websocket::stream_base::timeout{ToChrono(hub_->config.handshake_timeout),
                                                 websocket::stream_base::none(), false});
  std::string extensions;
  if (hub_->config.compression) {
    if (auto deflate = NegotiatePermessageDeflate(request)) {
      // Beast's permessage-deflate stays off: it would hold a deflater and an inflater (13 kB) for the
      // connection's whole life. What the client compresses is inflated below it, one message at a time
      // (ClientStream::InflateMessages, from OnAccepted); events are compressed once for all receivers
      // (Enqueue). The answer is ours, set by the decorator below.
      deflate_window_bits_ = deflate->server_window_bits;
      extensions = std::move(deflate->response);
    }
  }
  ws_.set_option(websocket::stream_base::decorator([extensions](websocket::response_type& response) {
    response.set(http::field::server, "armorclaw-eventbus");
    // Not on the refusals Beast answers itself (a 400 for a bad Sec-WebSocket-Version, say).
    if (!extensions.empty() && response.result() == http::status::switching_protocols) {
      response.set(http::field::sec_websocket_extensions, extensions);
    }
  }));
  ws_.read_message_max(static_cast<size_t>(hub_->config.max_message_bytes));
  // Small frames would otherwise take Beast's slower fragmenting path.
  ws_.auto_fragment(false);
  // Called only from inside our reads, which keep the session alive.
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::ping) last_activity_ = Clock::now();
    if (kind == websocket::frame_type::pong) pong_pending_ = false;
    if (kind == websocket::frame_type::close) DropAtCloseDeadline();
  });
  ws_.async_accept(request_->release(),
                   [self = shared_from_this()](beast::error_code error) { self->OnAccepted(error); });
}

void Session::Authenticate(const http::request<http::empty_body>& request) {
  std::string token = Authenticator::ExtractToken(request[http::field::authorization], request.target());
  const absl::Time now = absl::Now();
  auto identity = hub_->authenticator->Authenticate(token, now);
  if (identity.ok()) {
    token_ = std::move(token);
    identity_ = std::make_shared<const Identity>(*std::move(identity));
    if (identity_->expires != absl::InfiniteFuture()) {
      // On the steady clock, like every other deadline here; a century stands for "never" without
      // overflowing it.
      const absl::Duration left = std::min(identity_->expires - now, absl::Hours(24 * 365 * 100));
      token_expiry_ = Clock::now() + ToChrono(left);
    }
    hub_->log.Debug(absl::StrCat("connection from ", peer_, " authenticated as ", identity_->subject));
  } else {
    auth_refusal_ = std::string(ToStd(identity.status().message()));
  }
}

void Session::LimitQueue() {
  Corked().Limit(static_cast<size_t>(hub_->config.max_queue_bytes), [this] {
    if (!closing_) CutOverQueueBytes();
  });
}

void Session::Reconfigured() {
  // A closing connection keeps the room it was given for its goodbye.
  if (closing_) return;
  // A queue already over a lowered bound is cut by the next write that finds no room.
  LimitQueue();
  subscribe_budget_.SetRate(static_cast<double>(hub_->config.subscribe_rate));
  if (!open_) return;  // The upgrade reads the rest when it gets there.
  ws_.read_message_max(static_cast<size_t>(hub_->config.max_message_bytes));
  if (ws_.next_layer().inflates()) {
    ws_.next_layer().InflateMessages(static_cast<uint64_t>(hub_->config.max_message_bytes));
  }
  // A shorter ping interval takes effect now rather than after the wait already armed.
  if (hub_->config.ping_interval != absl::ZeroDuration()) {
    next_ping_ = std::min(next_ping_, Clock::now() + ToChrono(hub_->config.ping_interval));
  }
  ArmTimer();
}

void Session::Recheck() {
  if (closing_) return;
  if (!identity_) {
    // Authentication was turned on: a connection that came in without a token has none to show.
    if (hub_->authenticator && admitted_ && auth_refusal_.empty()) {
      auth_refusal_ = "authentication required";
      if (open_) {
        Increment(hub_->counters.tokens_revoked);
        hub_->log.Info(absl::StrCat("closing ", peer_, ": authentication turned on and it has no token"));
        Send(SharedMessage(ErrorMessage(error_code::kUnauthorized, auth_refusal_)));
        Close({websocket::close_code::policy_error, auth_refusal_});
      }
    }
    return;
  }
  // Authentication was turned off: the connection keeps what its token gave it until it reconnects.
  if (!hub_->authenticator) return;
  const absl::Time now = absl::Now();
  if (now >= identity_->expires) return;  // The timer closes it as expired.
  auto identity = hub_->authenticator->Authenticate(token_, now);
  std::string_view reason;
  if (!identity.ok()) {
    reason = "token revoked";
  } else if (identity->rooms != identity_->rooms) {
    // The subscriptions were made under the old rooms: reconnecting gives the client the new ones.
    reason = "token rooms changed";
  } else {
    return;
  }
  if (!open_) {
    // Still upgrading: refused like any other bad token once the upgrade completes.
    auth_refusal_ = reason;
    identity_.reset();
    return;
  }
  CloseForToken(reason, hub_->counters.tokens_revoked);
}

void Session::CloseForToken(std::string_view reason, std::atomic<uint64_t>& counter) {
  Increment(counter);
  hub_->log.Info(absl::StrCat("closing ", peer_, ": ", ToAbsl(reason), " (", identity_->subject, ")"));
  Send(SharedMessage(ErrorMessage(error_code::kUnauthorized, std::string(reason))));
  Close({websocket::close_code::policy_error, std::string(reason)});
}

void Session::RejectHttp(http::status status, std::string_view body) {
  HttpAnswer answer{status, "text/plain; charset=utf-8", std::string(body), {}};
  if (status == http::status::upgrade_required) {
    answer.headers.emplace_back("Upgrade", "websocket");
    answer.headers.emplace_back("Connection", "Upgrade, close");
  }
  if (status == http::status::method_not_allowed) answer.headers.emplace_back("Allow", "GET");
  Respond(std::move(answer));
}

void Session::Respond(HttpAnswer answer) {
  if (answer.status != http::status::ok) Increment(hub_->counters.http_rejected);
  response_ = std::make_unique<http::response<http::string_body>>(answer.status, request_->get().version());
  response_->set(http::field::server, "armorclaw-eventbus");
  response_->set(http::field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) response_->set(name, value);
  response_->keep_alive(false);
  // A response to HEAD has no body, nor a Content-Length other than the GET's (RFC 7230 section 3.3).
  if (request_->get().method() != http::verb::head) {
    response_->body() = std::move(answer.body);
    response_->prepare_payload();
  }
  http::async_write(ws_.next_layer(), *response_, [self = shared_from_this()](beast::error_code, size_t) {
    self->Corked().AsyncDrain([self](beast::error_code) {
      beast::error_code ignored;
      self->Corked().next_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      self->Release();
    });
  });
}

void Session::OnAccepted(beast::error_code error) {
  request_.reset();  // Its message went to Beast's accept.
  if (error || closing_) return Release();
  ws_.next_layer().GuardFrames();
  if (deflate_window_bits_ != 0) {
    ws_.next_layer().InflateMessages(static_cast<uint64_t>(hub_->config.max_message_bytes));
  }
  open_ = true;
  Increment(hub_->counters.connections_open);
  Increment(hub_->counters.connections_accepted);
  hub_->log.Debug(absl::StrCat("connection from ", peer_, " opened"));
  ws_.text(true);
  if (!auth_refusal_.empty()) {
    Increment(hub_->counters.auth_refused);
    hub_->log.Info(absl::StrCat("refused ", peer_, ": ", auth_refusal_));
    Send(SharedMessage(ErrorMessage(error_code::kUnauthorized, auth_refusal_)));
    return Close({websocket::close_code::policy_error, "unauthorized"});
  }
  last_activity_ = Clock::now();
  next_ping_ = last_activity_ + ToChrono(hub_->config.ping_interval);
  ArmTimer();
  ReadNext();
}

void Session::ReadNext() {
  ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code error, size_t bytes) {
    self->OnRead(error, bytes);
  });
}

void Session::OnRead(beast::error_code error, size_t) {
  if (error) {
    if (error.category() == ClientFrameCategory()) return AnswerGuardedFrame(error);
    if (error == websocket::error::message_too_big) {
      hub_->log.Info(absl::StrCat("closed ", peer_, ": message over max_message_bytes (1009)"));
    }
    return Release();
  }
  if (!closing_) {
    last_activity_ = Clock::now();
    if (ws_.got_text()) {
      Handle(std::string_view(static_cast<const char*>(buffer_.data().data()), buffer_.size()));
    } else {
      Handle(ProtocolError{error_code::kInvalidMessage, "binary frames are not supported: send JSON text"});
    }
  }
  buffer_.consume(buffer_.size());
  ReadNext();
}

void Session::AnswerGuardedFrame(beast::error_code error) {
  uint16_t code = websocket::close_code::protocol_error;
  if (error == ClientFrameError::kCloseWith1014) code = 1014;
  // Well-formed frames whose message's data is not what it claims to be, as for text that is not UTF-8.
  if (error == ClientFrameError::kInvalidCompressedData) code = websocket::close_code::bad_payload;
  hub_->log.Debug(absl::StrCat("closing ", peer_, " with ", code, ": ", error.message()));
  // Beast counts the stream as failed and sends nothing more: the close it would have sent is written
  // here, below it (through TLS when on), unless a close of ours already went out, which nothing may
  // follow. Like Beast's own closes, it has no reason.
  if (!closing_) {
    closing_ = true;
    const std::string frame = ServerCloseFrame(code);
    beast::error_code ignored;
    ws_.next_layer().write_some(asio::buffer(frame), ignored);
  }
  Release();
  Corked().AsyncDrain([self = shared_from_this()](beast::error_code) { self->Abort(); });
}

void Session::Handle(std::string_view frame) {
  ClientMessage message = ParseClientMessage(frame);
  std::visit([this](auto& request) { Handle(request); }, message);
}

void Session::Handle(SubscribeRequest& request) {
  SubscriptionIndex& index = hub_->index;
  const Config& config = hub_->config;
  if (identity_ && identity_->rooms) {
    if (absl::Status allowed = CheckSubscriptionRoom(*identity_, request.filter); !allowed.ok()) {
      return Handle(ProtocolError{error_code::kUnauthorized, std::string(ToStd(allowed.message()))});
    }
    // Without a room of its own (room_id, rooms) the subscription sees only the token's rooms.
    if (!request.filter.NamesRooms()) request.filter.allowed_rooms = {identity_, &*identity_->rooms};
  }
  std::chrono::milliseconds retry_after{0};
  if (!subscribe_budget_.TryTake(Clock::now(), retry_after)) {
    return Handle(ProtocolError{
        error_code::kRateLimited,
        absl::StrCat("more than ", config.subscribe_rate, " subscribe requests per second (subscribe_rate)"),
        retry_after.count()});
  }
  if (index.size() >= static_cast<size_t>(config.max_subscribers)) {
    return Handle(ProtocolError{
        error_code::kMaxSubscribers,
        absl::StrCat("the server's limit of ", config.max_subscribers,
                     " active subscriptions (max_subscribers) is reached; unsubscribe or retry later")});
  }
  if (index.CountFor(this) >= static_cast<size_t>(config.max_subscriptions_per_connection)) {
    return Handle(ProtocolError{
        error_code::kTooManySubscriptions,
        absl::StrCat("this connection already has ", config.max_subscriptions_per_connection,
                     " subscriptions (max_subscriptions_per_connection)")});
  }
  std::string id;
  try {
    id = NewSubscriberId();
  } catch (const std::runtime_error& error) {
    hub_->log.Error(absl::StrCat("cannot draw a subscriber id: ", error.what()));
    return Handle(ProtocolError{error_code::kServerError, "the server could not create the subscription"});
  }
  // The seam between history and live events: this handler runs on the I/O thread between two batches,
  // so every event up to the head is in the history (or gone from it) and every later one reaches the
  // index after the subscription is in it. Nothing falls between, nothing comes twice.
  const StreamPosition here{hub_->epoch, hub_->head};
  std::optional<ResumeOutcome> resume;
  std::vector<EventPtr> replay;
  if (request.since) {
    const DurableLog* log =
        hub_->log_writer != nullptr && hub_->log_writer->healthy() ? &hub_->log_writer->log() : nullptr;
    DiskReplay disk;
    resume = PlanResume(hub_->history, here, *request.since, request.filter,
                        static_cast<size_t>(config.max_replay_events), replay, log, &disk);
    if (!disk.status.ok()) {
      hub_->log.Warn(absl::StrCat("resume from sequence ", request.since->sequence,
                                  " answered too_old: cannot read the durable log: ", disk.status.message()));
    }
    Increment(hub_->counters.replayed_from_disk_events, disk.events);
    CountResume(*resume);
  }
  // Counted before the client hears of it, so that what it reads in the stats after "subscribed" is true.
  std::shared_ptr<const std::string> reply = SharedMessage(SubscribedMessage(id, here, resume));
  index.Add(std::move(id), this, std::move(request.filter));
  // The reply is itself a position: every event up to here that the subscription matched is replayed
  // right behind it or was sent before.
  sent_through_ = std::max(sent_through_, here.sequence);
  wants_positions_ = wants_positions_ || request.positions || request.since.has_value();
  hub_->counters.subscriptions_active.store(index.size(), std::memory_order_relaxed);
  Send(reply);
  if (replay.empty()) return;
  // Like live events, a replay is bounded by max_queue_bytes: a client that cannot take it is cut.
  for (const EventPtr& event : replay) {
    if (!Enqueue(event, false)) return;
  }
  ws_.next_layer().Flush();
}

void Session::CountResume(const ResumeOutcome& outcome) {
  Counters& counters = hub_->counters;
  if (outcome.recovered) {
    Increment(counters.replays_recovered);
    Increment(counters.replayed_events, outcome.replayed);
  } else if (outcome.reason == resume_reason::kTooOld) {
    Increment(counters.replays_too_old);
  } else if (outcome.reason == resume_reason::kEpochMismatch) {
    Increment(counters.replays_epoch_mismatch);
  } else if (outcome.reason == resume_reason::kFuture) {
    Increment(counters.replays_future);
  } else if (outcome.reason == resume_reason::kTooMany) {
    Increment(counters.replays_too_many);
  }
}

void Session::Handle(const UnsubscribeRequest& request) {
  if (!hub_->index.Remove(request.subscriber_id, this)) {
    return Handle(ProtocolError{error_code::kNotFound,
                                "no subscription with this subscriber_id on this connection"});
  }
  hub_->counters.subscriptions_active.store(hub_->index.size(), std::memory_order_relaxed);
  Send(SharedMessage(UnsubscribedMessage()));
}

void Session::Handle(const PingRequest&) {
  static const auto pong = SharedMessage(PongMessage());
  Send(pong);
}

void Session::Handle(const ProtocolError& error) {
  Increment(hub_->counters.protocol_errors);
  Send(SharedMessage(ErrorMessage(error.code, error.message, error.retry_after_ms)));
}

void Session::SendPosition(uint64_t head) {
  if (!open_ || closing_ || !wants_positions_ || sent_through_ >= head || hub_->index.CountFor(this) == 0) return;
  Send(SharedMessage(PositionMessage(head)));
  sent_through_ = head;
}

void Session::Deliver(const EventPtr& event) {
  if (!Enqueue(event, true)) return;
  ++hub_->deliveries;
  if (dirty_) return;
  dirty_ = true;
  hub_->dirty.push_back(this);
}

bool Session::Enqueue(const EventPtr& event, bool delivery) {
  // Already a complete frame, the same for every receiver (plain, or compressed once per window size for
  // every receiver of that size): it joins the batch by reference (encrypted with the rest of the batch
  // under TLS), and Beast need not frame it again.
  std::string_view wire = event->wire();
  if (deflate_window_bits_ != 0) {
    CompressedFrames& compressed = event->compressed_frames;
    const size_t before = compressed.bytes();
    wire = compressed.Wire(event->message(), event->wire(), deflate_window_bits_, hub_->deflater);
    // A frame built now counts against history_max_bytes (the event is usually retained already).
    if (compressed.bytes() != before) hub_->history.CompressedFramesGrew(*event, compressed.bytes() - before);
  }
  if (!MakeRoom(wire.size())) return false;
  // Sampled by sequence, so that one event is timed for every receiver (the histogram's cost is a clock
  // read per sampled delivery).
  const bool sampled = event->sequence % Counters::kLatencySampleEvery == 0;
  // A plain socket remembers where each event's frame ends: the resume point of a slow-consumer cut.
  if (!ws_.next_layer().tls()) Corked().TagNextFrame(event->sequence, delivery);
  ws_.next_layer().WriteSharedFrame(wire, event,
                                    sampled ? event->accepted : std::chrono::steady_clock::time_point{});
  last_queued_sequence_ = event->sequence;
  sent_through_ = std::max(sent_through_, event->sequence);
  return true;
}

void Session::FlushBatch() {
  dirty_ = false;
  ws_.next_layer().Flush();
}

void Session::Send(const std::shared_ptr<const std::string>& message) {
  if (!MakeRoom(message->size())) return;
  Write(*message, message);
  ws_.next_layer().Flush();
}

bool Session::MakeRoom(size_t bytes) {
  // Once Beast has sent a close frame nothing may follow it.
  if (closing_ || !ws_.is_open()) return false;
  if (ws_.next_layer().HasRoom(bytes)) return true;
  CutOverQueueBytes();
  return false;
}

void Session::Write(std::string_view message, std::shared_ptr<const void> owner) {
  // Under TLS the batch holds ciphertext, which is each connection's own. Beast writes through the TLS
  // stream, which first encrypts the event frames waiting there: the reply follows them.
  if (!ws_.next_layer().tls() && owner) Corked().ShareNext(message.data(), std::move(owner));
  beast::error_code error;
  // Beast frames the message into the batch; nothing is sent yet and nothing blocks. A failure here
  // means the stream is closing, which the pending read reports.
  ws_.write(asio::buffer(message.data(), message.size()), error);
}

void Session::CutOverQueueBytes() {
  CutSlowConsumer(absl::StrCat("more than max_queue_bytes (", hub_->config.max_queue_bytes, ") waiting to be sent"));
}

void Session::CutForTotalQueueBytes() {
  // A distinct text, so that an operator can tell a server-wide bound from a client's own.
  CutSlowConsumer(absl::StrCat("largest queue (", queued_bytes(), " bytes) while all connections' queues are over "
                               "max_total_queue_bytes (", hub_->config.max_total_queue_bytes, ")"));
}

void Session::CutSlowConsumer(std::string_view why) {
  closing_ = true;
  // When the socket closes, whatever the client has not taken yet is dropped with a reset, instead of
  // lingering in the kernel (megabytes, for minutes) for a client that does not read.
  beast::error_code ignored;
  Corked().next_layer().set_option(asio::socket_base::linger(true, 0), ignored);
  Increment(hub_->counters.slow_consumers_disconnected);
  hub_->log.Warn(absl::StrCat("disconnecting slow consumer ", peer_, ": ", ToAbsl(why)));
  Corked().ExtendLimit(kGoodbyeBytes);
  // What waits in user space is dropped, so that the error and the close come right behind what the
  // kernel holds: a client that reads again learns at once why it was cut and where to resume. On a plain
  // socket that is every frame after the one the kernel has begun (whose rest still goes); "sequence" is
  // the last event the client will have read whole. Under TLS the batch holds records the client's TLS
  // must receive in order, so nothing can be dropped: the error goes behind every event handed to TLS,
  // and names the last of them.
  uint64_t last_written = last_queued_sequence_;
  if (!ws_.next_layer().tls()) {
    const CorkedSocket::Dropped dropped = Corked().DropUnsentFrames();
    last_written = dropped.last_sequence;
    // An event dropped here never reaches the client: it is no delivery (Server::deliveries).
    hub_->deliveries -= dropped.deliveries;
  }
  // The index may be iterating right now (Deliver), so leave it later. The close handshake timeout drops
  // the connection if the client does not answer. When the cut came from a write of Beast's that
  // overflowed (a pong, say), the socket has already failed: nothing is sent.
  asio::post(ws_.get_executor(), [self = shared_from_this(), last_written] {
    self->Release();
    if (!self->ws_.is_open()) return;
    const auto reason = SharedMessage(
        SlowConsumerMessage(last_written == 0 ? std::nullopt : std::optional<uint64_t>(last_written)));
    self->Write(*reason, reason);
    self->ws_.async_close({websocket::close_code::policy_error, "slow consumer"},
                          [self](beast::error_code) {});
    self->DropAtCloseDeadline();
  });
}

void Session::ArmTimer() {
  const Config& config = hub_->config;
  std::optional<Clock::time_point> deadline;
  if (config.inactivity_timeout != absl::ZeroDuration()) {
    deadline = last_activity_ + ToChrono(config.inactivity_timeout);
  }
  if (config.ping_interval != absl::ZeroDuration()) deadline = std::min(deadline.value_or(next_ping_), next_ping_);
  if (token_expiry_) deadline = std::min(deadline.value_or(*token_expiry_), *token_expiry_);
  if (!deadline) return;
  timer_.expires_at(*deadline);
  timer_.async_wait([self = shared_from_this()](beast::error_code error) { self->OnTimer(error); });
}

void Session::OnTimer(beast::error_code error) {
  if (error || closing_) return;
  if (!open_) {
    hub_->log.Debug(absl::StrCat("dropping ", peer_, ": no WebSocket upgrade within handshake_timeout"));
    return Abort();
  }
  const Config& config = hub_->config;
  const Clock::time_point now = Clock::now();
  if (token_expiry_ && now >= *token_expiry_) {
    // A token is a grant for a time, not for as long as the connection lasts: the client must reconnect
    // with a fresh one.
    return CloseForToken("token expired", hub_->counters.tokens_expired);
  }
  if (config.inactivity_timeout != absl::ZeroDuration() &&
      now >= last_activity_ + ToChrono(config.inactivity_timeout)) {
    Increment(hub_->counters.inactive_disconnected);
    hub_->log.Debug(absl::StrCat("closing ", peer_, ": inactivity timeout"));
    return Close({websocket::close_code::normal, "inactivity timeout"});
  }
  if (config.ping_interval != absl::ZeroDuration() && now >= next_ping_) {
    if (pong_pending_ || ping_in_flight_) {
      Increment(hub_->counters.keepalive_disconnected);
      hub_->log.Debug(absl::StrCat("closing ", peer_, ": keep-alive ping unanswered"));
      return Close({websocket::close_code::going_away, "keep-alive ping unanswered"});
    }
    pong_pending_ = true;
    ping_in_flight_ = true;
    ws_.async_ping({}, [self = shared_from_this()](beast::error_code) { self->ping_in_flight_ = false; });
    next_ping_ = now + ToChrono(config.ping_interval);
  }
  ArmTimer();
}

void Session::Close(const websocket::close_reason& reason) {
  if (closing_) return;
  closing_ = true;
  Release();
  // Beast sends the close frame after the write in flight; the read loop ends when the peer answers or
  // the handshake timeout tears the connection down.
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code) {});
  DropAtCloseDeadline();
}

void Session::DropAtCloseDeadline() {
  // Beast bounds the wait for the client's close frame, but not the wait that follows it, for the client to
  // close its socket: a client that never does would keep the session, its subscriptions and its socket.
  // The wait does not keep the session alive: once its other operations have ended, it is gone anyway.
  timer_.expires_after(ToChrono(hub_->config.handshake_timeout));
  timer_.async_wait([weak = weak_from_this()](beast::error_code error) {
    const std::shared_ptr<Session> self = weak.lock();
    if (error || !self) return;
    self->hub_->log.Debug(absl::StrCat("dropping ", self->peer_, ": close not completed within handshake_timeout"));
    self->Abort();
  });
}

void Session::GoAway() {
  if (open_) {
    Close({websocket::close_code::going_away, "going away"});
  } else {
    Abort();
  }
}

void Session::Abort() {
  closing_ = true;
  beast::error_code ignored;
  timer_.cancel();
  beast::get_lowest_layer(ws_).close(ignored);
}

void Session::Release() {
  if (released_) return;
  released_ = true;
  timer_.cancel();
  hub_->index.RemoveAll(this);
  hub_->counters.subscriptions_active.store(hub_->index.size(), std::memory_order_relaxed);
  if (admitted_) --hub_->admitted_connections;
  if (open_) {
    hub_->counters.connections_open.fetch_sub(1, std::memory_order_relaxed);
    Increment(hub_->counters.connections_closed);
    hub_->log.Debug(absl::StrCat("connection from ", peer_, " closed"));
  }
}

}  // namespace armorclaw::eventbus
