#include "tests/support/ws_client.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core/buffers_to_string.hpp"
#include "boost/beast/http/read.hpp"
#include "boost/beast/http/write.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"

namespace armorclaw::eventbus::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;

void Connect(asio::io_context& io, beast::tcp_stream& stream, const Endpoint& endpoint) {
  asio::ip::tcp::resolver resolver(io);
  stream.expires_after(kDefaultDeadline);
  stream.connect(resolver.resolve(endpoint.host, endpoint.port));
}

}  // namespace

Endpoint ParseWsUrl(std::string_view url) {
  constexpr std::string_view kScheme = "ws://";
  if (url.substr(0, kScheme.size()) != kScheme) throw std::runtime_error(absl::StrCat("not a ws:// URL: ", std::string(url)));
  url.remove_prefix(kScheme.size());
  const size_t slash = url.find('/');
  const std::string_view authority = url.substr(0, slash);
  const size_t colon = authority.rfind(':');
  Endpoint endpoint;
  endpoint.host = std::string(authority.substr(0, colon));
  if (endpoint.host.size() > 2 && endpoint.host.front() == '[') endpoint.host = endpoint.host.substr(1, endpoint.host.size() - 2);
  endpoint.port = std::string(authority.substr(colon + 1));
  endpoint.path = slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  return endpoint;
}

http::response<http::string_body> HttpGet(const std::string& url, const std::string& target,
                                          const std::vector<std::pair<std::string, std::string>>& headers) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  const Endpoint endpoint = ParseWsUrl(url);
  Connect(io, stream, endpoint);
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::host, endpoint.host);
  for (const auto& [name, value] : headers) request.set(name, value);
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response;
}

WsClient::WsClient(const std::string& url, std::optional<std::string> target, const Headers& headers)
    : ws_(io_) {
  const Endpoint endpoint = ParseWsUrl(url);
  Connect(io_, beast::get_lowest_layer(ws_), endpoint);
  ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& request) {
    for (const auto& [name, value] : headers) request.set(name, value);
  }));
  ws_.handshake(endpoint.host + ":" + endpoint.port, target.value_or(endpoint.path));
  beast::get_lowest_layer(ws_).expires_never();
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind == websocket::frame_type::pong) ++pongs_received_;
  });
}

template <typename Operation>
void WsClient::RunWithDeadline(std::chrono::milliseconds deadline, Operation&& operation) {
  beast::error_code result = asio::error::would_block;
  beast::get_lowest_layer(ws_).expires_after(deadline);
  operation([&result](beast::error_code error, auto&&...) { result = error; });
  io_.restart();
  io_.run();
  beast::get_lowest_layer(ws_).expires_never();
  if (result) throw beast::system_error(result);
}

void WsClient::Send(std::string_view text) {
  ws_.text(true);
  RunWithDeadline(kDefaultDeadline, [&](auto handler) { ws_.async_write(asio::buffer(text), handler); });
}

void WsClient::SendBinary(std::string_view bytes) {
  ws_.binary(true);
  RunWithDeadline(kDefaultDeadline, [&](auto handler) { ws_.async_write(asio::buffer(bytes), handler); });
}

void WsClient::Ping() {
  RunWithDeadline(kDefaultDeadline, [&](auto handler) { ws_.async_ping({}, handler); });
}

std::string WsClient::Read(std::chrono::milliseconds deadline) {
  buffer_.clear();
  RunWithDeadline(deadline, [&](auto handler) { ws_.async_read(buffer_, handler); });
  if (!ws_.got_text()) throw std::runtime_error("received a binary message");
  return beast::buffers_to_string(buffer_.data());
}

boost::json::value WsClient::ReadJson(std::chrono::milliseconds deadline) {
  return boost::json::parse(Read(deadline));
}

std::string WsClient::Subscribe(std::string_view filter_json) {
  Send(filter_json.empty() ? std::string(R"({"type":"subscribe"})")
                           : absl::StrCat(R"({"type":"subscribe","data":{"filter":)", std::string(filter_json), "}}"));
  const boost::json::value reply = ReadJson();
  if (reply.at("type") != "subscribed") {
    throw std::runtime_error(absl::StrCat("expected subscribed, got ", boost::json::serialize(reply)));
  }
  return std::string(reply.at("data").at("subscriber_id").as_string());
}

websocket::close_reason WsClient::ReadUntilClosed(bool skip_messages, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  for (;;) {
    buffer_.clear();
    beast::error_code result = asio::error::would_block;
    beast::get_lowest_layer(ws_).expires_at(until);
    ws_.async_read(buffer_, [&result](beast::error_code error, size_t) { result = error; });
    io_.restart();
    io_.run();
    // A close frame may be followed by the server's teardown racing the client's own, which Beast then
    // reports instead of `closed`; the close frame counts.
    if (result == websocket::error::closed || (result && ws_.reason().code != websocket::close_code::none)) {
      return ws_.reason();
    }
    if (result) throw beast::system_error(result);
    if (!skip_messages) {
      throw std::runtime_error(absl::StrCat("expected a close, got ", beast::buffers_to_string(buffer_.data())));
    }
  }
}

}  // namespace armorclaw::eventbus::testing
