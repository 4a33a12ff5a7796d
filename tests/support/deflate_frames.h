// What a permessage-deflate client does with frames (RFC 7692 section 7.2.2), with zlib: the tests' view
// of compressed frames, independent of how the plugin builds them.
#ifndef ARMORCLAW_EVENTBUS_TESTS_SUPPORT_DEFLATE_FRAMES_H_
#define ARMORCLAW_EVENTBUS_TESTS_SUPPORT_DEFLATE_FRAMES_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "zlib.h"

namespace armorclaw::eventbus::testing {

// One server frame: its first byte (FIN, RSV1-3, opcode) and its payload.
struct ServerFrame {
  uint8_t first_byte = 0;
  std::string payload;
  bool compressed() const { return (first_byte & 0x40) != 0; }  // RSV1, "Per-Message Compressed".
};

// The size of a server frame's header from its first bytes (2, 4 or 10), and its payload length.
inline size_t ServerFrameHeaderSize(uint8_t second_byte) {
  if (second_byte & 0x80) throw std::runtime_error("a masked server frame");
  const uint8_t length = second_byte & 0x7F;
  return length == 127 ? 10 : length == 126 ? 4 : 2;
}
inline uint64_t ServerFramePayloadSize(std::string_view header) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(header.at(i)); };
  uint64_t length = byte(1) & 0x7F;
  if (length < 126) return length;
  length = 0;
  for (size_t i = 2; i < header.size(); ++i) length = (length << 8) | byte(i);
  return length;
}

// A whole server frame, parsed.
inline ServerFrame ParseServerFrame(std::string_view frame) {
  const size_t header = ServerFrameHeaderSize(static_cast<uint8_t>(frame.at(1)));
  if (frame.size() != header + ServerFramePayloadSize(frame.substr(0, header))) {
    throw std::runtime_error("frame length does not match its header");
  }
  return {static_cast<uint8_t>(frame[0]), std::string(frame.substr(header))};
}

// A compressed message's text: the payload with 00 00 ff ff appended, through a raw inflater with the
// negotiated window. Throws on invalid data (a distance beyond the window, say).
inline std::string InflateMessage(std::string_view payload, int window_bits) {
  std::string input(payload);
  input.append("\x00\x00\xff\xff", 4);
  z_stream z{};
  if (inflateInit2(&z, -window_bits) != Z_OK) throw std::runtime_error("inflateInit2");
  z.next_in = reinterpret_cast<Bytef*>(input.data());
  z.avail_in = static_cast<uInt>(input.size());
  std::string out;
  char chunk[4096];
  int result = Z_OK;
  while (result == Z_OK && (z.avail_in > 0 || z.avail_out == 0)) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof(chunk);
    result = inflate(&z, Z_SYNC_FLUSH);
    out.append(chunk, sizeof(chunk) - z.avail_out);
  }
  inflateEnd(&z);
  if (result != Z_OK && result != Z_BUF_ERROR) throw std::runtime_error("invalid compressed message");
  return out;
}

// A message compressed as a client would send it (without the final 00 00 ff ff).
inline std::string DeflateMessage(std::string_view message) {
  z_stream z{};
  if (deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&z, message.size()) + 16, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  z.avail_in = static_cast<uInt>(message.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int result = deflate(&z, Z_SYNC_FLUSH);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  if (result != Z_OK || out.size() < 4) throw std::runtime_error("deflate");
  out.resize(out.size() - 4);
  return out;
}

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_SUPPORT_DEFLATE_FRAMES_H_
