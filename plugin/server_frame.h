// The header of a server's WebSocket frame (RFC 6455 section 5.2), written in front of a payload that
// already sits in its buffer: unmasked, so the same for every receiver of the frame.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SERVER_FRAME_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SERVER_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace armorclaw::eventbus {

// The longest header of an unmasked server frame.
inline constexpr size_t kServerFrameHeaderRoom = 10;

// `frame` holds kServerFrameHeaderRoom bytes of room, then the payload. Writes the header, `first_byte`
// (FIN, RSV bits, opcode) then the payload length in 7, 7+16 or 7+64 bits, right-aligned in the room,
// and returns its size: the frame starts at kServerFrameHeaderRoom minus that.
size_t WriteServerFrameHeader(std::string& frame, uint8_t first_byte);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SERVER_FRAME_H_
