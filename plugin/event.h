// A published Matrix event as every receiver shares it: immutable once the ingest queue has numbered it.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_EVENT_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_EVENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "plugin/compressed_frames.h"
#include "plugin/server_frame.h"

namespace armorclaw::eventbus {

struct Event {
  // What filters look at; empty when the event has no such field.
  std::string type;
  std::string room_id;
  std::string sender;
  uint64_t sequence = 0;
  // When publish accepted it, for the publish-to-socket latency histogram (sampled events only).
  std::chrono::steady_clock::time_point accepted;
  // The same moment in Unix nanoseconds (data.received, the durable log's timestamp).
  int64_t received_ns = 0;
  // Where the Matrix event's JSON text (as clients receive it, scrubbed) lies in `frame`: the durable
  // log's payload. 32 bits: max_event_bytes is at most 16 MiB.
  uint32_t payload_offset = 0;
  uint32_t payload_size = 0;
  // The "event" message as it goes on the wire, built once for every receiver: kHeaderRoom bytes kept
  // for the WebSocket frame header, which SealEvent writes right-aligned, then the JSON text.
  std::string frame;
  size_t header_size = 0;

  static constexpr size_t kHeaderRoom = kServerFrameHeaderRoom;

  // The JSON text of the message.
  std::string_view message() const {
    return std::string_view(frame).substr(kHeaderRoom);
  }
  std::string_view payload() const { return std::string_view(frame).substr(payload_offset, payload_size); }
  // A complete unmasked, unfragmented text frame: identical for every plain-TCP receiver.
  std::string_view wire() const {
    return std::string_view(frame).substr(kHeaderRoom - header_size);
  }

  // permessage-deflate: the event's compressed frames, one per negotiated window size, each built on first
  // need and then shared by every receiver of that size. Touched by the I/O thread only (the one thread
  // that sends events), which is why it may change in an Event every other thread sees as const.
  mutable CompressedFrames compressed_frames;
};

using EventPtr = std::shared_ptr<const Event>;

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_EVENT_H_
