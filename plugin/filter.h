// A subscription's filter: which events it wants. It speaks two vocabularies: the guide's fields
// (room_id, sender_id, event_types) and the lists of Matrix's RoomEventFilter (rooms, not_rooms,
// senders, not_senders, types, not_types). Absent fields match everything; present ones combine with
// AND. Parsing is strict, because a filter that is read loosely delivers more than was asked for.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_FILTER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_FILTER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/fwd.hpp"
#include "plugin/event.h"

namespace armorclaw::eventbus {

// Whether event type `type` matches `pattern`, in which each '*' stands for any run of characters
// (possibly none), as Matrix's filter types; every other character stands for itself.
bool MatchesTypePattern(std::string_view pattern, std::string_view type);

// A list of event-type patterns, split so that the common case (no wildcard) is a binary search.
class TypePatterns {
 public:
  TypePatterns() = default;  // Matches nothing.
  explicit TypePatterns(std::vector<std::string> patterns);

  bool Matches(std::string_view type) const;
  // The patterns without '*', sorted and unique.
  const std::vector<std::string>& exact() const { return exact_; }
  bool has_wildcards() const { return !wildcards_.empty(); }

 private:
  std::vector<std::string> exact_;
  std::vector<std::string> wildcards_;
};

struct Filter {
  // The guide's fields.
  std::optional<std::string> room_id;
  std::optional<std::string> sender_id;
  std::optional<TypePatterns> event_types;  // Never empty when present.
  // Matrix's lists, sorted and unique. An absent positive list allows every value, an empty one none; a
  // not_* list excludes its values whatever the other fields allow (absent and empty exclude nothing).
  std::optional<std::vector<std::string>> rooms;
  std::vector<std::string> not_rooms;
  std::optional<std::vector<std::string>> senders;
  std::vector<std::string> not_senders;
  std::optional<TypePatterns> types;
  TypePatterns not_types;
  // Set when the client's token is limited to some rooms and the filter names none: only these rooms'
  // events match (sorted). Shared with the client's identity, not copied.
  std::shared_ptr<const std::vector<std::string>> allowed_rooms;

  // Whether the filter itself limits the rooms it receives (room_id or rooms): then it names every room
  // it can ever match. not_rooms alone does not count: it leaves every other room open.
  bool NamesRooms() const { return room_id.has_value() || rooms.has_value(); }
  bool Matches(const Event& event) const;
};

// Longest accepted room id, sender id or event type (Matrix identifiers are at most 255 bytes), and the
// most entries of any list.
inline constexpr size_t kMaxFilterStringBytes = 255;
inline constexpr size_t kMaxFilterListEntries = 64;

// `filter` is the value of data.filter, or nullptr when the client left it out (which matches all).
// Fails with InvalidArgument whose message names the field and says why.
absl::StatusOr<Filter> ParseFilter(const boost::json::value* filter);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_FILTER_H_
