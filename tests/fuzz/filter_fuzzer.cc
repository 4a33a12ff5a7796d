// Any filter a client can send: parsing accepts it or refuses it with a message, and an accepted filter
// matches exactly the events its fields allow (strict parsing must never widen a subscription).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "boost/json/parse.hpp"
#include "plugin/filter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  boost::system::error_code error;
  boost::json::parse_options options;
  options.max_depth = 16;
  const boost::json::value value =
      boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), error, {}, options);
  if (error) return 0;
  auto filter = armorclaw::eventbus::ParseFilter(&value);
  if (!filter.ok()) return 0;
  armorclaw::eventbus::Event outsider;
  outsider.type = "fuzz.outsider";
  outsider.room_id = "!outsider:fuzz";
  outsider.sender = "@outsider:fuzz";
  const auto& types = filter->event_types;
  const bool allowed = (!filter->room_id || *filter->room_id == outsider.room_id) &&
                       (!filter->sender_id || *filter->sender_id == outsider.sender) &&
                       (types.empty() || std::find(types.begin(), types.end(), outsider.type) != types.end());
  if (filter->Matches(outsider) != allowed) std::abort();
  return 0;
}
