#include "plugin/net/client_frame_guard.h"

#include <algorithm>

#include "boost/beast/websocket/detail/utf8_checker.hpp"

namespace armorclaw::eventbus {
namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kReservedBits = 0x70;
constexpr uint8_t kOpcode = 0x0F;
constexpr uint8_t kCloseOpcode = 0x8;
constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLength = 0x7F;
constexpr uint8_t kLength16 = 126;
constexpr uint8_t kLength64 = 127;
constexpr uint8_t kMaxControlPayload = 125;
constexpr uint16_t kBadGateway = 1014;

class ClientFrameCategoryImpl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "armorclaw.client_frame"; }
  std::string message(int value) const override {
    switch (static_cast<ClientFrameError>(value)) {
      case ClientFrameError::kProtocolError:
        return "a 64-bit frame length with its most significant bit set (RFC 6455 section 5.2)";
      case ClientFrameError::kCloseWith1014:
        return "the client closed with 1014 (bad gateway)";
    }
    return "unknown client frame error";
  }
};

}  // namespace

const boost::system::error_category& ClientFrameCategory() {
  static const ClientFrameCategoryImpl category;
  return category;
}

std::string ServerCloseFrame(uint16_t code) {
  return {static_cast<char>(kFin | kCloseOpcode), 2, static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)};
}

void ClientFrameGuard::Feed(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size() && !verdict_) {
    if (state_ == State::kAfterClose) {
      // Beast reads no frame after a close: nothing left to judge.
      fed_ += bytes.size() - i;
      return;
    }
    if (state_ == State::kPayload && !judging_) {
      // A payload nobody needs to look at (almost every byte a client sends) is passed over whole.
      const size_t skipped = static_cast<size_t>(std::min<uint64_t>(payload_left_, bytes.size() - i));
      i += skipped;
      fed_ += skipped;
      payload_left_ -= skipped;
      if (payload_left_ == 0) EndFrame();
      continue;
    }
    OnByte(static_cast<uint8_t>(bytes[i]));
    ++i;
    ++fed_;
  }
}

void ClientFrameGuard::OnByte(uint8_t byte) {
  switch (state_) {
    case State::kFirstByte:
      frame_start_ = fed_;
      close_ = (byte & kOpcode) == kCloseOpcode;
      // A close whose code Beast would check: final and without reserved bits (Beast refuses the others
      // with 1002 before looking at the code, as it should).
      checkable_close_ = close_ && (byte & (kFin | kReservedBits)) == kFin;
      judging_ = true;  // Until the length byte says whether there is anything to judge.
      state_ = State::kLengthByte;
      return;
    case State::kLengthByte: {
      masked_ = (byte & kMaskBit) != 0;
      const uint8_t length = byte & kLength;
      // An unmasked close, or one without a code or too long for a control frame, is refused by Beast.
      judging_ = checkable_close_ && masked_ && length >= 2 && length <= kMaxControlPayload;
      length_ = 0;
      if (length == kLength16 || length == kLength64) {
        length_bytes_left_ = length == kLength16 ? 2 : 8;
        first_length_byte_ = length == kLength64;
        judging_ = judging_ || first_length_byte_;
        state_ = State::kExtendedLength;
        return;
      }
      length_ = length;
      return EndLength();
    }
    case State::kExtendedLength:
      if (first_length_byte_) {
        first_length_byte_ = false;
        if (byte & 0x80) {
          verdict_ = ClientFrameError::kProtocolError;
          return;
        }
        judging_ = false;
      }
      length_ = (length_ << 8) | byte;
      if (--length_bytes_left_ == 0) EndLength();
      return;
    case State::kMaskKey:
      mask_[mask_bytes_++] = byte;
      if (mask_bytes_ == 4) StartPayload();
      return;
    case State::kPayload:
      // Only the payload of a close being judged is read byte by byte.
      close_payload_.push_back(static_cast<char>(byte ^ mask_[close_payload_.size() % 4]));
      if (close_payload_.size() == 2 && CloseCode() != kBadGateway) judging_ = false;  // Beast's to judge.
      if (--payload_left_ == 0) EndFrame();
      return;
    case State::kAfterClose:
      return;
  }
}

void ClientFrameGuard::EndLength() {
  if (!masked_) return StartPayload();
  mask_bytes_ = 0;
  state_ = State::kMaskKey;
}

void ClientFrameGuard::StartPayload() {
  payload_left_ = length_;
  close_payload_.clear();
  if (payload_left_ == 0) return EndFrame();
  state_ = State::kPayload;
}

void ClientFrameGuard::EndFrame() {
  if (judging_) {
    // A whole close with code 1014. Its reason must be UTF-8 (RFC 6455 section 5.5.1), checked as Beast
    // checks it; with an invalid one the close is Beast's to refuse with 1002.
    const std::string_view reason = std::string_view(close_payload_).substr(2);
    if (boost::beast::websocket::detail::check_utf8(reason.data(), reason.size())) {
      verdict_ = ClientFrameError::kCloseWith1014;
    }
    judging_ = false;
  }
  state_ = close_ ? State::kAfterClose : State::kFirstByte;
}

uint16_t ClientFrameGuard::CloseCode() const {
  return static_cast<uint16_t>((static_cast<uint8_t>(close_payload_[0]) << 8) | static_cast<uint8_t>(close_payload_[1]));
}

}  // namespace armorclaw::eventbus
