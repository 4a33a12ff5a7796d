// Inflates the messages a client compressed with permessage-deflate (RFC 7692), below Beast, so that Beast
// reads plain frames and keeps no compression state of its own: Beast's allocates a deflater and an
// inflater (13 kB) for the whole life of every connection that negotiated the extension; this holds one
// only while a compressed message is being read (our 101 answers client_no_context_takeover, so nothing
// carries over from one message to the next). Pure logic: fed the bytes the ClientFrameGuard cleared, in
// order and in any chunking, it follows the frames and gives the bytes Beast is to read instead.
//
// A compressed message starts with a masked text or binary frame with RSV1, and no other reserved bit,
// set. Its payload, and that of its continuation frames, is unmasked and inflated (with the 00 00 ff ff
// that section 7.2.2 has the receiver append after the final frame) into masked frames with a zero key,
// RSV1 clear, at most kChunkBytes each: the first with the message's opcode, the others continuations, the
// last (possibly empty) final. Every other frame passes unchanged, control frames between the fragments
// of a compressed message included; so does every malformed one (RSV1 on a continuation or a control
// frame, RSV2 or RSV3, an unmasked frame, a data frame inside a compressed message), for Beast to refuse
// as it would without compression.
//
// Inflated bytes count against max_message_bytes, as Beast counts them: once a message passes it, the
// frame that passes it is given to Beast, which closes with 1009 on reading its header, and the rest of
// the message is dropped without being inflated. Data that does not inflate is a verdict,
// kInvalidCompressedData, after which nothing more is read.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_MESSAGE_INFLATER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_MESSAGE_INFLATER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "plugin/net/client_frame_guard.h"
#include "plugin/net/frame_header_reader.h"

namespace armorclaw::eventbus {

class ClientMessageInflater {
 public:
  // The most inflated payload one frame given to Beast carries.
  static constexpr size_t kChunkBytes = 16 * 1024;

  explicit ClientMessageInflater(uint64_t max_message_bytes);
  ~ClientMessageInflater();
  ClientMessageInflater(const ClientMessageInflater&) = delete;
  ClientMessageInflater& operator=(const ClientMessageInflater&) = delete;

  // Takes the next cleared bytes and appends to `out` what Beast is to read in their place; or, when that
  // is `bytes` themselves (no compressed frame among them: nearly always), appends nothing and returns
  // true, so that they need not be copied. Once there is an error, further bytes are ignored.
  bool Feed(std::string_view bytes, std::string& out);

  // Applies to the next message.
  void set_max_message_bytes(uint64_t max) { max_message_bytes_ = max; }
  std::optional<ClientFrameError> error() const { return error_; }
  // Whether a compressed message is being inflated: only then is zlib's state held.
  bool inflating() const { return zlib_ != nullptr; }

 private:
  enum class State { kHeader, kPassedPayload, kCompressedPayload, kAfterClose };
  struct Zlib;

  // Decides what becomes of the frame whose header is complete: true when it is rewritten.
  bool OnHeader();
  // Sets zlib up for a compressed message with `opcode`; false (and an error) when it cannot.
  bool StartMessage(uint8_t opcode);
  // Takes payload bytes of a compressed frame; returns how many.
  size_t TakeCompressed(std::string_view bytes, std::string& out);
  // Inflates `size` bytes (unmasked) of the message, giving Beast the output a chunk at a time.
  void Inflate(const uint8_t* data, size_t size, std::string& out);
  void EmitFrame(std::string_view payload, bool fin, std::string& out);
  // At the end of a compressed frame's payload; at the end of its message, gives Beast the last bytes.
  void EndFrame(std::string& out);
  void EndPassedFrame();
  void EndMessage();

  uint64_t max_message_bytes_;
  State state_ = State::kHeader;
  FrameHeaderReader header_;
  std::string header_bytes_;     // Of the header being read: given to Beast if its frame passes.
  uint64_t payload_left_ = 0;    // Of the current frame.
  uint64_t payload_offset_ = 0;  // Into the current frame's payload: where its mask stands.
  bool in_message_ = false;      // Between the first and the final frame of a compressed message.
  uint8_t opcode_ = 0;           // The compressed message's, until its first frame is given to Beast.
  uint64_t inflated_ = 0;        // Bytes of the message inflated so far.
  bool over_limit_ = false;      // The message passed max_message_bytes: the rest of it is dropped.
  std::unique_ptr<Zlib> zlib_;   // While a compressed message is read.
  std::optional<ClientFrameError> error_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_CLIENT_MESSAGE_INFLATER_H_
