// baseline-fanout-server: the plain Boost.Beast fan-out server a developer would write by hand, kept as the
// reference the benchmark compares armorclaw-eventbus against. It has the shape of Beast's
// websocket-chat-multi example: one session class per connection, a write queue with one async_write in
// flight, each event's frame built once and shared by shared_ptr<const std::string>, one io_context thread.
// It speaks the subset of the eventbus protocol the bench uses and the bench's two conventions:
//
//   baseline-fanout-server [--addr HOST:PORT] [--path /events]
//
//   * prints "eventbus: listening on ws://HOST:PORT/PATH" on stdout once listening (port 0 picks one);
//   * publishes each JSON Matrix event read from standard input, one per line (a reader thread posts it to
//     the io_context); events get a sequence 1, 2, 3...;
//   * {"type":"subscribe","data":{"filter":{}}} or {..."filter":{"room_id":"!r:s"}} answers
//     {"type":"subscribed","data":{"subscriber_id":"sub-N","message":"Subscribed successfully"}}, and
//     every matching event then arrives as {"type":"event","data":{"event":E,"received":T,"sequence":N}};
//     {"type":"ping"} answers {"type":"pong"}. One subscription per connection: a new one replaces it.
//   * SIGTERM or SIGINT closes every connection with 1001 (going away) and exits.
//
// Deliberately absent (it is a baseline, not a product): write batching, a bound on a slow client's queue,
// limits, authentication, the other filters.
#include <chrono>
#include <cstdio>
#include <ctime>
#include <deque>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/signal_set.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/websocket.hpp"
#include "boost/json.hpp"

namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

using Frame = std::shared_ptr<const std::string>;

class WebSocketSession;

// Everything the sessions share; touched only on the io_context thread.
struct SharedState {
  std::unordered_set<WebSocketSession*> sessions;
  bool stopping = false;
  uint64_t next_subscriber = 0;
};

class WebSocketSession : public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(tcp::socket&& socket, std::shared_ptr<SharedState> state)
      : ws_(std::move(socket)), state_(std::move(state)) {}

  ~WebSocketSession() { state_->sessions.erase(this); }

  void Run(http::request<http::string_body> request) {
    ws_.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));
    ws_.async_accept(request, beast::bind_front_handler(&WebSocketSession::OnAccept, shared_from_this()));
  }

  // Delivers an event if this session's subscription wants it.
  void Publish(const Frame& frame, const std::optional<std::string>& room_id) {
    if (!subscribed_ || closing_) return;
    if (room_filter_ && room_filter_ != room_id) return;
    Send(frame);
  }

  void Send(Frame frame) {
    queue_.push_back(std::move(frame));
    if (queue_.size() > 1) return;  // A write is in flight; OnWrite sends the rest in order.
    ws_.async_write(net::buffer(*queue_.front()),
                    beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
  }

  void Close() {
    closing_ = true;
    if (queue_.empty()) DoClose();  // Otherwise OnWrite closes once the queue is written.
  }

 private:
  void OnAccept(beast::error_code ec) {
    if (ec) return;
    if (state_->stopping) return;
    state_->sessions.insert(this);
    DoRead();
  }

  void DoRead() {
    ws_.async_read(buffer_, beast::bind_front_handler(&WebSocketSession::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) return;  // Closed or failed: dropping the last reference ends the session.
    const std::string text = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    HandleMessage(text);
    DoRead();
  }

  void HandleMessage(const std::string& text) {
    boost::system::error_code ec;
    const json::value message = json::parse(text, ec);
    const json::object* object = ec ? nullptr : message.if_object();
    const json::value* type = object ? object->if_contains("type") : nullptr;
    if (type != nullptr && *type == "subscribe") {
      const json::value* data = object->if_contains("data");
      const json::value* filter = data && data->is_object() ? data->as_object().if_contains("filter") : nullptr;
      if (filter == nullptr || !filter->is_object()) return SendError("invalid_filter", "filter must be an object");
      const json::value* room = filter->as_object().if_contains("room_id");
      if (room != nullptr && !room->is_string()) return SendError("invalid_filter", "room_id must be a string");
      room_filter_ = room ? std::optional<std::string>(room->as_string().c_str()) : std::nullopt;
      subscribed_ = true;
      json::object reply{{"type", "subscribed"},
                         {"data",
                          {{"subscriber_id", "sub-" + std::to_string(++state_->next_subscriber)},
                           {"message", "Subscribed successfully"}}}};
      Send(std::make_shared<const std::string>(json::serialize(reply)));
    } else if (type != nullptr && *type == "ping") {
      Send(std::make_shared<const std::string>(R"({"type":"pong"})"));
    } else {
      SendError("invalid_message", "expected a subscribe or ping message");
    }
  }

  void SendError(const char* code, const char* message) {
    json::object error{{"type", "error"}, {"data", {{"code", code}, {"message", message}}}};
    Send(std::make_shared<const std::string>(json::serialize(error)));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return;
    queue_.pop_front();
    if (!queue_.empty()) {
      ws_.async_write(net::buffer(*queue_.front()),
                      beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
    } else if (closing_) {
      DoClose();
    }
  }

  void DoClose() {
    ws_.async_close(websocket::close_code::going_away, [self = shared_from_this()](beast::error_code) {});
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::shared_ptr<SharedState> state_;
  // The example uses a std::vector and erases its front, O(backlog) per write: a deque keeps a backlog from
  // inflating the per-message cost, so the baseline measures one-write-per-message and nothing worse.
  std::deque<Frame> queue_;
  bool subscribed_ = false;
  bool closing_ = false;
  std::optional<std::string> room_filter_;  // Empty: every room.
};

// Reads the HTTP upgrade request, then hands the socket to a WebSocketSession.
class HttpSession : public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(tcp::socket&& socket, std::shared_ptr<SharedState> state)
      : stream_(std::move(socket)), state_(std::move(state)) {}

  void Run() {
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_, beast::bind_front_handler(&HttpSession::OnRead, shared_from_this()));
  }

 private:
  void OnRead(beast::error_code ec, std::size_t) {
    if (ec || !websocket::is_upgrade(request_)) return;  // Not a WebSocket client: drop it.
    stream_.expires_never();
    std::make_shared<WebSocketSession>(stream_.release_socket(), state_)->Run(std::move(request_));
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  std::shared_ptr<SharedState> state_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, const tcp::endpoint& endpoint, std::shared_ptr<SharedState> state)
      : ioc_(ioc), acceptor_(ioc, endpoint), state_(std::move(state)) {}

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void Run() { DoAccept(); }
  void Stop() { acceptor_.close(); }

 private:
  void DoAccept() {
    acceptor_.async_accept(ioc_, beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;  // Stopped.
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<HttpSession>(std::move(socket), state_)->Run();
    }
    DoAccept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  std::shared_ptr<SharedState> state_;
};

std::string Now() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[80];  // Room for any int the compiler imagines in each field.
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
  return text;
}

// The reader thread: one JSON event per line → one frame, built once, posted to the io_context.
void ReadEvents(net::io_context& ioc, std::shared_ptr<SharedState> state) {
  std::string line;
  uint64_t sequence = 0;
  while (std::getline(std::cin, line)) {
    boost::system::error_code ec;
    json::value event = json::parse(line, ec);
    if (ec || !event.is_object()) {
      std::cerr << "baseline-fanout-server: skipping a line that is not a JSON object\n";
      continue;
    }
    std::optional<std::string> room_id;
    if (const json::value* room = event.as_object().if_contains("room_id"); room && room->is_string()) {
      room_id = std::string(room->as_string().c_str());
    }
    json::object message{{"type", "event"},
                         {"data", {{"event", std::move(event)}, {"received", Now()}, {"sequence", ++sequence}}}};
    auto frame = std::make_shared<const std::string>(json::serialize(message));
    net::post(ioc, [state, frame = std::move(frame), room_id = std::move(room_id)] {
      for (WebSocketSession* session : state->sessions) session->Publish(frame, room_id);
    });
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string addr = "127.0.0.1:8444";
  std::string path = "/events";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--addr" || arg == "--path") && i + 1 < argc) {
      (arg == "--addr" ? addr : path) = argv[++i];
    } else {
      std::cerr << "Usage: " << argv[0] << " [--addr HOST:PORT] [--path /events]\n"
                << "Publishes the JSON events of standard input (one per line) to WebSocket subscribers.\n";
      return arg == "-h" || arg == "--help" ? 0 : 2;
    }
  }
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "baseline-fanout-server: --addr must be HOST:PORT\n";
    return 2;
  }
  try {
    net::io_context ioc(1);
    auto state = std::make_shared<SharedState>();
    const tcp::endpoint endpoint(net::ip::make_address(addr.substr(0, colon)),
                                 static_cast<unsigned short>(std::stoi(addr.substr(colon + 1))));
    auto listener = std::make_shared<Listener>(ioc, endpoint, state);
    listener->Run();
    const tcp::endpoint bound = listener->local_endpoint();
    std::printf("eventbus: listening on ws://%s:%u%s\n", bound.address().to_string().c_str(), bound.port(),
                path.c_str());
    std::fflush(stdout);

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](beast::error_code, int) {
      state->stopping = true;
      listener->Stop();
      // Copy first: a session that ends leaves the set.
      const std::vector<WebSocketSession*> sessions(state->sessions.begin(), state->sessions.end());
      for (WebSocketSession* session : sessions) session->Close();
    });

    std::thread reader(ReadEvents, std::ref(ioc), state);
    ioc.run();
    // The reader may be blocked in getline on a standard input nobody closes; there is nothing left to
    // clean up, so leave without joining it.
    reader.detach();
    std::fflush(stdout);
    std::_Exit(0);
  } catch (const std::exception& e) {
    std::cerr << "baseline-fanout-server: " << e.what() << "\n";
    return 1;
  }
}
