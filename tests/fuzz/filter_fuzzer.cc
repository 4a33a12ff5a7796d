// Any filter a client can send: parsing accepts it or refuses it with a message, and an accepted filter
// matches exactly the events its fields allow (strict parsing must never widen a subscription). "Allow" is
// decided by a reference matcher written here from Matrix's rules, straight from the JSON: every field
// must match; an absent list allows all, an empty positive list nothing; not_* lists exclude; '*' in a
// type matches any run of characters (decided by dynamic programming, unlike the plugin's scan).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "boost/json/parse.hpp"
#include "plugin/filter.h"

namespace {

using armorclaw::eventbus::Event;

bool ReferenceGlob(std::string_view pattern, std::string_view text) {
  // matched[j]: pattern[0, i) matches text[0, j).
  std::vector<char> matched(text.size() + 1, false);
  matched[0] = true;
  for (char p : pattern) {
    std::vector<char> next(text.size() + 1, false);
    for (size_t j = 0; j <= text.size(); ++j) {
      if (p == '*') {
        next[j] = matched[j] || (j > 0 && next[j - 1]);
      } else {
        next[j] = j > 0 && matched[j - 1] && text[j - 1] == p;
      }
    }
    matched = std::move(next);
  }
  return matched[text.size()];
}

std::vector<std::string> Strings(const boost::json::value& value) {
  std::vector<std::string> out;
  if (value.is_string()) out.emplace_back(value.get_string());
  if (value.is_array()) {
    for (const auto& item : value.get_array()) out.emplace_back(item.get_string());
  }
  return out;
}

using Fields = std::map<std::string, std::vector<std::string>>;

bool AnyEqual(const std::vector<std::string>& list, const std::string& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

bool AnyGlob(const std::vector<std::string>& patterns, const std::string& value) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) { return ReferenceGlob(p, value); });
}

// Matrix's fields each look at one member of the event, so "every field must match" splits into one
// verdict per member, computed once per candidate value.
bool ReferenceAllows(const Fields& fields, const std::string& value, std::string_view equal_key,
                     std::string_view list_key, std::string_view not_key, bool globs) {
  for (const auto& [key, list] : fields) {
    const bool listed = globs ? AnyGlob(list, value) : AnyEqual(list, value);
    if ((key == equal_key || key == list_key) && !listed) return false;
    if (key == not_key && listed) return false;
  }
  return true;
}

// A few candidate values for one event field: those the filter names (first few), types with their
// wildcards filled in two ways, and values no filter names.
std::vector<std::string> Candidates(const Fields& fields, std::initializer_list<const char*> keys, bool types,
                                    std::initializer_list<const char*> outsiders) {
  std::vector<std::string> out(outsiders.begin(), outsiders.end());
  for (const char* key : keys) {
    auto it = fields.find(key);
    if (it == fields.end()) continue;
    for (size_t i = 0; i < it->second.size() && i < 2; ++i) {
      const std::string& value = it->second[i];
      out.push_back(value);
      if (!types) continue;
      for (std::string_view fill : {"", "x*"}) {
        std::string filled;
        for (char c : value) {
          if (c == '*') {
            filled.append(fill);
          } else {
            filled.push_back(c);
          }
        }
        out.push_back(filled);
      }
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code error;
  boost::json::parse_options options;
  options.max_depth = 16;
  const boost::json::value value =
      boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), error, {}, options);
  if (error) return 0;
  auto filter = armorclaw::eventbus::ParseFilter(&value);
  if (!filter.ok()) return 0;
  // Accepted: an object of known fields with strings or arrays of strings. A repeated member counts once,
  // as its last value.
  Fields fields;
  for (const auto& [key, member] : value.get_object()) fields[std::string(key)] = Strings(member);

  const auto rooms = Candidates(fields, {"room_id", "rooms", "not_rooms"}, false, {"", "!outsider:fuzz"});
  const auto senders =
      Candidates(fields, {"sender_id", "senders", "not_senders"}, false, {"", "@outsider:fuzz", "orchestrator"});
  const auto types = Candidates(fields, {"event_types", "types", "not_types"}, true, {"fuzz.outsider", "m.room.message"});
  auto verdicts = [&](const std::vector<std::string>& values, std::string_view equal_key, std::string_view list_key,
                      std::string_view not_key, bool globs) {
    std::vector<bool> out;
    for (const std::string& v : values) out.push_back(ReferenceAllows(fields, v, equal_key, list_key, not_key, globs));
    return out;
  };
  const auto room_ok = verdicts(rooms, "room_id", "rooms", "not_rooms", false);
  const auto sender_ok = verdicts(senders, "sender_id", "senders", "not_senders", false);
  const auto type_ok = verdicts(types, "event_types", "types", "not_types", true);
  Event event;
  for (size_t r = 0; r < rooms.size(); ++r) {
    for (size_t s = 0; s < senders.size(); ++s) {
      for (size_t t = 0; t < types.size(); ++t) {
        event.room_id = rooms[r];
        event.sender = senders[s];
        event.type = types[t];
        if (filter->Matches(event) != (room_ok[r] && sender_ok[s] && type_ok[t])) std::abort();
      }
    }
  }
  return 0;
}
