// The client side of RFC 6455 framing, as much as the load generator needs: parsing server frame headers
// (unmasked, possibly split across reads), encoding masked client frames, and finding the bench's index and
// timestamp in an event message. No function here allocates.
#ifndef ARMORCLAW_EVENTBUS_BENCH_WS_FRAME_H_
#define ARMORCLAW_EVENTBUS_BENCH_WS_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace armorclaw::eventbus::bench {

namespace opcode {
inline constexpr uint8_t kContinuation = 0x0;
inline constexpr uint8_t kText = 0x1;
inline constexpr uint8_t kBinary = 0x2;
inline constexpr uint8_t kClose = 0x8;
inline constexpr uint8_t kPing = 0x9;
inline constexpr uint8_t kPong = 0xA;
}  // namespace opcode

struct FrameHeader {
  uint8_t opcode = 0;
  bool fin = false;
  bool compressed = false;  // RSV1: permessage-deflate's "Per-Message Compressed" (RFC 7692 section 6).
  size_t header_bytes = 0;
  uint64_t payload_bytes = 0;
};

enum class HeaderStatus { kComplete, kNeedMore, kInvalid };

// Parses the header of a server-to-client frame at the start of [p, p + n). kNeedMore when the header
// itself is incomplete (the payload may be incomplete even on kComplete: compare n with the sizes).
// `error` names the violation on kInvalid. With `deflate_negotiated`, RSV1 may be set on the first frame of
// a data message.
inline HeaderStatus ParseServerFrameHeader(const char* p, size_t n, FrameHeader* header, const char** error,
                                           bool deflate_negotiated = false) {
  if (n < 2) return HeaderStatus::kNeedMore;
  const auto b0 = static_cast<uint8_t>(p[0]);
  const auto b1 = static_cast<uint8_t>(p[1]);
  header->compressed = (b0 & 0x40) != 0;
  const uint8_t allowed_rsv = deflate_negotiated && (b0 & 0x0F) != 0 && (b0 & 0x0F) < 0x8 ? 0x40 : 0;
  if ((b0 & 0x70 & ~allowed_rsv) != 0) {
    *error = deflate_negotiated ? "RSV bit set beyond permessage-deflate's RSV1 on a data frame"
                                : "RSV bit set (no extension was negotiated)";
    return HeaderStatus::kInvalid;
  }
  if ((b1 & 0x80) != 0) {
    *error = "masked server frame";
    return HeaderStatus::kInvalid;
  }
  header->fin = (b0 & 0x80) != 0;
  header->opcode = b0 & 0x0F;
  uint64_t length = b1 & 0x7F;
  size_t header_bytes = 2;
  if (length == 126) {
    if (n < 4) return HeaderStatus::kNeedMore;
    length = (uint64_t{static_cast<uint8_t>(p[2])} << 8) | static_cast<uint8_t>(p[3]);
    header_bytes = 4;
  } else if (length == 127) {
    if (n < 10) return HeaderStatus::kNeedMore;
    length = 0;
    for (int i = 2; i < 10; ++i) length = (length << 8) | static_cast<uint8_t>(p[i]);
    header_bytes = 10;
  }
  if (header->opcode >= 0x8) {
    if (!header->fin || length > 125) {
      *error = "fragmented or oversized control frame";
      return HeaderStatus::kInvalid;
    }
    if (header->opcode > opcode::kPong) {
      *error = "reserved control opcode";
      return HeaderStatus::kInvalid;
    }
  } else if (header->opcode > opcode::kBinary) {
    *error = "reserved data opcode";
    return HeaderStatus::kInvalid;
  }
  header->header_bytes = header_bytes;
  header->payload_bytes = length;
  return HeaderStatus::kComplete;
}

// The largest header EncodeClientFrame writes.
inline constexpr size_t kMaxClientHeaderBytes = 14;

// Writes one final, masked client frame into `out` (at least payload.size() + kMaxClientHeaderBytes bytes)
// and returns its size.
inline size_t EncodeClientFrame(uint8_t op, std::string_view payload, uint32_t mask, char* out) {
  size_t n = 0;
  out[n++] = static_cast<char>(0x80 | op);
  const size_t length = payload.size();
  if (length < 126) {
    out[n++] = static_cast<char>(0x80 | length);
  } else if (length < 65536) {
    out[n++] = static_cast<char>(0x80 | 126);
    out[n++] = static_cast<char>(length >> 8);
    out[n++] = static_cast<char>(length);
  } else {
    out[n++] = static_cast<char>(0x80 | 127);
    for (int shift = 56; shift >= 0; shift -= 8) out[n++] = static_cast<char>(uint64_t{length} >> shift);
  }
  const char key[4] = {static_cast<char>(mask >> 24), static_cast<char>(mask >> 16), static_cast<char>(mask >> 8),
                       static_cast<char>(mask)};
  std::memcpy(out + n, key, 4);
  n += 4;
  for (size_t i = 0; i < length; ++i) out[n + i] = static_cast<char>(payload[i] ^ key[i % 4]);
  return n + length;
}

// The fields the bench puts first in every event's content: "bench_i":INDEX,"bench_t":NANOSECONDS.
inline constexpr std::string_view kIndexKey = R"("bench_i":)";
inline constexpr std::string_view kTimeKey = R"(,"bench_t":)";

namespace detail {
inline bool ParseDigits(const char*& p, const char* end, uint64_t* value) {
  const char* start = p;
  uint64_t v = 0;
  while (p < end && *p >= '0' && *p <= '9' && p - start < 19) v = v * 10 + static_cast<uint64_t>(*p++ - '0');
  *value = v;
  return p > start;
}
}  // namespace detail

// Finds "bench_i":I,"bench_t":T in a message. `hint` is where the key was found last time on this
// connection: checked first, so that the usual case costs one comparison instead of a search, and
// updated. False when the message carries no such fields.
inline bool FindBenchFields(const char* message, size_t n, size_t* hint, uint64_t* index, uint64_t* time_ns) {
  const char* end = message + n;
  const char* key = nullptr;
  if (*hint + kIndexKey.size() <= n && std::memcmp(message + *hint, kIndexKey.data(), kIndexKey.size()) == 0) {
    key = message + *hint;
  } else {
    key = static_cast<const char*>(memmem(message, n, kIndexKey.data(), kIndexKey.size()));
    if (key == nullptr) return false;
    *hint = static_cast<size_t>(key - message);
  }
  const char* p = key + kIndexKey.size();
  if (!detail::ParseDigits(p, end, index)) return false;
  if (static_cast<size_t>(end - p) < kTimeKey.size() || std::memcmp(p, kTimeKey.data(), kTimeKey.size()) != 0) {
    return false;
  }
  p += kTimeKey.size();
  return detail::ParseDigits(p, end, time_ns);
}

}  // namespace armorclaw::eventbus::bench

#endif  // ARMORCLAW_EVENTBUS_BENCH_WS_FRAME_H_
