// Client frames made by hand, as RFC 6455 section 5.2 lays them out: for the unit tests of the layer that
// follows a client's frames below Beast (ClientFrameGuard, ClientMessageInflater).
#ifndef ARMORCLAW_EVENTBUS_TESTS_SUPPORT_CLIENT_FRAMES_H_
#define ARMORCLAW_EVENTBUS_TESTS_SUPPORT_CLIENT_FRAMES_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace armorclaw::eventbus::testing {

enum class LengthForm { kShortest, k16, k64 };

inline constexpr char kClientMask[] = {'\x37', '\xfa', '\x21', '\x3d'};

// A client frame with `first_byte` (FIN, RSV1-3, opcode), masked unless said otherwise, its length in the
// shortest form or the one asked for.
inline std::string HandMadeFrame(uint8_t first_byte, std::string_view payload, LengthForm form = LengthForm::kShortest,
                                 bool masked = true) {
  std::string frame(1, static_cast<char>(first_byte));
  const char mask_bit = masked ? '\x80' : '\0';
  const uint64_t size = payload.size();
  if (form == LengthForm::kShortest && size <= 125) {
    frame += static_cast<char>(mask_bit | static_cast<char>(size));
  } else if (form != LengthForm::k64 && size <= 0xFFFF) {
    frame += static_cast<char>(mask_bit | 126);
    for (int shift = 8; shift >= 0; shift -= 8) frame += static_cast<char>(size >> shift);
  } else {
    frame += static_cast<char>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) frame += static_cast<char>(size >> shift);
  }
  if (!masked) return frame + std::string(payload);
  frame.append(kClientMask, 4);
  for (size_t i = 0; i < payload.size(); ++i) frame += static_cast<char>(payload[i] ^ kClientMask[i % 4]);
  return frame;
}

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_SUPPORT_CLIENT_FRAMES_H_
