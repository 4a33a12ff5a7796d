#include "host-shim/demo_events.h"

#include <map>
#include <set>
#include <string>

// Header-only Boost.JSON, compiled into this test alone.
#include "boost/json/parse.hpp"

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

namespace json = boost::json;
using ::testing::AnyOf;
using ::testing::Contains;
using ::testing::StartsWith;

std::string Text(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  EXPECT_NE(value, nullptr) << key;
  if (value == nullptr || !value->is_string()) return "";
  return std::string(value->as_string());
}

TEST(DemoEventGeneratorTest, EventsHaveMatrixShapes) {
  DemoEventGenerator generator(42);
  const absl::Time now = absl::FromUnixMillis(1'770'000'000'123);
  std::set<std::string> ids;
  std::map<std::string, int> type_counts;
  std::set<std::string> message_ids;
  for (int i = 0; i < 1000; ++i) {
    const std::string line = generator.Next(now);
    ASSERT_EQ(line.find('\n'), std::string::npos);  // One event per line.
    boost::system::error_code error;
    const json::value parsed = json::parse(line, error);
    ASSERT_FALSE(error) << line;
    const json::object& event = parsed.as_object();

    const std::string type = Text(event, "type");
    ++type_counts[type];
    EXPECT_THAT(Text(event, "room_id"),
                AnyOf("!lobby:example.org", "!ops:example.org", "!random:example.org"));
    EXPECT_THAT(Text(event, "sender"),
                AnyOf("@alice:example.org", "@bob:example.org", "@carol:example.org"));
    const std::string id = Text(event, "event_id");
    EXPECT_THAT(id, StartsWith("$"));
    EXPECT_TRUE(ids.insert(id).second) << "duplicate " << id;
    EXPECT_EQ(event.at("origin_server_ts").as_int64(), 1'770'000'000'123);
    const json::object& content = event.at("content").as_object();

    if (type == "m.room.message") {
      EXPECT_THAT(Text(content, "msgtype"), AnyOf("m.text", "m.emote"));
      EXPECT_FALSE(Text(content, "body").empty());
      EXPECT_FALSE(event.contains("state_key"));
      message_ids.insert(id);
    } else if (type == "m.reaction") {
      const json::object& relation = content.at("m.relates_to").as_object();
      EXPECT_EQ(Text(relation, "rel_type"), "m.annotation");
      EXPECT_THAT(message_ids, Contains(Text(relation, "event_id")));
      EXPECT_FALSE(Text(relation, "key").empty());
    } else if (type == "m.room.member") {
      EXPECT_EQ(Text(event, "state_key"), Text(event, "sender"));
      EXPECT_THAT(Text(content, "membership"), AnyOf("join", "leave"));
    } else if (type == "m.room.topic") {
      EXPECT_EQ(Text(event, "state_key"), "");
      EXPECT_FALSE(Text(content, "topic").empty());
    } else if (type == "m.room.name") {
      EXPECT_EQ(Text(event, "state_key"), "");
      EXPECT_FALSE(Text(content, "name").empty());
    } else {
      ADD_FAILURE() << "unexpected type " << type;
    }
  }
  for (const char* type :
       {"m.room.message", "m.reaction", "m.room.member", "m.room.topic", "m.room.name"}) {
    EXPECT_GT(type_counts[type], 0) << type;
  }
}

TEST(DemoEventGeneratorTest, SeparateRunsDoNotShareEventIds) {
  DemoEventGenerator first(1);
  DemoEventGenerator second(2);
  const absl::Time now = absl::Now();
  const json::value a = json::parse(first.Next(now));
  const json::value b = json::parse(second.Next(now));
  EXPECT_NE(a.at("event_id"), b.at("event_id"));
}

}  // namespace
}  // namespace armorclaw::host
