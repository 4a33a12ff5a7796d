// A subscription's filter: which events it wants. Absent fields match everything; present ones combine
// with AND. Parsing is strict, because a filter that is read loosely delivers more than was asked for.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_FILTER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_FILTER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/fwd.hpp"
#include "plugin/event.h"

namespace armorclaw::eventbus {

struct Filter {
  std::optional<std::string> room_id;
  std::optional<std::string> sender_id;
  std::vector<std::string> event_types;  // Empty: every type.
  // Set when the client's token is limited to some rooms and the filter names none: only these rooms'
  // events match (sorted). Shared with the client's identity, not copied.
  std::shared_ptr<const std::vector<std::string>> allowed_rooms;

  bool Matches(const Event& event) const;
};

// Longest accepted room id, sender id or event type (Matrix identifiers are at most 255 bytes).
inline constexpr size_t kMaxFilterStringBytes = 255;
inline constexpr size_t kMaxFilterEventTypes = 64;

// `filter` is the value of data.filter, or nullptr when the client left it out (which matches all).
// Fails with InvalidArgument whose message names the field and says why.
absl::StatusOr<Filter> ParseFilter(const boost::json::value* filter);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_FILTER_H_
