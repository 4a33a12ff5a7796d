#include "plugin/net/frame_header_reader.h"

namespace armorclaw::eventbus {
namespace {

constexpr uint8_t kMaskBit = 0x80;
constexpr uint8_t kLengthBits = 0x7F;

}  // namespace

bool FrameHeaderReader::Take(uint8_t byte) {
  if (complete_) {
    header_ = {};
    taken_ = 0;
    complete_ = false;
  }
  const size_t extended = ExtendedLengthBytes();
  if (taken_ == 0) {
    header_.first_byte = byte;
  } else if (taken_ == 1) {
    header_.masked = (byte & kMaskBit) != 0;
    header_.length_field = byte & kLengthBits;
    if (header_.length_field < FrameHeader::kLength16) header_.length = header_.length_field;
  } else if (taken_ < 2 + extended) {
    header_.length = (header_.length << 8) | byte;
  } else {
    header_.mask[taken_ - 2 - extended] = byte;
  }
  ++taken_;
  complete_ = taken_ >= 2 && taken_ == Size();
  return complete_;
}

size_t FrameHeaderReader::Size() const {
  if (taken_ < 2) return 0;
  return 2 + ExtendedLengthBytes() + (header_.masked ? 4 : 0);
}

size_t FrameHeaderReader::ExtendedLengthBytes() const {
  if (header_.length_field == FrameHeader::kLength16) return 2;
  if (header_.length_field == FrameHeader::kLength64) return 8;
  return 0;
}

}  // namespace armorclaw::eventbus
