// A small synchronous WebSocket client for tests (Beast over a real loopback socket). Every call has a
// deadline; a failure throws std::runtime_error, which GoogleTest reports as a test failure.
#ifndef ARMORCLAW_EVENTBUS_TESTS_SUPPORT_WS_CLIENT_H_
#define ARMORCLAW_EVENTBUS_TESTS_SUPPORT_WS_CLIENT_H_

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"
#include "boost/beast/websocket/stream.hpp"
#include "boost/json/value.hpp"

namespace armorclaw::eventbus::testing {

inline constexpr std::chrono::seconds kDefaultDeadline{20};

struct Endpoint {
  std::string host;
  std::string port;
  std::string path;
};

// Splits "ws://HOST:PORT/PATH".
Endpoint ParseWsUrl(std::string_view url);

// One plain HTTP/1.1 exchange, for what the server answers before (or instead of) an upgrade.
boost::beast::http::response<boost::beast::http::string_body> HttpGet(
    const std::string& url, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers = {});

class WsClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Connects and completes the upgrade on the URL's path (or `target` when given), sending `headers`
  // with the upgrade request.
  explicit WsClient(const std::string& url, std::optional<std::string> target = std::nullopt,
                    const Headers& headers = {});

  void Send(std::string_view text);
  void SendBinary(std::string_view bytes);
  void Ping();  // A protocol-level (RFC 6455) ping; its pong is consumed by the next Read.

  // The next text message; throws on close or when the deadline passes.
  std::string Read(std::chrono::milliseconds deadline = kDefaultDeadline);
  boost::json::value ReadJson(std::chrono::milliseconds deadline = kDefaultDeadline);

  // Sends a subscribe with `filter_json` (a JSON object text, or empty for no filter), expects
  // "subscribed" and returns the subscriber id.
  std::string Subscribe(std::string_view filter_json);

  // Reads until the server closes; returns the close code and reason. Throws when anything but a close
  // (or a data message, if `skip_messages`) arrives, or on the deadline.
  boost::beast::websocket::close_reason ReadUntilClosed(bool skip_messages = false,
                                                        std::chrono::milliseconds deadline = kDefaultDeadline);

  // Counts pongs received to protocol pings the client sent.
  int pongs_received() const { return pongs_received_; }

  boost::beast::websocket::stream<boost::beast::tcp_stream>& stream() { return ws_; }

 private:
  template <typename Operation>
  void RunWithDeadline(std::chrono::milliseconds deadline, Operation&& operation);

  boost::asio::io_context io_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  int pongs_received_ = 0;
};

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_SUPPORT_WS_CLIENT_H_
