#include "plugin/filter.h"

#include <string>

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<Filter> ParseText(std::string_view json) {
  const boost::json::value value = boost::json::parse(json);
  return ParseFilter(&value);
}

Event MakeEvent(std::string type, std::string room, std::string sender) {
  Event event;
  event.type = std::move(type);
  event.room_id = std::move(room);
  event.sender = std::move(sender);
  return event;
}

TEST(FilterTest, MissingAndEmptyMatchEverything) {
  auto missing = ParseFilter(nullptr);
  ASSERT_TRUE(missing.ok());
  EXPECT_TRUE(missing->Matches(MakeEvent("m.room.message", "!a:x", "@b:x")));
  auto empty = ParseText("{}");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->Matches(MakeEvent("m.anything", "", "")));
}

TEST(FilterTest, FieldsCombineWithAnd) {
  auto filter = ParseText(R"({"room_id":"!r:x","sender_id":"@a:x","event_types":["m.room.message","m.room.member"]})");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_TRUE(filter->Matches(MakeEvent("m.room.message", "!r:x", "@a:x")));
  EXPECT_TRUE(filter->Matches(MakeEvent("m.room.member", "!r:x", "@a:x")));
  EXPECT_FALSE(filter->Matches(MakeEvent("m.room.topic", "!r:x", "@a:x")));
  EXPECT_FALSE(filter->Matches(MakeEvent("m.room.message", "!other:x", "@a:x")));
  EXPECT_FALSE(filter->Matches(MakeEvent("m.room.message", "!r:x", "@b:x")));
}

TEST(FilterTest, EventWithoutRoomDoesNotMatchRoomFilter) {
  auto filter = ParseText(R"({"room_id":"!r:x"})");
  ASSERT_TRUE(filter.ok());
  EXPECT_FALSE(filter->Matches(MakeEvent("m.presence", "", "@a:x")));
}

struct Rejected {
  std::string filter;
  std::string message_part;
};

class FilterRejectsTest : public ::testing::TestWithParam<Rejected> {};

TEST_P(FilterRejectsTest, SaysWhichFieldAndWhy) {
  auto filter = ParseText(GetParam().filter);
  ASSERT_FALSE(filter.ok()) << GetParam().filter;
  EXPECT_EQ(filter.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(filter.status().message(), HasSubstr(GetParam().message_part));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FilterRejectsTest,
    ::testing::Values(
        Rejected{R"(null)", "filter must be a JSON object"},
        Rejected{R"([])", "filter must be a JSON object"},
        Rejected{R"("!r:x")", "filter must be a JSON object"},
        Rejected{R"({"room_id":5})", "\"room_id\" must be a string"},
        Rejected{R"({"room_id":""})", "\"room_id\" must not be empty"},
        Rejected{R"({"room_id":"r:x"})", "\"room_id\" must start with '!'"},
        Rejected{R"({"room_id":null})", "\"room_id\" must be a string"},
        Rejected{R"({"sender_id":["@a:x"]})", "\"sender_id\" must be a string"},
        Rejected{R"({"sender_id":"a:x"})", "\"sender_id\" must start with '@'"},
        Rejected{R"({"sender_id":""})", "\"sender_id\" must not be empty"},
        Rejected{R"({"event_types":"m.room.message"})", "\"event_types\" must be an array of strings"},
        Rejected{R"({"event_types":[]})", "\"event_types\" must list at least one event type"},
        Rejected{R"({"event_types":["m.room.message", 1]})", "\"event_types\" must contain only strings"},
        Rejected{R"({"event_types":[""]})", "\"event_types\" must not contain an empty string"},
        Rejected{R"({"roomid":"!r:x"})", "unknown filter field \"roomid\""},
        Rejected{R"({"room_id":"!r:x","extra":true})", "unknown filter field \"extra\""}));

TEST(FilterTest, LongListsAreRefused) {
  std::string types = R"({"event_types":[)";
  for (size_t i = 0; i <= kMaxFilterEventTypes; ++i) types += (i ? ",\"t" : "\"t") + std::to_string(i) + "\"";
  types += "]}";
  auto filter = ParseText(types);
  ASSERT_FALSE(filter.ok());
  EXPECT_THAT(filter.status().message(), HasSubstr("at most 64 event types"));
}

}  // namespace
}  // namespace armorclaw::eventbus
