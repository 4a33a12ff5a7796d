#include "plugin/net/client_message_inflater.h"

#include <algorithm>
#include <array>

#include "zlib.h"

namespace armorclaw::eventbus {
namespace {

constexpr uint8_t kMaskBit = 0x80;
// The raw deflate window: section 7.1.2.2 lets the client use up to 2^15 bytes.
constexpr int kWindowBits = 15;
// What section 7.2.2 has the receiver append to a message's compressed payload.
constexpr std::array<uint8_t, 4> kMessageTail = {0x00, 0x00, 0xFF, 0xFF};

static_assert(ClientMessageInflater::kChunkBytes <= 0xFFFF, "an emitted frame has a 16-bit length");

}  // namespace

struct ClientMessageInflater::Zlib {
  Zlib() = default;
  Zlib(const Zlib&) = delete;
  Zlib& operator=(const Zlib&) = delete;
  ~Zlib() {
    if (initialized) inflateEnd(&stream);
  }
  z_stream stream{};
  bool initialized = false;
};

ClientMessageInflater::ClientMessageInflater(uint64_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

ClientMessageInflater::~ClientMessageInflater() = default;

bool ClientMessageInflater::Feed(std::string_view bytes, std::string& out) {
  size_t run_start = 0;   // Bytes from here on pass unchanged; not yet appended to `out`.
  bool unchanged = true;  // Every byte so far passes unchanged.
  const auto end_run = [&](size_t at) {
    out.append(bytes.substr(run_start, at - run_start));
    unchanged = false;
  };
  size_t i = 0;
  while (i < bytes.size() && !error_) {
    switch (state_) {
      case State::kAfterClose:
        // Beast reads no frame after a close: nothing left to inflate.
        i = bytes.size();
        break;
      case State::kPassedPayload: {
        const size_t taken = static_cast<size_t>(std::min<uint64_t>(payload_left_, bytes.size() - i));
        i += taken;
        payload_left_ -= taken;
        if (payload_left_ == 0) EndPassedFrame();
        break;
      }
      case State::kCompressedPayload:
        // The run ended at the frame's header, in these bytes or before them.
        i += TakeCompressed(bytes.substr(i), out);
        run_start = i;
        unchanged = false;
        break;
      case State::kHeader: {
        // The header's bytes are held until it is complete: only then is it known whether they pass.
        header_bytes_.push_back(bytes[i]);
        const bool complete = header_.Take(static_cast<uint8_t>(bytes[i]));
        ++i;
        if (!complete) break;
        // Whether the header began in these bytes, after every byte rewritten so far.
        const bool began_here = header_bytes_.size() <= i;
        if (OnHeader()) {
          end_run(began_here ? i - header_bytes_.size() : run_start);
          run_start = i;
          // An empty frame ends here, after the bytes before it.
          if (payload_left_ == 0) EndFrame(out);
        } else if (!began_here) {
          out.append(header_bytes_);
          run_start = i;
          unchanged = false;
        }
        header_bytes_.clear();
        break;
      }
    }
  }
  if (error_) return false;
  if (!header_bytes_.empty()) {
    // A header that the next bytes complete.
    end_run(header_bytes_.size() <= i ? i - header_bytes_.size() : run_start);
    return false;
  }
  if (unchanged) return true;
  end_run(i);
  return false;
}

bool ClientMessageInflater::OnHeader() {
  const FrameHeader& header = header_.header();
  bool compressed = false;
  if (in_message_) {
    if (header.opcode() == FrameHeader::kContinuation && header.reserved() == 0 && header.masked) {
      compressed = true;
    } else if (!header.control() || header.opcode() == FrameHeader::kClose) {
      // A frame that does not belong in the message (refused by Beast), or the end of the connection.
      EndMessage();
    }
  } else if ((header.opcode() == FrameHeader::kText || header.opcode() == FrameHeader::kBinary) &&
             header.reserved() == FrameHeader::kRsv1 && header.masked) {
    compressed = StartMessage(header.opcode());
  }
  payload_left_ = header.length;
  if (!compressed) {
    state_ = State::kPassedPayload;
    if (payload_left_ == 0) EndPassedFrame();
    return false;
  }
  payload_offset_ = 0;
  state_ = State::kCompressedPayload;
  return true;
}

bool ClientMessageInflater::StartMessage(uint8_t opcode) {
  zlib_ = std::make_unique<Zlib>();
  if (inflateInit2(&zlib_->stream, -kWindowBits) != Z_OK) {
    // Out of memory: the connection is failed rather than the message passed to Beast, which refuses RSV1.
    zlib_.reset();
    error_ = ClientFrameError::kInvalidCompressedData;
    return false;
  }
  zlib_->initialized = true;
  in_message_ = true;
  opcode_ = opcode;
  inflated_ = 0;
  over_limit_ = false;
  return true;
}

size_t ClientMessageInflater::TakeCompressed(std::string_view bytes, std::string& out) {
  const size_t taken = static_cast<size_t>(std::min<uint64_t>(payload_left_, bytes.size()));
  if (!over_limit_) {
    // One buffer for every connection: Feed runs on one thread at a time and keeps nothing in it.
    static thread_local std::array<uint8_t, kChunkBytes> unmasked;
    const std::array<uint8_t, 4>& mask = header_.header().mask;
    for (size_t done = 0; done < taken && !over_limit_ && !error_;) {
      const size_t piece = std::min(taken - done, unmasked.size());
      for (size_t k = 0; k < piece; ++k) {
        unmasked[k] = static_cast<uint8_t>(bytes[done + k]) ^ mask[(payload_offset_ + done + k) % 4];
      }
      Inflate(unmasked.data(), piece, out);
      done += piece;
    }
  }
  payload_left_ -= taken;
  payload_offset_ += taken;
  if (payload_left_ == 0 && !error_) EndFrame(out);
  return taken;
}

void ClientMessageInflater::Inflate(const uint8_t* data, size_t size, std::string& out) {
  static thread_local std::array<char, kChunkBytes> chunk;
  z_stream& stream = zlib_->stream;
  stream.next_in = const_cast<Bytef*>(data);  // zlib's API is not const-correct; it does not write there.
  stream.avail_in = static_cast<uInt>(size);
  for (;;) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    const int result = inflate(&stream, Z_SYNC_FLUSH);
    if (result == Z_STREAM_END) {
      // A final block (BFINAL set, section 7.2.3.1 allows it): what follows, the tail at least, inflates
      // as a stream of its own.
      inflateReset(&stream);
    } else if (result != Z_OK && result != Z_BUF_ERROR) {
      error_ = ClientFrameError::kInvalidCompressedData;
      EndMessage();
      return;
    }
    const size_t produced = chunk.size() - stream.avail_out;
    if (produced > 0) {
      inflated_ += produced;
      EmitFrame(std::string_view(chunk.data(), produced), /*fin=*/false, out);
      if (inflated_ > max_message_bytes_) {
        // Beast closes with 1009 when it reads this frame's header; nothing more of the message is
        // inflated, and zlib's state goes now.
        over_limit_ = true;
        zlib_.reset();
        return;
      }
    }
    // Done once every byte is taken and the output had room to spare; Z_BUF_ERROR: nothing more to do.
    if ((stream.avail_in == 0 && stream.avail_out > 0) || result == Z_BUF_ERROR) return;
  }
}

void ClientMessageInflater::EmitFrame(std::string_view payload, bool fin, std::string& out) {
  out.push_back(static_cast<char>((fin ? FrameHeader::kFin : 0) | opcode_));
  opcode_ = FrameHeader::kContinuation;
  // Masked, as Beast requires of a client's frames, with a zero key: the payload is its own masking.
  if (payload.size() < FrameHeader::kLength16) {
    out.push_back(static_cast<char>(kMaskBit | payload.size()));
  } else {
    out.push_back(static_cast<char>(kMaskBit | FrameHeader::kLength16));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  out.append(4, '\0');
  out.append(payload);
}

void ClientMessageInflater::EndPassedFrame() {
  state_ = header_.header().opcode() == FrameHeader::kClose ? State::kAfterClose : State::kHeader;
}

void ClientMessageInflater::EndFrame(std::string& out) {
  state_ = State::kHeader;
  if (!header_.header().fin()) return;
  if (!over_limit_) {
    Inflate(kMessageTail.data(), kMessageTail.size(), out);
    if (!error_ && !over_limit_) EmitFrame({}, /*fin=*/true, out);
  }
  EndMessage();
}

void ClientMessageInflater::EndMessage() {
  zlib_.reset();
  in_message_ = false;
  over_limit_ = false;
}

}  // namespace armorclaw::eventbus
