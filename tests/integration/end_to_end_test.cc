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
  // Compared verbatim, so scrubbing is off: the spec's call events carry IP addresses in their SDP.
  RunningPlugin plugin(host::ConfigEntries{{"pii_scrubbing", "false"}});
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

TEST(EndToEndTest, PersonalDataIsScrubbedBeforeAnyoneSeesIt) {
  RunningPlugin plugin;  // pii_scrubbing defaults to true.
  WsClient client(plugin.url());
  client.Subscribe("{}");
  plugin.Publish(
      R"({"type":"m.room.message","room_id":"!r:example.org","sender":"@alice:example.org","event_id":"$e1",)"
      R"("content":{"body":"mail bob@example.com or call +1 415 555 2671","m.relates_to":{"event_id":"$x"}}})");
  // A repeated member cannot smuggle a value past the scrubber: only the last one, scrubbed, goes out.
  plugin.Publish(R"({"type":"m.room.message","content":{"body":"10.0.0.1","body":"host 10.0.0.2"}})");
  const std::string untouched =
      R"({"type":"m.room.message","room_id":"!r:example.org","sender":"@alice:example.org","event_id":"$e2",)"
      R"("content":{"body":"release 1.2.3 at commit 0123456789abcdef0123456789abcdef01234567","n":1.50}})";
  plugin.Publish(untouched);
  const boost::json::value scrubbed = client.ReadJson().at("data").at("event");
  EXPECT_EQ(scrubbed.at("content").at("body"), "mail [REDACTED_EMAIL] or call [REDACTED_PHONE]");
  EXPECT_EQ(scrubbed.at("content").at("m.relates_to").at("event_id"), "$x");
  EXPECT_EQ(scrubbed.at("sender"), "@alice:example.org");
  const std::string repeated = client.Read();
  EXPECT_EQ(repeated.find("10.0.0."), std::string::npos) << repeated;
  EXPECT_EQ(boost::json::parse(repeated).at("data").at("event").at("content").at("body"), "host [REDACTED_IP]");
  // An event with nothing to scrub arrives equal, as a JSON value, to what was published.
  EXPECT_EQ(client.ReadJson().at("data").at("event"), boost::json::parse(untouched));
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
