#include "plugin/server_frame.h"

#include <algorithm>

namespace armorclaw::eventbus {

size_t WriteServerFrameHeader(std::string& frame, uint8_t first_byte) {
  const uint64_t length = frame.size() - kServerFrameHeaderRoom;
  unsigned char header[kServerFrameHeaderRoom];
  size_t size = 0;
  header[size++] = first_byte;
  if (length < 126) {
    header[size++] = static_cast<unsigned char>(length);
  } else if (length <= 0xFFFF) {
    header[size++] = 126;
    for (int shift = 8; shift >= 0; shift -= 8) header[size++] = static_cast<unsigned char>(length >> shift);
  } else {
    header[size++] = 127;
    for (int shift = 56; shift >= 0; shift -= 8) header[size++] = static_cast<unsigned char>(length >> shift);
  }
  std::copy(header, header + size, frame.begin() + static_cast<std::ptrdiff_t>(kServerFrameHeaderRoom - size));
  return size;
}

}  // namespace armorclaw::eventbus
