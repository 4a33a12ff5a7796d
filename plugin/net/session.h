// One client connection, from the HTTP request through the WebSocket upgrade to close: reads and answers
// client messages, and receives matched events from the index. Every frame is framed by Beast into the
// connection's CorkedSocket at once and sent with the rest of its batch; the bytes waiting there are
// bounded by max_queue_bytes. Lives on the I/O thread; owned by its pending handlers.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_SESSION_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_SESSION_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/http/empty_body.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/websocket/stream.hpp"
#include "plugin/console/console_page.h"
#include "plugin/net/client_stream.h"
#include "plugin/net/corked_socket.h"
#include "plugin/net/hub.h"
#include "plugin/protocol.h"
#include "plugin/subscription_index.h"
#include "plugin/security/token_bucket.h"

namespace armorclaw::eventbus {

class Session final : public std::enable_shared_from_this<Session>, public EventSink {
 public:
  // `address` has been counted in hub->sockets_by_address; the session uncounts it when destroyed.
  Session(CorkedSocket::socket_type socket, AddressLimit::Key address, std::shared_ptr<Hub> hub);
  ~Session();

  void Start();
  // Adds the event's frame to the batch (sent by FlushBatch); a connection whose batch would overflow is
  // cut as a slow consumer. Never touches the index (the index is iterating when it calls this).
  void Deliver(const EventPtr& event) override;
  // Sends what Deliver added, with as few socket writes as the socket allows.
  void FlushBatch();
  // Called between batches, when every event up to `head` has been dispatched: a connection that asked
  // for positions, holds a subscription and was sent nothing up to `head` is sent {"type":"position"}.
  void SendPosition(uint64_t head);
  // The authentication files were reloaded: closes the connection, after an unauthorized error, if the
  // new hub->authenticator refuses its token or gives it other rooms.
  void Recheck();
  // The hub's configuration was replaced: what this connection fixed when it began (its queue bound, its
  // largest message, its subscribe rate, its timer) follows the new values. Its subscriptions stay.
  void Reconfigured();
  // Bytes waiting to be sent to this client (what the queued_bytes statistic counts for it).
  size_t queued_bytes() { return Corked().pending_bytes(); }
  // Whether the connection is being closed (and so no longer takes events).
  bool closing() const { return closing_; }
  // The connections' queues together are over max_total_queue_bytes and this one is the largest: it is cut
  // as a slow consumer.
  void CutForTotalQueueBytes();
  // Server shutdown: a close frame 1001 "going away" to an open connection, a plain close otherwise.
  void GoAway();
  // Last resort at the end of the shutdown grace period: closes the socket, which ends every operation.
  void Abort();

 private:
  using Clock = std::chrono::steady_clock;

  void OnRequest(boost::beast::error_code error);
  void RejectHttp(boost::beast::http::status status, std::string_view body);
  // Answers a request that does not become a WebSocket (a rejection, or the console's) and closes.
  // Counted in http_rejected unless 200.
  void Respond(HttpAnswer answer);
  // Checks the request's token (Authorization: Bearer, or ?access_token=): sets identity_ or
  // auth_refusal_.
  void Authenticate(const boost::beast::http::request<boost::beast::http::empty_body>& request);
  void OnAccepted(boost::beast::error_code error);
  void ReadNext();
  void OnRead(boost::beast::error_code error, size_t bytes);
  // The read ended on a frame the ClientFrameGuard kept from Beast (`error` says which): answers it with
  // the close RFC 6455 asks for, 1002 or the echo of 1014, and ends the connection.
  void AnswerGuardedFrame(boost::beast::error_code error);
  void Handle(std::string_view frame);
  // Subscribes, and with "since" replays what the client missed (plugin/history/resume.h) before any
  // live event of the new subscription.
  void Handle(SubscribeRequest& request);
  void CountResume(const ResumeOutcome& outcome);
  void Handle(const UnsubscribeRequest& request);
  void Handle(const PingRequest& request);
  void Handle(const ProtocolError& error);
  // Whether `bytes` more may join the batch; false when the connection is closing, or when they would
  // overflow max_queue_bytes (and the connection is then being cut, with room left for its goodbye).
  bool MakeRoom(size_t bytes);
  // Adds the event's frame to the batch, unless MakeRoom refuses (and returns false). `delivery`: a live
  // event (counted in hub->deliveries), not a replayed one.
  bool Enqueue(const EventPtr& event, bool delivery);
  // Beast frames `message` into the batch; `owner` (if any) keeps it alive until sent, uncopied.
  void Write(std::string_view message, std::shared_ptr<const void> owner);
  // A reply to the client: queued and sent at once.
  void Send(const std::shared_ptr<const std::string>& message);
  void ArmTimer();
  void OnTimer(boost::beast::error_code error);
  void Close(const boost::beast::websocket::close_reason& reason);
  // A close has begun (ours or the client's): the connection is dropped if it has not ended within
  // handshake_timeout.
  void DropAtCloseDeadline();
  // The token stopped admitting the connection: an unauthorized error saying `reason`, then 1008.
  void CloseForToken(std::string_view reason, std::atomic<uint64_t>& counter);
  // Gives the connection up as a slow consumer; `why` completes the warning ("disconnecting slow consumer
  // <peer>: <why>").
  void CutSlowConsumer(std::string_view why);
  // The usual cause: more than max_queue_bytes for this connection alone.
  void CutOverQueueBytes();
  // Bounds what waits for this client by max_queue_bytes.
  void LimitQueue();
  // Frees the session's subscriptions and its place under max_connections, once. The session leaves
  // hub->sessions only when it is destroyed, i.e. when its last operation has finished.
  void Release();

  const std::shared_ptr<Hub> hub_;
  // Who the client is, when authentication is on and its token was accepted, and that token, kept to be
  // checked again when the authentication files change (never logged).
  std::shared_ptr<const Identity> identity_;
  std::string token_;
  // Why its token was refused: told to the client once the upgrade completes (a browser cannot read an
  // HTTP refusal), then the connection is closed with 1008.
  std::string auth_refusal_;
  std::string peer_;  // "ADDRESS:PORT" of the client, for logs.
  const AddressLimit::Key address_;
  CorkedSocket& Corked() { return ws_.next_layer().next_layer(); }

  boost::beast::websocket::stream<ClientStream> ws_;
  boost::beast::flat_buffer buffer_;
  // Only while upgrading (or refusing): on the heap, so that an open connection does not carry them.
  std::unique_ptr<boost::beast::http::request_parser<boost::beast::http::empty_body>> request_;
  std::unique_ptr<boost::beast::http::response<boost::beast::http::string_body>> response_;
  boost::asio::steady_timer timer_;

  bool admitted_ = false;  // Counted in hub->admitted_connections.
  bool open_ = false;     // The upgrade completed.
  bool closing_ = false;  // A close was started; nothing more is sent or read.
  bool dirty_ = false;    // In hub->dirty: Deliver added frames that FlushBatch has not sent yet.
  bool released_ = false;

  TokenBucket subscribe_budget_;
  Clock::time_point last_activity_;  // Last client message or protocol ping.
  Clock::time_point next_ping_;
  // When identity_'s token expires (a JWT's exp plus leeway): the connection is closed then.
  std::optional<Clock::time_point> token_expiry_;
  // The last event queued to this connection (0: none).
  uint64_t last_queued_sequence_ = 0;
  // Every event up to here that matched the connection's subscriptions has been queued to it: the newest
  // of its events, of the positions in its "subscribed" replies and of the "position" messages it got.
  uint64_t sent_through_ = 0;
  // A subscribe asked for "position" messages (positions: true, or since).
  bool wants_positions_ = false;
  bool pong_pending_ = false;   // A keep-alive ping is unanswered.
  bool ping_in_flight_ = false;  // Beast allows one ping at a time.
  // The window permessage-deflate was negotiated with (plugin/net/permessage_deflate.h); 0: not negotiated.
  int deflate_window_bits_ = 0;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_SESSION_H_
