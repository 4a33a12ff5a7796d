#include "plugin/history/redaction.h"

#include <array>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "plugin/event_ingest.h"

namespace armorclaw::eventbus {
namespace {

constexpr std::string_view kRedactionType = "m.room.redaction";

// Room version 11: the top-level keys a redaction keeps.
constexpr std::array<std::string_view, 12> kKeptKeys = {
    "event_id", "type",       "room_id",     "sender",      "state_key",        "content",
    "hashes",   "signatures", "depth",       "prev_events", "auth_events",      "origin_server_ts"};

// Of `content`, the keys a redaction keeps for an event of `type`; the whole content for m.room.create.
boost::json::object RedactedContent(std::string_view type, const boost::json::object& content) {
  if (type == "m.room.create") return content;
  std::vector<std::string_view> kept;
  if (type == "m.room.member") {
    kept = {"membership", "join_authorised_via_users_server"};
  } else if (type == "m.room.join_rules") {
    kept = {"join_rule", "allow"};
  } else if (type == "m.room.power_levels") {
    kept = {"ban", "events", "events_default", "invite", "kick", "redact", "state_default", "users", "users_default"};
  } else if (type == "m.room.history_visibility") {
    kept = {"history_visibility"};
  } else if (type == kRedactionType) {
    kept = {"redacts"};
  }
  boost::json::object redacted;
  for (std::string_view key : kept) {
    if (const boost::json::value* value = content.if_contains(key)) redacted[key] = *value;
  }
  // v11: of an invite's third_party_invite, only the signed part, which the invitee's server checks.
  if (type == "m.room.member") {
    const boost::json::value* invite = content.if_contains("third_party_invite");
    const boost::json::value* signed_part =
        invite != nullptr && invite->is_object() ? invite->get_object().if_contains("signed") : nullptr;
    if (signed_part != nullptr) redacted["third_party_invite"] = boost::json::object{{"signed", *signed_part}};
  }
  return redacted;
}

// The Matrix event inside an "event" message ({"type":"event","data":{"event":{...},...}}), or null when the
// message is not one (it always is: the bus built it).
boost::json::object* EventOf(boost::json::value& message) {
  boost::json::object* top = message.if_object();
  boost::json::value* data = top == nullptr ? nullptr : top->if_contains("data");
  boost::json::value* event = data == nullptr || !data->is_object() ? nullptr : data->get_object().if_contains("event");
  return event == nullptr ? nullptr : event->if_object();
}

boost::json::value ParseMessage(const Event& event) {
  boost::system::error_code ignored;
  return boost::json::parse(event.message(), ignored);
}

}  // namespace

boost::json::object RedactedEvent(const boost::json::object& event, const boost::json::object& redaction) {
  boost::json::object redacted;
  for (std::string_view key : kKeptKeys) {
    if (const boost::json::value* value = event.if_contains(key)) redacted[key] = *value;
  }
  const boost::json::value* type = event.if_contains("type");
  const boost::json::value* content = event.if_contains("content");
  if (content != nullptr && content->is_object()) {
    redacted["content"] = RedactedContent(type != nullptr && type->is_string() ? std::string_view(type->get_string())
                                                                               : std::string_view(),
                                          content->get_object());
  }
  redacted["unsigned"] = boost::json::object{{"redacted_because", redaction}};
  return redacted;
}

void ReplayRedactions::Note(const EventPtr& event) {
  if (event->type != kRedactionType) return;
  boost::json::value message = ParseMessage(*event);
  const boost::json::object* redaction = EventOf(message);
  if (redaction == nullptr) return;
  const boost::json::value* target = nullptr;
  if (const boost::json::value* content = redaction->if_contains("content"); content != nullptr && content->is_object()) {
    target = content->get_object().if_contains("redacts");
  }
  if (target == nullptr || !target->is_string()) target = redaction->if_contains("redacts");
  if (target == nullptr || !target->is_string() || target->get_string().empty()) return;
  redaction_by_target_.emplace(std::string(target->get_string()), event);
}

void ReplayRedactions::Apply(std::span<EventPtr> replay) const {
  if (redaction_by_target_.empty()) return;
  for (EventPtr& event : replay) {
    boost::json::value message = ParseMessage(*event);
    boost::json::object* original = EventOf(message);
    if (original == nullptr) continue;
    const boost::json::value* id = original->if_contains("event_id");
    if (id == nullptr || !id->is_string()) continue;
    const auto found = redaction_by_target_.find(std::string(id->get_string()));
    // A redaction acts within its room only: another room's cannot hide this event.
    if (found == redaction_by_target_.end() || found->second->room_id != event->room_id) continue;
    boost::json::value redaction_message = ParseMessage(*found->second);
    const boost::json::object* redaction = EventOf(redaction_message);
    if (redaction == nullptr) continue;
    *original = RedactedEvent(*original, *redaction);
    auto copy = std::make_shared<Event>();
    copy->type = event->type;
    copy->room_id = event->room_id;
    copy->sender = event->sender;
    copy->sequence = event->sequence;
    copy->accepted = event->accepted;
    copy->frame.assign(Event::kHeaderRoom, '\0');
    copy->frame.append(boost::json::serialize(message));
    WriteFrameHeader(*copy);
    event = std::move(copy);
  }
}

}  // namespace armorclaw::eventbus
