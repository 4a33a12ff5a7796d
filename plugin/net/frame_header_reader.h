// Reads the header of a WebSocket frame (RFC 6455 section 5.2) one byte at a time, as bytes arrive in any
// chunking: the one parser of client frame headers, shared by the ClientFrameGuard and the
// ClientMessageInflater, which both follow the frames a client sends below Beast.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_FRAME_HEADER_READER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_FRAME_HEADER_READER_H_

#include <array>
#include <cstddef>
#include <cstdint>

namespace armorclaw::eventbus {

struct FrameHeader {
  static constexpr uint8_t kFin = 0x80;
  static constexpr uint8_t kRsv1 = 0x40;
  static constexpr uint8_t kReservedBits = 0x70;
  static constexpr uint8_t kOpcodeBits = 0x0F;
  static constexpr uint8_t kContinuation = 0x0;
  static constexpr uint8_t kText = 0x1;
  static constexpr uint8_t kBinary = 0x2;
  static constexpr uint8_t kClose = 0x8;
  static constexpr uint8_t kLength16 = 126;
  static constexpr uint8_t kLength64 = 127;

  bool fin() const { return (first_byte & kFin) != 0; }
  uint8_t reserved() const { return first_byte & kReservedBits; }
  uint8_t opcode() const { return first_byte & kOpcodeBits; }
  bool control() const { return (first_byte & 0x08) != 0; }

  uint8_t first_byte = 0;  // FIN, RSV1 to RSV3 and the opcode.
  bool masked = false;
  uint8_t length_field = 0;  // The 7-bit length: the length itself up to 125, or 126 or 127.
  uint64_t length = 0;       // The payload length; while the extended length is read, its bytes so far.
  std::array<uint8_t, 4> mask{};
};

class FrameHeaderReader {
 public:
  // Takes the next byte of a header; true when that byte completed it. The byte after a complete header
  // starts the next one.
  bool Take(uint8_t byte);
  // The bytes of the current header taken so far: 1 once the first byte is known, 2 once the length byte
  // is, 3 once the first byte of an extended length is, and so on.
  size_t taken() const { return taken_; }
  // What the bytes taken so far say; all of it once Take returned true.
  const FrameHeader& header() const { return header_; }

 private:
  // The size of the header the bytes taken so far announce (0 before the length byte).
  size_t Size() const;
  // 2 or 8 when the length byte announces a 16- or 64-bit length, else 0.
  size_t ExtendedLengthBytes() const;

  FrameHeader header_;
  size_t taken_ = 0;
  bool complete_ = false;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_FRAME_HEADER_READER_H_
