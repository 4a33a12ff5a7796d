#include "tests/conformance/raw_ws_client.h"

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "bench/ws_frame.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/http/parser.hpp"
#include "boost/beast/http/read.hpp"
#include "common/string_view_compat.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;

// Any mask will do (RFC 6455 §5.3 asks only that the server unmask it); a fixed one keeps failures
// reproducible.
constexpr uint32_t kMask = 0x37fa213d;

bool Dropped(const std::vector<std::string_view>& drop, std::string_view name) {
  for (std::string_view dropped : drop) {
    if (dropped == name) return true;
  }
  return false;
}

}  // namespace

std::string ClientFrame(uint8_t first_byte, std::string_view payload) {
  std::string frame(payload.size() + bench::kMaxClientHeaderBytes, '\0');
  frame.resize(bench::EncodeClientFrame(first_byte & 0x0F, payload, kMask, frame.data()));
  frame[0] = static_cast<char>(first_byte);
  return frame;
}

std::string ClosePayload(uint16_t code, std::string_view reason) {
  return absl::StrCat(std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)}, ToAbsl(reason));
}

std::string UpgradeRequest(std::string_view target, std::string_view extra_headers,
                           const std::vector<std::string_view>& drop) {
  std::string request = absl::StrCat("GET ", ToAbsl(target), " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  const std::pair<std::string_view, std::string_view> standard[] = {
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Version", "13"},
      {"Sec-WebSocket-Key", kSampleKey},
  };
  for (const auto& [name, value] : standard) {
    if (!Dropped(drop, name)) absl::StrAppend(&request, ToAbsl(name), ": ", ToAbsl(value), "\r\n");
  }
  absl::StrAppend(&request, ToAbsl(extra_headers), "\r\n");
  return request;
}

RawWsClient::RawWsClient(const std::string& url, std::optional<int> receive_buffer_bytes) : stream_(io_) {
  const Endpoint endpoint = ParseWsUrl(url);
  path_ = endpoint.path;
  const auto addresses = asio::ip::tcp::resolver(io_).resolve(endpoint.host, endpoint.port);
  if (receive_buffer_bytes) {
    const asio::ip::tcp::endpoint server = *addresses.begin();
    stream_.socket().open(server.protocol());
    stream_.socket().set_option(asio::socket_base::receive_buffer_size(*receive_buffer_bytes));
    stream_.socket().connect(server);
  } else {
    stream_.connect(addresses);
  }
}

void RawWsClient::Send(std::string_view bytes) {
  beast::error_code error;
  asio::write(stream_.socket(), asio::buffer(bytes.data(), bytes.size()), error);
  if (error && error != asio::error::broken_pipe && error != asio::error::connection_reset) {
    throw beast::system_error(error, "write");
  }
}

void RawWsClient::SendByteByByte(std::string_view bytes) {
  // No delay: each byte leaves as a segment of its own.
  stream_.socket().set_option(asio::ip::tcp::no_delay(true));
  for (char byte : bytes) Send(std::string_view(&byte, 1));
}

http::response<http::string_body> RawWsClient::ReadHttpResponse(bool to_head) {
  http::response_parser<http::string_body> parser;
  parser.skip(to_head);
  beast::error_code result;
  stream_.expires_after(kAnswerDeadline);
  http::async_read(stream_, buffer_, parser, [&](beast::error_code error, size_t) { result = error; });
  io_.restart();
  io_.run();
  if (result) throw std::runtime_error("no HTTP response: " + result.message());
  return parser.release();
}

void RawWsClient::Upgrade() {
  Send(UpgradeRequest(path_));
  const auto response = ReadHttpResponse();
  if (response.result() != http::status::switching_protocols) {
    throw std::runtime_error(absl::StrCat("upgrade answered ", response.result_int(), ": ", response.body()));
  }
}

bool RawWsClient::ReadMore(std::chrono::milliseconds deadline) {
  beast::error_code result;
  size_t received = 0;
  stream_.expires_after(deadline);
  stream_.async_read_some(buffer_.prepare(64 * 1024), [&](beast::error_code error, size_t bytes) {
    result = error;
    received = bytes;
  });
  io_.restart();
  io_.run();
  buffer_.commit(received);
  if (result == beast::error::timeout) throw std::runtime_error("the server sent nothing within the deadline");
  // End of stream or a reset: either way the server ended the connection.
  return !result;
}

std::optional<Frame> RawWsClient::TryReadFrame(std::chrono::milliseconds deadline) {
  for (;;) {
    const char* data = static_cast<const char*>(buffer_.data().data());
    bench::FrameHeader header;
    const char* violation = nullptr;
    const bench::HeaderStatus status = bench::ParseServerFrameHeader(data, buffer_.size(), &header, &violation);
    if (status == bench::HeaderStatus::kInvalid) {
      throw std::runtime_error(absl::StrCat("the server sent an invalid frame: ", violation));
    }
    if (status == bench::HeaderStatus::kComplete && buffer_.size() >= header.header_bytes + header.payload_bytes) {
      Frame frame{header.fin, header.opcode,
                  std::string(data + header.header_bytes, static_cast<size_t>(header.payload_bytes))};
      buffer_.consume(header.header_bytes + header.payload_bytes);
      return frame;
    }
    if (!ReadMore(deadline)) return std::nullopt;
  }
}

Frame RawWsClient::ReadFrame(std::chrono::milliseconds deadline) {
  std::optional<Frame> frame = TryReadFrame(deadline);
  if (!frame) throw std::runtime_error("the server ended the connection instead of sending a frame");
  return *std::move(frame);
}

std::string RawWsClient::ReadText(std::chrono::milliseconds deadline) {
  Frame frame = ReadFrame(deadline);
  if (frame.opcode != bench::opcode::kText || !frame.fin) {
    throw std::runtime_error(absl::StrCat("expected a final text frame, got opcode ", frame.opcode,
                                          frame.fin ? "" : " without FIN"));
  }
  return std::move(frame.payload);
}

Ending RawWsClient::ReadUntilClosed(std::chrono::milliseconds deadline) {
  Ending ending;
  for (;;) {
    std::optional<Frame> frame = TryReadFrame(deadline);
    if (!frame) {
      stream_.close();
      return ending;
    }
    if (frame->opcode != bench::opcode::kClose) {
      ending.before.push_back(*std::move(frame));
      continue;
    }
    const std::string& payload = frame->payload;
    ending.code = payload.size() < 2 ? 1005
                                     : (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]);
    if (payload.size() > 2) ending.reason = payload.substr(2);
    ending.after_close = ReadToEnd(deadline);
    stream_.close();
    return ending;
  }
}

std::string RawWsClient::ReadToEnd(std::chrono::milliseconds deadline) {
  while (ReadMore(deadline)) {
  }
  std::string bytes(static_cast<const char*>(buffer_.data().data()), buffer_.size());
  buffer_.consume(buffer_.size());
  return bytes;
}

}  // namespace armorclaw::eventbus::testing
