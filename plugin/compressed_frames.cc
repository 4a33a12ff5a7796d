#include "plugin/compressed_frames.h"

#include <stdexcept>

#include "plugin/server_frame.h"
#include "zlib.h"

namespace armorclaw::eventbus {
namespace {

// FIN, RSV1 (the "Per-Message Compressed" bit, RFC 7692 section 6) and the text opcode.
constexpr uint8_t kCompressedTextFrame = 0xC1;
// What a sync flush ends with, and RFC 7692 section 7.2.1 has the sender remove.
constexpr std::string_view kSyncFlushTail("\x00\x00\xff\xff", 4);

}  // namespace

struct MessageDeflater::Stream {
  z_stream z{};

  explicit Stream(int window_bits) {
    // zlib refuses a raw 256-byte window (window bits 8). Matches only one byte back (Z_RLE) stay
    // within any window, so 8 gets a 512-byte window whose distances never exceed 1.
    const int strategy = window_bits == kMinWindowBits ? Z_RLE : Z_DEFAULT_STRATEGY;
    const int bits = window_bits == kMinWindowBits ? kMinWindowBits + 1 : window_bits;
    // Negative window bits: raw DEFLATE, without the zlib header and checksum.
    if (deflateInit2(&z, kLevel, Z_DEFLATED, -bits, 8, strategy) != Z_OK) throw std::bad_alloc();
  }
  ~Stream() { deflateEnd(&z); }
};

MessageDeflater::MessageDeflater() = default;
MessageDeflater::~MessageDeflater() = default;

std::string MessageDeflater::Frame(std::string_view message, int window_bits) {
  if (message.size() < kMinMessageBytes) return {};
  std::unique_ptr<Stream>& stream = streams_.at(static_cast<size_t>(window_bits - kMinWindowBits));
  if (!stream) stream = std::make_unique<Stream>(window_bits);
  z_stream& z = stream->z;
  // Compressed into scratch_, reused, then copied out at its exact size: the frame is kept as long as
  // the event.
  std::string& frame = scratch_;
  frame.resize(kServerFrameHeaderRoom + deflateBound(&z, message.size()) + 16);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(message.data()));
  z.avail_in = static_cast<uInt>(message.size());
  z.next_out = reinterpret_cast<Bytef*>(frame.data() + kServerFrameHeaderRoom);
  z.avail_out = static_cast<uInt>(frame.size() - kServerFrameHeaderRoom);
  // deflateBound leaves room for a sync flush's few bytes beyond the compressed data (the + 16).
  const int result = deflate(&z, Z_SYNC_FLUSH);
  const size_t written = frame.size() - kServerFrameHeaderRoom - z.avail_out;
  deflateReset(&z);
  if (result != Z_OK || z.avail_in != 0 || written < kSyncFlushTail.size()) return {};
  frame.resize(kServerFrameHeaderRoom + written - kSyncFlushTail.size());
  if (frame.size() - kServerFrameHeaderRoom >= message.size()) return {};
  const size_t header = WriteServerFrameHeader(frame, kCompressedTextFrame);
  return frame.substr(kServerFrameHeaderRoom - header);
}

std::string_view CompressedFrames::Wire(std::string_view message, std::string_view plain_wire, int window_bits,
                                        MessageDeflater& deflater) {
  if (!frames_) frames_ = std::make_unique<BySize>();
  std::optional<std::string>& frame = frames_->at(static_cast<size_t>(window_bits - kMinWindowBits));
  if (!frame) {
    frame = deflater.Frame(message, window_bits);
    bytes_ += frame->size();
  }
  return frame->empty() ? plain_wire : std::string_view(*frame);
}

}  // namespace armorclaw::eventbus
