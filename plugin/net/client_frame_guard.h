// Watches the frames a client sends, for the two that Boost.Beast 1.81 answers against RFC 6455 and that
// cannot be fixed inside it: a 64-bit payload length with its most significant bit set (RFC 6455 section
// 5.2 makes it a protocol error, 1002; Beast only compares it with read_message_max and closes with 1009),
// and a close with code 1014 (registered by IANA, "Bad Gateway"; Beast calls it reserved and answers
// 1002). Pure logic: fed every byte the client sends after the upgrade, in order and in any chunking, it
// follows the frame boundaries and says which bytes may go to Beast and which frame, if any, it must not
// see. Everything else, including every other protocol error, is left to Beast.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_FRAME_GUARD_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_FRAME_GUARD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "boost/system/error_code.hpp"
#include "plugin/net/frame_header_reader.h"

namespace armorclaw::eventbus {

// The frame the guard kept from Beast; a read that reaches it completes with this error.
// The verdicts of the layer under Beast (this guard, and the ClientMessageInflater) on what a client sent;
// a read that reaches one completes with it as its error, for the session to answer.
enum class ClientFrameError {
  kProtocolError = 1,      // A 64-bit length with its most significant bit set: to be closed with 1002.
  kCloseWith1014,          // A valid close with code 1014: to be echoed.
  kInvalidCompressedData,  // A compressed message that does not inflate: to be closed with 1007.
};

const boost::system::error_category& ClientFrameCategory();
inline boost::system::error_code make_error_code(ClientFrameError error) {
  return {static_cast<int>(error), ClientFrameCategory()};
}

// The close frame a server sends (unmasked, no reason): 0x88, 2, then `code` big-endian.
std::string ServerCloseFrame(uint16_t code);

class ClientFrameGuard {
 public:
  // Takes the next bytes the client sent. Once there is a verdict, further bytes are ignored.
  void Feed(std::string_view bytes);
  // How many of the bytes fed so far, counted from the first, may be handed to Beast: all but those of
  // the frame still being judged (the first bytes of a 64-bit length, or a close whose code may be 1014)
  // and those of the frame with a verdict.
  uint64_t cleared() const { return judging_ || verdict_ ? frame_start_ : fed_; }
  std::optional<ClientFrameError> verdict() const { return verdict_; }

 private:
  enum class State { kHeader, kPayload, kAfterClose };

  void OnByte(uint8_t byte);
  // Judges the header as far as it is known.
  void OnHeaderByte();
  void StartPayload();
  void EndFrame();
  uint16_t CloseCode() const;

  State state_ = State::kHeader;
  FrameHeaderReader header_;
  uint64_t fed_ = 0;
  uint64_t frame_start_ = 0;  // Offset of the current frame's first byte.
  bool judging_ = false;      // The current frame may still get a verdict: its bytes are held.
  bool close_ = false;        // The current frame is a close.
  bool checkable_close_ = false;  // ... whose code Beast would check.
  uint64_t payload_left_ = 0;
  std::string close_payload_;  // Unmasked, of a close being judged (at most 125 bytes).
  std::optional<ClientFrameError> verdict_;
};

}  // namespace armorclaw::eventbus

template <>
struct boost::system::is_error_code_enum<armorclaw::eventbus::ClientFrameError> : std::true_type {};

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_FRAME_GUARD_H_
