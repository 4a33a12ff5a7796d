#include "plugin/event_ingest.h"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/json/monotonic_resource.hpp"
#include "boost/json/parser.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "plugin/server_frame.h"

namespace armorclaw::eventbus {
namespace {

constexpr std::string_view kFramePrefix = R"({"type":"event","data":{"event":)";
// Room for the sequence digits and the closing braces, so sealing never reallocates.
constexpr size_t kSealReserve = 24;

// A number beyond the range of a double parses as infinity, which JSON cannot spell.
bool HasNonFiniteNumber(const boost::json::value& value) {
  switch (value.kind()) {
    case boost::json::kind::double_:
      return !std::isfinite(value.get_double());
    case boost::json::kind::array:
      return std::any_of(value.get_array().begin(), value.get_array().end(), HasNonFiniteNumber);
    case boost::json::kind::object:
      return std::any_of(value.get_object().begin(), value.get_object().end(),
                         [](const auto& member) { return HasNonFiniteNumber(member.value()); });
    default:
      return false;
  }
}

}  // namespace

std::string FormatReceivedTime(absl::Time time) {
  // Formatting a time costs more than the rest of ingest; publishers reuse the seconds part for the whole
  // second, each thread its own copy.
  thread_local int64_t cached_second = std::numeric_limits<int64_t>::min();
  thread_local std::string cached_prefix;
  const int64_t millis = absl::ToUnixMillis(time);
  const int64_t second = millis >= 0 ? millis / 1000 : (millis - 999) / 1000;
  if (second != cached_second) {
    cached_prefix = absl::FormatTime("%Y-%m-%dT%H:%M:%S.", absl::FromUnixSeconds(second), absl::UTCTimeZone());
    cached_second = second;
  }
  const int64_t fraction = millis - second * 1000;
  std::string text = cached_prefix;
  text.push_back(static_cast<char>('0' + fraction / 100));
  text.push_back(static_cast<char>('0' + fraction / 10 % 10));
  text.push_back(static_cast<char>('0' + fraction % 10));
  text.push_back('Z');
  return text;
}

absl::StatusOr<std::shared_ptr<Event>> PrepareEvent(std::string_view json, size_t max_bytes,
                                                    absl::Time received, const Scrubber* scrubber) {
  if (json.size() > max_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("event is ", json.size(), " bytes, over max_event_bytes (", max_bytes, ")"));
  }
  boost::json::parse_options options;
  options.max_depth = 64;
  // The parsed tree lives only for this call: allocate it from the stack, falling back to the heap.
  unsigned char arena[8192];
  boost::json::monotonic_resource resource(arena, sizeof arena);
  boost::json::parser parser(boost::json::storage_ptr(), options);
  parser.reset(&resource);
  boost::system::error_code error;
  parser.write(json.data(), json.size(), error);
  if (error) return absl::InvalidArgumentError(absl::StrCat("event is not valid JSON: ", error.message()));
  boost::json::value value = parser.release();
  boost::json::object* object = value.if_object();
  if (object == nullptr) return absl::InvalidArgumentError("event is not a JSON object");
  if (HasNonFiniteNumber(value)) return absl::InvalidArgumentError("event has a number outside the range of a double");

  auto event = std::make_shared<Event>();
  const auto* type = object->if_contains("type");
  if (type == nullptr || !type->is_string() || type->get_string().empty()) {
    return absl::InvalidArgumentError("event has no \"type\" string");
  }
  event->type = type->get_string();
  static constexpr std::array<std::string_view, 4> kStringFields = {"room_id", "sender", "event_id",
                                                                    "state_key"};
  for (std::string_view field : kStringFields) {
    const auto* found = object->if_contains(field);
    if (found != nullptr && !found->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat("event field \"", std::string(field), "\" is not a string"));
    }
  }
  if (const auto* room = object->if_contains("room_id")) event->room_id = room->get_string();
  if (const auto* sender = object->if_contains("sender")) event->sender = sender->get_string();

  std::string& frame = event->frame;
  frame.reserve(Event::kHeaderRoom + kFramePrefix.size() + json.size() + 64 + kSealReserve);
  frame.append(Event::kHeaderRoom, '\0');
  frame.append(kFramePrefix);
  event->payload_offset = static_cast<uint32_t>(frame.size());
  if (scrubber != nullptr) {
    // Re-serialized even when nothing was replaced: the published text may repeat a member, and only the
    // last of the repeats (the one parsed, and scrubbed) may reach clients.
    scrubber->ScrubEvent(*object);
    frame.append(boost::json::serialize(value));
  } else {
    // Validated as one JSON object, it goes out as published: numbers keep their exact form (a
    // re-serialization would turn 1.50 into 1.5E0).
    frame.append(json);
  }
  event->payload_size = static_cast<uint32_t>(frame.size() - event->payload_offset);
  event->received_ns = absl::ToUnixNanos(received);
  absl::StrAppend(&frame, R"(,"received":")", FormatReceivedTime(received), R"(","sequence":)");
  return event;
}

absl::StatusOr<std::shared_ptr<Event>> EventFromLogRecord(const LogRecord& record) {
  // The payload is the text the frame held, already scrubbed: taken verbatim, it makes the same frame.
  auto event = PrepareEvent(record.payload, std::numeric_limits<size_t>::max(),
                            absl::FromUnixNanos(record.timestamp_ns), nullptr);
  if (!event.ok()) return event.status();
  SealEvent(**event, record.offset);
  return event;
}

void SealEvent(Event& event, uint64_t sequence) {
  event.sequence = sequence;
  absl::StrAppend(&event.frame, sequence, "}}");
  WriteFrameHeader(event);
}

void WriteFrameHeader(Event& event) {
  // FIN and the text opcode.
  event.header_size = WriteServerFrameHeader(event.frame, 0x81);
}

}  // namespace armorclaw::eventbus
