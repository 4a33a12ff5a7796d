// The whole path through the real .so: publish on the host's thread, receive over a real socket.
#include <string>
#include <vector>

#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

TEST(EndToEndTest, EverySpecEventArrivesInOrderUnchangedWithSequencesFromOne) {
  const std::vector<std::string> events = ReadLines(TestDataPath("matrix-spec-room-events.jsonl"));
  ASSERT_EQ(events.size(), 49u);
  RunningPlugin plugin;
  WsClient client(plugin.url());
  const std::string id = client.Subscribe("{}");
  EXPECT_THAT(id, ::testing::MatchesRegex("sub-[0-9a-f]{32}"));

  for (const std::string& event : events) plugin.Publish(event);

  for (size_t i = 0; i < events.size(); ++i) {
    const boost::json::value message = client.ReadJson();
    ASSERT_EQ(message.at("type"), "event") << boost::json::serialize(message);
    const boost::json::object& data = message.at("data").as_object();
    EXPECT_EQ(data.at("event"), boost::json::parse(events[i])) << "event " << i;
    EXPECT_EQ(data.at("sequence"), i + 1);
    EXPECT_THAT(std::string(data.at("received").as_string()),
                ::testing::MatchesRegex("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"));
    EXPECT_EQ(data.size(), 3u);
    EXPECT_EQ(message.as_object().size(), 2u);
  }
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
