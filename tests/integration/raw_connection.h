// A raw TCP connection to the plugin, for what a well-behaved client library never sends: bytes before
// the 101, malformed requests, hand-made frames, floods. Every wait has a deadline.
#ifndef ARMORCLAW_EVENTBUS_TESTS_INTEGRATION_RAW_CONNECTION_H_
#define ARMORCLAW_EVENTBUS_TESTS_INTEGRATION_RAW_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "boost/asio/buffer.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/read_until.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core/error.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {

// A well-formed upgrade request for `target`, ending with `extra_headers` (each "Name: value\r\n").
inline std::string UpgradeRequest(std::string_view target = "/events", std::string_view extra_headers = "") {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
         "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
         std::string(extra_headers) + "\r\n";
}

// One client frame (final, masked as RFC 6455 §5.3 requires) with `opcode` and `payload`, its length in
// the shortest form.
inline std::string ClientFrame(uint8_t opcode, std::string_view payload) {
  std::string frame(1, static_cast<char>(0x80 | opcode));
  const size_t size = payload.size();
  if (size < 126) {
    frame += static_cast<char>(0x80 | size);
  } else if (size < 65536) {
    frame += static_cast<char>(0x80 | 126);
    frame += static_cast<char>(size >> 8);
    frame += static_cast<char>(size & 0xff);
  } else {
    frame += static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>((size >> shift) & 0xff);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  frame.append(mask, 4);
  for (size_t i = 0; i < size; ++i) frame += static_cast<char>(payload[i] ^ mask[i % 4]);
  return frame;
}

class RawConnection {
 public:
  explicit RawConnection(const std::string& url) : stream_(io_) {
    const Endpoint endpoint = ParseWsUrl(url);
    stream_.connect(boost::asio::ip::tcp::resolver(io_).resolve(endpoint.host, endpoint.port));
  }
  void Send(std::string_view bytes) { boost::asio::write(stream_, boost::asio::buffer(bytes.data(), bytes.size())); }
  // Sends `bytes`, or fails when the server ends the connection or `deadline` passes first.
  boost::beast::error_code TrySend(std::string_view bytes, std::chrono::milliseconds deadline = kDefaultDeadline) {
    boost::beast::error_code result;
    stream_.expires_after(deadline);
    boost::asio::async_write(stream_, boost::asio::buffer(bytes.data(), bytes.size()),
                             [&](boost::beast::error_code error, size_t) { result = error; });
    Run();
    return result;
  }
  // The server's answer up to the end of its header ("\r\n\r\n" included); throws on a deadline or EOF.
  std::string ReadHttpHeader() {
    boost::beast::error_code result;
    size_t length = 0;
    stream_.expires_after(kDefaultDeadline);
    boost::asio::async_read_until(stream_, boost::asio::dynamic_buffer(pending_), "\r\n\r\n",
                                  [&](boost::beast::error_code error, size_t n) {
                                    result = error;
                                    length = n;
                                  });
    Run();
    if (result) throw boost::beast::system_error(result);
    std::string header = pending_.substr(0, length);
    pending_.erase(0, length);
    return header;
  }
  // Exactly `size` bytes more (after a header, say); throws on a deadline or EOF.
  std::string ReadExactly(size_t size) {
    boost::beast::error_code result;
    if (pending_.size() < size) {
      stream_.expires_after(kDefaultDeadline);
      boost::asio::async_read(stream_, boost::asio::dynamic_buffer(pending_),
                              boost::asio::transfer_exactly(size - pending_.size()),
                              [&](boost::beast::error_code error, size_t) { result = error; });
      Run();
      if (result) throw boost::beast::system_error(result);
    }
    std::string bytes = pending_.substr(0, size);
    pending_.erase(0, size);
    return bytes;
  }
  // Reads until the server ends the connection (or 20 s pass): how it ended, and what came before.
  boost::beast::error_code ReadToEnd(std::string& received) {
    received = std::exchange(pending_, {});
    char buffer[4096];
    boost::beast::error_code result;
    stream_.expires_after(kDefaultDeadline);
    std::function<void(boost::beast::error_code, size_t)> on_read = [&](boost::beast::error_code error, size_t n) {
      received.append(buffer, n);
      if (error) {
        result = error;
        return;
      }
      stream_.async_read_some(boost::asio::buffer(buffer), on_read);
    };
    stream_.async_read_some(boost::asio::buffer(buffer), on_read);
    Run();
    return result;
  }
  boost::beast::tcp_stream& stream() { return stream_; }

 private:
  void Run() {
    io_.restart();
    io_.run();
  }

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  std::string pending_;  // Read and not yet returned.
};

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_INTEGRATION_RAW_CONNECTION_H_
