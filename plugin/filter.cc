#include "plugin/filter.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "boost/json/value.hpp"

namespace armorclaw::eventbus {
namespace {

absl::Status FieldError(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("filter field \"", std::string(field), "\" ", std::string(why)));
}

// A Matrix identifier of the given sigil ('!' rooms, '@' users), e.g. "!room:example.org".
absl::StatusOr<std::string> ParseIdentifier(std::string_view field, const boost::json::value& value,
                                            char sigil) {
  if (!value.is_string()) return FieldError(field, "must be a string");
  const boost::json::string& text = value.get_string();
  if (text.empty()) return FieldError(field, "must not be empty");
  if (text.size() > kMaxFilterStringBytes) {
    return FieldError(field, absl::StrCat("must be at most ", kMaxFilterStringBytes, " bytes"));
  }
  if (text.front() != sigil) return FieldError(field, absl::StrCat("must start with '", std::string(1, sigil), "'"));
  return std::string(text);
}

absl::StatusOr<std::vector<std::string>> ParseEventTypes(const boost::json::value& value) {
  constexpr std::string_view kField = "event_types";
  const boost::json::array* array = value.if_array();
  if (array == nullptr) return FieldError(kField, "must be an array of strings");
  if (array->empty()) return FieldError(kField, "must list at least one event type (leave it out for all)");
  if (array->size() > kMaxFilterEventTypes) {
    return FieldError(kField, absl::StrCat("must list at most ", kMaxFilterEventTypes, " event types"));
  }
  std::vector<std::string> types;
  types.reserve(array->size());
  for (const boost::json::value& item : *array) {
    if (!item.is_string()) return FieldError(kField, "must contain only strings");
    const boost::json::string& type = item.get_string();
    if (type.empty()) return FieldError(kField, "must not contain an empty string");
    if (type.size() > kMaxFilterStringBytes) {
      return FieldError(kField, absl::StrCat("entries must be at most ", kMaxFilterStringBytes, " bytes"));
    }
    types.emplace_back(type);
  }
  std::sort(types.begin(), types.end());
  types.erase(std::unique(types.begin(), types.end()), types.end());
  return types;
}

}  // namespace

bool Filter::Matches(const Event& event) const {
  if (room_id && *room_id != event.room_id) return false;
  if (allowed_rooms && !std::binary_search(allowed_rooms->begin(), allowed_rooms->end(), event.room_id)) {
    return false;
  }
  if (sender_id && *sender_id != event.sender) return false;
  if (!event_types.empty() && !std::binary_search(event_types.begin(), event_types.end(), event.type)) {
    return false;
  }
  return true;
}

absl::StatusOr<Filter> ParseFilter(const boost::json::value* filter) {
  Filter parsed;
  if (filter == nullptr) return parsed;
  const boost::json::object* object = filter->if_object();
  if (object == nullptr) return absl::InvalidArgumentError("filter must be a JSON object");
  for (const auto& [key, value] : *object) {
    if (key == "room_id") {
      auto room = ParseIdentifier(key, value, '!');
      if (!room.ok()) return room.status();
      parsed.room_id = *std::move(room);
    } else if (key == "sender_id") {
      auto sender = ParseIdentifier(key, value, '@');
      if (!sender.ok()) return sender.status();
      parsed.sender_id = *std::move(sender);
    } else if (key == "event_types") {
      auto types = ParseEventTypes(value);
      if (!types.ok()) return types.status();
      parsed.event_types = *std::move(types);
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown filter field \"", std::string(key), "\" (known: room_id, sender_id, event_types)"));
    }
  }
  return parsed;
}

}  // namespace armorclaw::eventbus
