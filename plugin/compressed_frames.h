// permessage-deflate (RFC 7692) frames of server messages, built once and shared by every receiver.
//
// With no context takeover (plugin/net/permessage_deflate.h always negotiates it) a message's compressed
// form depends only on its bytes and the window size: the frame of an event is the same for every
// connection that negotiated the same window, so it is compressed once, on the I/O thread, and kept with
// the event. There is no compressor per connection: one MessageDeflater per window size serves all.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_COMPRESSED_FRAMES_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_COMPRESSED_FRAMES_H_

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace armorclaw::eventbus {

inline constexpr int kMinWindowBits = 8;
inline constexpr int kMaxWindowBits = 15;

// Compresses whole messages into complete server text frames with RSV1 set. Keeps one zlib stream per
// window size, reset between messages (a fresh one costs a quarter megabyte of allocation and clearing).
// Not thread-safe: the I/O thread's own.
class MessageDeflater {
 public:
  // Messages shorter than this go uncompressed even to compressing receivers (RFC 7692 lets a sender
  // choose per message): below it, the compressed form saves a few dozen bytes at most and costs more
  // CPU per byte than the whole frame costs to send.
  static constexpr size_t kMinMessageBytes = 256;
  // zlib's level 1: on the Matrix spec corpus its output is within a few percent of level 6's, at about
  // half the CPU (docs/benchmarks.md, "permessage-deflate").
  static constexpr int kLevel = 1;

  MessageDeflater();
  ~MessageDeflater();
  MessageDeflater(const MessageDeflater&) = delete;
  MessageDeflater& operator=(const MessageDeflater&) = delete;

  // The frame of `message` compressed with a window of at most 2^window_bits bytes (8 to 15), without
  // the final 00 00 ff ff (RFC 7692 section 7.2.1); empty when it is not smaller than the plain frame
  // would be, or the message is shorter than kMinMessageBytes.
  std::string Frame(std::string_view message, int window_bits);

 private:
  struct Stream;
  std::array<std::unique_ptr<Stream>, kMaxWindowBits - kMinWindowBits + 1> streams_;
  std::string scratch_;
};

// An event's compressed frames, by window size, built on first need. Not thread-safe (see event.h).
class CompressedFrames {
 public:
  // The frame to send a receiver that negotiated `window_bits`: the compressed one, or `plain_wire` when
  // compressing does not pay.
  std::string_view Wire(std::string_view message, std::string_view plain_wire, int window_bits,
                        MessageDeflater& deflater);
  // The bytes of the frames built so far: what a retained event holds beyond its plain frame.
  size_t bytes() const { return bytes_; }

 private:
  // Allocated when the event first goes to a compressing receiver; an empty frame stands for "plain".
  using BySize = std::array<std::optional<std::string>, kMaxWindowBits - kMinWindowBits + 1>;
  std::unique_ptr<BySize> frames_;
  size_t bytes_ = 0;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_COMPRESSED_FRAMES_H_
