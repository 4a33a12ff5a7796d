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

// A Matrix room id ('!' sigil, e.g. "!room:example.org") when `sigil` is set, else any sender. Senders
// are not required to be Matrix user ids: the bridge's own components publish as "orchestrator".
absl::StatusOr<std::string> ParseIdentifier(std::string_view field, const boost::json::value& value,
                                            std::optional<char> sigil) {
  if (!value.is_string()) return FieldError(field, "must be a string");
  const boost::json::string& text = value.get_string();
  if (text.empty()) return FieldError(field, "must not be empty");
  if (text.size() > kMaxFilterStringBytes) {
    return FieldError(field, absl::StrCat("must be at most ", kMaxFilterStringBytes, " bytes"));
  }
  if (sigil && text.front() != *sigil) {
    return FieldError(field, absl::StrCat("must start with '", std::string(1, *sigil), "'"));
  }
  return std::string(text);
}

// How one list field is checked: what its entries are called in messages, the sigil they need, and
// whether [] is accepted (Matrix's lists: it allows nothing) or refused (the guide's event_types, where
// 1.0.0 clients were told to leave it out instead).
struct ListRules {
  std::string_view noun;  // "rooms", "senders", "event types"
  std::optional<char> sigil;
  bool empty_allowed;
};

using Entries = std::vector<std::string>;

absl::StatusOr<Entries> ParseList(std::string_view field, const boost::json::value& value,
                                                   const ListRules& rules) {
  const boost::json::array* array = value.if_array();
  if (array == nullptr) return FieldError(field, "must be an array of strings");
  if (array->empty() && !rules.empty_allowed) {  // Only event_types.
    return FieldError(field, "must list at least one event type (leave it out for all)");
  }
  if (array->size() > kMaxFilterListEntries) {
    return FieldError(field, absl::StrCat("must list at most ", kMaxFilterListEntries, " ", std::string(rules.noun)));
  }
  Entries entries;
  entries.reserve(array->size());
  for (const boost::json::value& item : *array) {
    if (!item.is_string()) return FieldError(field, "must contain only strings");
    const boost::json::string& entry = item.get_string();
    if (entry.empty()) return FieldError(field, "must not contain an empty string");
    if (entry.size() > kMaxFilterStringBytes) {
      return FieldError(field, absl::StrCat("entries must be at most ", kMaxFilterStringBytes, " bytes"));
    }
    if (rules.sigil && entry.front() != *rules.sigil) {
      return FieldError(field, absl::StrCat("entries must start with '", std::string(1, *rules.sigil), "'"));
    }
    entries.emplace_back(entry);
  }
  std::sort(entries.begin(), entries.end());
  entries.erase(std::unique(entries.begin(), entries.end()), entries.end());
  return entries;
}

constexpr ListRules kRoomList{"rooms", '!', true};
constexpr ListRules kSenderList{"senders", std::nullopt, true};
constexpr ListRules kTypeList{"event types", std::nullopt, true};
constexpr ListRules kEventTypes{"event types", std::nullopt, false};

bool Contains(const std::vector<std::string>& sorted, const std::string& value) {
  return std::binary_search(sorted.begin(), sorted.end(), value);
}

// Parses list field `field` into `out` as a `Value` (the entries, or TypePatterns of them).
template <typename Value, typename Out>
absl::Status ParseListInto(std::string_view field, const boost::json::value& value, const ListRules& rules,
                           Out& out) {
  auto entries = ParseList(field, value, rules);
  if (!entries.ok()) return entries.status();
  out = Value(*std::move(entries));
  return absl::OkStatus();
}

}  // namespace

bool MatchesTypePattern(std::string_view pattern, std::string_view type) {
  const size_t first_star = pattern.find('*');
  if (first_star == std::string_view::npos) return pattern == type;
  const size_t last_star = pattern.rfind('*');
  const std::string_view prefix = pattern.substr(0, first_star);
  const std::string_view suffix = pattern.substr(last_star + 1);
  if (type.size() < prefix.size() + suffix.size() || type.substr(0, prefix.size()) != prefix ||
      type.substr(type.size() - suffix.size()) != suffix) {
    return false;
  }
  // Between the first and the last '*', each literal segment is placed at its leftmost occurrence: with
  // '*' the only wildcard, an earlier placement leaves more room for the rest and so never loses a match,
  // and the whole costs one scan of the type per segment (no backtracking on hostile input).
  std::string_view rest = type.substr(prefix.size(), type.size() - prefix.size() - suffix.size());
  std::string_view middle = pattern.substr(first_star + 1, last_star - first_star);
  while (!middle.empty()) {
    const size_t star = middle.find('*');
    const std::string_view segment = middle.substr(0, star);
    middle.remove_prefix(star == std::string_view::npos ? middle.size() : star + 1);
    if (segment.empty()) continue;
    const size_t at = rest.find(segment);
    if (at == std::string_view::npos) return false;
    rest.remove_prefix(at + segment.size());
  }
  return true;
}

TypePatterns::TypePatterns(std::vector<std::string> patterns) {
  for (std::string& pattern : patterns) {
    (pattern.find('*') == std::string::npos ? exact_ : wildcards_).push_back(std::move(pattern));
  }
  std::sort(exact_.begin(), exact_.end());
  exact_.erase(std::unique(exact_.begin(), exact_.end()), exact_.end());
}

bool TypePatterns::Matches(std::string_view type) const {
  if (std::binary_search(exact_.begin(), exact_.end(), type)) return true;
  return std::any_of(wildcards_.begin(), wildcards_.end(),
                     [&](const std::string& pattern) { return MatchesTypePattern(pattern, type); });
}

bool Filter::Matches(const Event& event) const {
  if (room_id && *room_id != event.room_id) return false;
  if (rooms && !Contains(*rooms, event.room_id)) return false;
  if (Contains(not_rooms, event.room_id)) return false;
  if (allowed_rooms && !Contains(*allowed_rooms, event.room_id)) return false;
  if (sender_id && *sender_id != event.sender) return false;
  if (senders && !Contains(*senders, event.sender)) return false;
  if (Contains(not_senders, event.sender)) return false;
  if (event_types && !event_types->Matches(event.type)) return false;
  if (types && !types->Matches(event.type)) return false;
  return !not_types.Matches(event.type);
}

absl::StatusOr<Filter> ParseFilter(const boost::json::value* filter) {
  Filter parsed;
  if (filter == nullptr) return parsed;
  const boost::json::object* object = filter->if_object();
  if (object == nullptr) return absl::InvalidArgumentError("filter must be a JSON object");
  for (const auto& [key, value] : *object) {
    absl::Status status;
    if (key == "room_id") {
      auto room = ParseIdentifier(key, value, '!');
      if (!room.ok()) return room.status();
      parsed.room_id = *std::move(room);
    } else if (key == "sender_id") {
      auto sender = ParseIdentifier(key, value, std::nullopt);
      if (!sender.ok()) return sender.status();
      parsed.sender_id = *std::move(sender);
    } else if (key == "event_types") {
      status = ParseListInto<TypePatterns>(key, value, kEventTypes, parsed.event_types);
    } else if (key == "rooms") {
      status = ParseListInto<Entries>(key, value, kRoomList, parsed.rooms);
    } else if (key == "not_rooms") {
      status = ParseListInto<Entries>(key, value, kRoomList, parsed.not_rooms);
    } else if (key == "senders") {
      status = ParseListInto<Entries>(key, value, kSenderList, parsed.senders);
    } else if (key == "not_senders") {
      status = ParseListInto<Entries>(key, value, kSenderList, parsed.not_senders);
    } else if (key == "types") {
      status = ParseListInto<TypePatterns>(key, value, kTypeList, parsed.types);
    } else if (key == "not_types") {
      status = ParseListInto<TypePatterns>(key, value, kTypeList, parsed.not_types);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown filter field \"", std::string(key),
                       "\" (known: room_id, sender_id, event_types, rooms, not_rooms, senders, not_senders, "
                       "types, not_types)"));
    }
    if (!status.ok()) return status;
  }
  return parsed;
}

}  // namespace armorclaw::eventbus
