// A WebSocket client that writes the protocol by hand, for conformance tests: it sends the HTTP upgrade as
// text, masked frames with any first byte (FIN, RSV bits, opcode) in one write or byte by byte, and reads
// the server's frames and close code as they arrive on a real loopback socket. Every read has a deadline;
// a deadline passing throws std::runtime_error, which GoogleTest reports as a failure.
#ifndef ARMORCLAW_EVENTBUS_TESTS_CONFORMANCE_RAW_WS_CLIENT_H_
#define ARMORCLAW_EVENTBUS_TESTS_CONFORMANCE_RAW_WS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/beast/core/flat_buffer.hpp"
#include "boost/beast/core/tcp_stream.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/string_body.hpp"

namespace armorclaw::eventbus::testing {

// Far above what an answer on loopback takes, even under sanitizers; only a missing answer reaches it.
inline constexpr std::chrono::seconds kAnswerDeadline{10};

// The key of RFC 6455 §1.3 and the Sec-WebSocket-Accept it must produce.
inline constexpr std::string_view kSampleKey = "dGhlIHNhbXBsZSBub25jZQ==";
inline constexpr std::string_view kSampleAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// The first byte of a frame: FIN, then RSV1-3, then the opcode.
inline constexpr uint8_t kFin = 0x80;
inline constexpr uint8_t kRsv1 = 0x40;
inline constexpr uint8_t kRsv2 = 0x20;
inline constexpr uint8_t kRsv3 = 0x10;

// A masked client frame with `first_byte` as given and the shortest length encoding (RFC 6455 §5.2).
std::string ClientFrame(uint8_t first_byte, std::string_view payload);
// The payload of a close frame: the code in network order, then the reason.
std::string ClosePayload(uint16_t code, std::string_view reason = "");

// A frame received from the server.
struct Frame {
  bool fin = false;
  uint8_t opcode = 0;
  std::string payload;
};

// How the server ended the connection, as the client saw it.
struct Ending {
  // The close frame's code; 1005 for a close frame without one, 1006 when no close frame came.
  int code = 1006;
  std::string reason;
  // The frames that came before the close frame.
  std::vector<Frame> before;
  // What the server sent after its close frame, before closing the TCP connection (RFC 6455 §5.5.1:
  // nothing).
  std::string after_close;
};

// A GET upgrade request for `target` with the standard headers (Host, Upgrade, Connection,
// Sec-WebSocket-Version 13, the sample key) and `extra_headers` ("Name: value\r\n" lines) before the
// blank line. The standard headers named in `drop` are left out, so that a test can omit or replace them.
std::string UpgradeRequest(std::string_view target, std::string_view extra_headers = "",
                           const std::vector<std::string_view>& drop = {});

class RawWsClient {
 public:
  // Opens a TCP connection to the host and port of a ws:// URL; nothing is sent yet. A
  // `receive_buffer_bytes` (SO_RCVBUF, set before connecting) makes a client that does not read stall
  // the server's writes sooner.
  explicit RawWsClient(const std::string& url, std::optional<int> receive_buffer_bytes = std::nullopt);

  // The path of the URL the client was made with.
  const std::string& path() const { return path_; }

  // Writes `bytes`, or as many as the server takes before it closes the connection: a server may refuse
  // a frame on its header alone and close without reading the rest; what it answered is read next.
  void Send(std::string_view bytes);
  // The socket, for a client that writes without blocking (the flood soak).
  boost::asio::ip::tcp::socket& socket() { return stream_.socket(); }
  // One write per byte: the server must reassemble whatever the TCP segmentation.
  void SendByteByByte(std::string_view bytes);

  // Reads one HTTP response; for a response to HEAD (`to_head`) no body is read.
  boost::beast::http::response<boost::beast::http::string_body> ReadHttpResponse(bool to_head = false);
  // Sends the standard upgrade request for path() and expects 101.
  void Upgrade();

  // The next frame; throws when the connection ends first.
  Frame ReadFrame(std::chrono::milliseconds deadline = kAnswerDeadline);
  // The payload of the next frame, which must be a final text frame.
  std::string ReadText(std::chrono::milliseconds deadline = kAnswerDeadline);
  // Reads frames until a close frame or the end of the connection; after a close frame, waits for the
  // server to close the TCP connection (RFC 6455 §7.1.1: the server closes it first; throws if it does
  // not within the deadline). Then closes the client's side, as §7.1.1 asks of a client.
  Ending ReadUntilClosed(std::chrono::milliseconds deadline = kAnswerDeadline);
  // Every byte (already buffered ones included) until the server closes the connection.
  std::string ReadToEnd(std::chrono::milliseconds deadline = kAnswerDeadline);

 private:
  // Reads what is available into buffer_; false when the connection ended.
  bool ReadMore(std::chrono::milliseconds deadline);
  std::optional<Frame> TryReadFrame(std::chrono::milliseconds deadline);

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::string path_;
};

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_CONFORMANCE_RAW_WS_CLIENT_H_
