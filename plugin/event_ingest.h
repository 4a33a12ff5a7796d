// Ingest of one published Matrix event, on the publisher's thread: validate it, pull out the fields filters
// need, and serialize the "event" message once. The sequence number is the only part left to write; the
// ingest queue writes it (SealEvent) when it takes the event, so numbering follows queue order.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_EVENT_INGEST_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_EVENT_INGEST_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/event.h"
#include "plugin/history/durable_log.h"
#include "plugin/security/scrubber.h"

namespace armorclaw::eventbus {

// Fails with InvalidArgument saying why when `json` is not a Matrix event: not a JSON object, larger than
// `max_bytes`, nested too deeply, or without a non-empty string "type"; "room_id", "sender", "event_id"
// and "state_key" must be strings when present. `received` becomes data.received. With a `scrubber`,
// personal data in the event's content is replaced before anyone sees it.
absl::StatusOr<std::shared_ptr<Event>> PrepareEvent(std::string_view json, size_t max_bytes,
                                                    absl::Time received, const Scrubber* scrubber);

// Rebuilds an event the durable log holds, for a replay from disk: its frame is byte for byte the one
// live clients received (the same event text, "received" and sequence). Fails like PrepareEvent on a
// payload that is not a Matrix event.
absl::StatusOr<std::shared_ptr<Event>> EventFromLogRecord(const LogRecord& record);

// Numbers a prepared event and completes its message and WebSocket frame. Called once per event.
void SealEvent(Event& event, uint64_t sequence);
// Writes the WebSocket frame header of event.frame, whose message (after kHeaderRoom bytes) is complete.
void WriteFrameHeader(Event& event);

// RFC 3339 UTC with milliseconds, e.g. "2026-02-08T12:34:56.789Z".
std::string FormatReceivedTime(absl::Time time);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_EVENT_INGEST_H_
