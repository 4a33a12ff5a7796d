#include "plugin/net/client_frame_guard.h"

#include <algorithm>

#include "boost/beast/websocket/detail/utf8_checker.hpp"

namespace armorclaw::eventbus {
namespace {

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
      case ClientFrameError::kInvalidCompressedData:
        return "a compressed message that does not inflate (RFC 7692 section 7.2.2)";
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
  return {static_cast<char>(FrameHeader::kFin | FrameHeader::kClose), 2, static_cast<char>(code >> 8),
          static_cast<char>(code & 0xFF)};
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
    case State::kHeader: {
      const bool complete = header_.Take(byte);
      OnHeaderByte();
      if (complete && !verdict_) StartPayload();
      return;
    }
    case State::kPayload:
      // Only the payload of a close being judged is read byte by byte.
      close_payload_.push_back(static_cast<char>(byte ^ header_.header().mask[close_payload_.size() % 4]));
      if (close_payload_.size() == 2 && CloseCode() != kBadGateway) judging_ = false;  // Beast's to judge.
      if (--payload_left_ == 0) EndFrame();
      return;
    case State::kAfterClose:
      return;
  }
}

void ClientFrameGuard::OnHeaderByte() {
  const FrameHeader& header = header_.header();
  switch (header_.taken()) {
    case 1:
      frame_start_ = fed_;
      close_ = header.opcode() == FrameHeader::kClose;
      // A close whose code Beast would check: final and without reserved bits (Beast refuses the others
      // with 1002 before looking at the code, as it should).
      checkable_close_ = close_ && header.fin() && header.reserved() == 0;
      judging_ = true;  // Until the length byte says whether there is anything to judge.
      return;
    case 2:
      // An unmasked close, or one without a code or too long for a control frame, is refused by Beast.
      // A 64-bit length is held until its first byte is seen.
      judging_ = (checkable_close_ && header.masked && header.length >= 2 && header.length <= kMaxControlPayload) ||
                 header.length_field == FrameHeader::kLength64;
      return;
    case 3:
      if (header.length_field != FrameHeader::kLength64) return;
      if (header.length & 0x80) {
        verdict_ = ClientFrameError::kProtocolError;
        return;
      }
      judging_ = false;
      return;
  }
}

void ClientFrameGuard::StartPayload() {
  payload_left_ = header_.header().length;
  close_payload_.clear();
  state_ = State::kPayload;
  if (payload_left_ == 0) EndFrame();
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
  state_ = close_ ? State::kAfterClose : State::kHeader;
}

uint16_t ClientFrameGuard::CloseCode() const {
  return static_cast<uint16_t>((static_cast<uint8_t>(close_payload_[0]) << 8) | static_cast<uint8_t>(close_payload_[1]));
}

}  // namespace armorclaw::eventbus
