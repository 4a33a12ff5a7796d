// What the tests of resuming share: the event they publish, and a client's subscribe with "since" and the
// sequences it reads.
#ifndef ARMORCLAW_EVENTBUS_TESTS_INTEGRATION_RESUME_SUPPORT_H_
#define ARMORCLAW_EVENTBUS_TESTS_INTEGRATION_RESUME_SUPPORT_H_

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "common/string_view_compat.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {

inline std::string EventIn(std::string_view room, int n) {
  return absl::StrCat(R"({"type":"m.room.message","room_id":")", ToAbsl(room), R"(","sender":"@a:example.org",)",
                      R"("event_id":"$)", n, R"(","content":{"body":"hi"}})");
}

inline uint64_t SequenceOf(const boost::json::value& message) {
  if (message.at("type") != "event") throw std::runtime_error("not an event: " + boost::json::serialize(message));
  return message.at("data").at("sequence").to_number<uint64_t>();
}

// Sends a subscribe (with `since` when `epoch` is given) and returns the "subscribed" data.
inline boost::json::object Subscribe(WsClient& client, std::string_view filter, std::optional<std::string> epoch,
                              uint64_t sequence = 0) {
  std::string data = absl::StrCat(R"({"filter":)", ToAbsl(filter));
  if (epoch) absl::StrAppend(&data, R"(,"since":{"sequence":)", sequence, R"(,"epoch":")", *epoch, R"("})");
  client.Send(absl::StrCat(R"({"type":"subscribe","data":)", data, "}}"));
  const boost::json::value reply = client.ReadJson();
  if (reply.at("type") != "subscribed") throw std::runtime_error("not subscribed: " + boost::json::serialize(reply));
  return reply.at("data").as_object();
}

inline std::vector<uint64_t> ReadSequences(WsClient& client, size_t count) {
  std::vector<uint64_t> sequences;
  while (sequences.size() < count) sequences.push_back(SequenceOf(client.ReadJson()));
  return sequences;
}

inline std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> sequences;
  for (uint64_t s = first; s <= last; ++s) sequences.push_back(s);
  return sequences;
}

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_INTEGRATION_RESUME_SUPPORT_H_
