#include "plugin/filter.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "common/string_view_compat.h"
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
        Rejected{R"({"sender_id":""})", "\"sender_id\" must not be empty"},
        Rejected{R"({"event_types":"m.room.message"})", "\"event_types\" must be an array of strings"},
        Rejected{R"({"event_types":[]})", "\"event_types\" must list at least one event type"},
        Rejected{R"({"event_types":["m.room.message", 1]})", "\"event_types\" must contain only strings"},
        Rejected{R"({"event_types":[""]})", "\"event_types\" must not contain an empty string"},
        Rejected{R"({"sender_id":false})", "\"sender_id\" must be a string"},
        Rejected{R"({"roomid":"!r:x"})", "unknown filter field \"roomid\""},
        Rejected{R"({"room_id":"!r:x","extra":true})", "unknown filter field \"extra\""},
        Rejected{R"({"limit":10})",
                 "unknown filter field \"limit\" (known: room_id, sender_id, event_types, rooms, not_rooms, "
                 "senders, not_senders, types, not_types)"}));

// Each of Matrix's lists is checked as event_types is, with its own name, and [] is accepted.
INSTANTIATE_TEST_SUITE_P(
    MatrixLists, FilterRejectsTest,
    ::testing::Values(
        Rejected{R"({"rooms":"!r:x"})", "filter field \"rooms\" must be an array of strings"},
        Rejected{R"({"rooms":null})", "filter field \"rooms\" must be an array of strings"},
        Rejected{R"({"rooms":["!r:x",1]})", "filter field \"rooms\" must contain only strings"},
        Rejected{R"({"rooms":[""]})", "filter field \"rooms\" must not contain an empty string"},
        Rejected{R"({"rooms":["r:x"]})", "filter field \"rooms\" entries must start with '!'"},
        Rejected{R"({"not_rooms":{}})", "filter field \"not_rooms\" must be an array of strings"},
        Rejected{R"({"not_rooms":["@a:x"]})", "filter field \"not_rooms\" entries must start with '!'"},
        Rejected{R"({"senders":"@a:x"})", "filter field \"senders\" must be an array of strings"},
        Rejected{R"({"senders":[null]})", "filter field \"senders\" must contain only strings"},
        Rejected{R"({"not_senders":[""]})", "filter field \"not_senders\" must not contain an empty string"},
        Rejected{R"({"types":"m.room.message"})", "filter field \"types\" must be an array of strings"},
        Rejected{R"({"types":[["m.room.message"]]})", "filter field \"types\" must contain only strings"},
        Rejected{R"({"not_types":[""]})", "filter field \"not_types\" must not contain an empty string"},
        Rejected{R"({"not_types":true})", "filter field \"not_types\" must be an array of strings"}));

// {"<field>":["<prefix>0","<prefix>1",...]} with `count` entries.
std::string ListFilter(std::string_view field, std::string_view prefix, size_t count) {
  std::string text = absl::StrCat(R"({")", ToAbsl(field), R"(":[)");
  for (size_t i = 0; i < count; ++i) absl::StrAppend(&text, i ? "," : "", "\"", ToAbsl(prefix), i, "\"");
  return text + "]}";
}

TEST(FilterTest, ListsHoldAtMost64EntriesOfAtMost255Bytes) {
  const struct {
    std::string_view field;
    std::string_view prefix;
    std::string_view noun;
  } lists[] = {{"event_types", "t", "event types"}, {"types", "t", "event types"}, {"not_types", "t", "event types"},
               {"rooms", "!r", "rooms"},            {"not_rooms", "!r", "rooms"},  {"senders", "s", "senders"},
               {"not_senders", "@s", "senders"}};
  for (const auto& list : lists) {
    EXPECT_TRUE(ParseText(ListFilter(list.field, list.prefix, kMaxFilterListEntries)).ok()) << list.field;
    auto too_many = ParseText(ListFilter(list.field, list.prefix, kMaxFilterListEntries + 1));
    ASSERT_FALSE(too_many.ok()) << list.field;
    EXPECT_EQ(too_many.status().message(), absl::StrCat("filter field \"", ToAbsl(list.field), "\" must list at most 64 ",
                                                        ToAbsl(list.noun)));
    // ListFilter appends the index (one digit here): prefix + padding + "0" is exactly 255 bytes.
    const std::string longest(kMaxFilterStringBytes - list.prefix.size() - 1, 'x');
    EXPECT_TRUE(ParseText(ListFilter(list.field, absl::StrCat(ToAbsl(list.prefix), longest), 1)).ok()) << list.field;
    auto too_long = ParseText(ListFilter(list.field, absl::StrCat(ToAbsl(list.prefix), longest, "x"), 1));
    ASSERT_FALSE(too_long.ok()) << list.field;
    EXPECT_EQ(too_long.status().message(),
              absl::StrCat("filter field \"", ToAbsl(list.field), "\" entries must be at most 255 bytes"));
  }
}

TEST(FilterTest, SenderIdNeedNotBeAMatrixUserId) {
  auto filter = ParseText(R"({"sender_id":"orchestrator"})");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_TRUE(filter->Matches(MakeEvent("workflow.started", "", "orchestrator")));
  EXPECT_FALSE(filter->Matches(MakeEvent("workflow.started", "", "@orchestrator:x")));
  auto senders = ParseText(R"({"senders":["orchestrator","@alice:x"]})");
  ASSERT_TRUE(senders.ok()) << senders.status();
  EXPECT_TRUE(senders->Matches(MakeEvent("agent.status", "", "orchestrator")));
  EXPECT_TRUE(senders->Matches(MakeEvent("m.room.message", "!r:x", "@alice:x")));
  EXPECT_FALSE(senders->Matches(MakeEvent("m.room.message", "!r:x", "@bob:x")));
}

TEST(FilterTest, EachMatrixListAllowsOrExcludesItsValues) {
  auto rooms = ParseText(R"({"rooms":["!a:x","!b:x","!a:x"]})");
  ASSERT_TRUE(rooms.ok()) << rooms.status();
  EXPECT_TRUE(rooms->Matches(MakeEvent("t", "!a:x", "@u:x")));
  EXPECT_TRUE(rooms->Matches(MakeEvent("t", "!b:x", "@u:x")));
  EXPECT_FALSE(rooms->Matches(MakeEvent("t", "!c:x", "@u:x")));
  EXPECT_FALSE(rooms->Matches(MakeEvent("t", "", "@u:x")));

  auto not_rooms = ParseText(R"({"not_rooms":["!a:x"]})");
  ASSERT_TRUE(not_rooms.ok()) << not_rooms.status();
  EXPECT_FALSE(not_rooms->Matches(MakeEvent("t", "!a:x", "@u:x")));
  EXPECT_TRUE(not_rooms->Matches(MakeEvent("t", "!b:x", "@u:x")));
  EXPECT_TRUE(not_rooms->Matches(MakeEvent("t", "", "@u:x")));  // Excluding a room keeps room-less events.

  auto not_senders = ParseText(R"({"not_senders":["orchestrator"]})");
  ASSERT_TRUE(not_senders.ok()) << not_senders.status();
  EXPECT_FALSE(not_senders->Matches(MakeEvent("workflow.started", "", "orchestrator")));
  EXPECT_TRUE(not_senders->Matches(MakeEvent("workflow.started", "", "@alice:x")));
  EXPECT_TRUE(not_senders->Matches(MakeEvent("workflow.started", "", "")));

  auto types = ParseText(R"({"types":["m.room.message","m.reaction"]})");
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_TRUE(types->Matches(MakeEvent("m.reaction", "!a:x", "@u:x")));
  EXPECT_FALSE(types->Matches(MakeEvent("m.room.member", "!a:x", "@u:x")));

  auto not_types = ParseText(R"({"not_types":["m.room.member"]})");
  ASSERT_TRUE(not_types.ok()) << not_types.status();
  EXPECT_FALSE(not_types->Matches(MakeEvent("m.room.member", "!a:x", "@u:x")));
  EXPECT_TRUE(not_types->Matches(MakeEvent("m.room.message", "!a:x", "@u:x")));
}

TEST(FilterTest, AnEmptyListAllowsNothingAnAbsentOneEverything) {
  for (std::string_view text : {R"({"rooms":[]})", R"({"senders":[]})", R"({"types":[]})"}) {
    auto filter = ParseText(text);
    ASSERT_TRUE(filter.ok()) << text << ": " << filter.status();
    EXPECT_FALSE(filter->Matches(MakeEvent("m.room.message", "!a:x", "@u:x"))) << text;
    EXPECT_FALSE(filter->Matches(MakeEvent("m.presence", "", ""))) << text;
  }
  for (std::string_view text : {R"({"not_rooms":[]})", R"({"not_senders":[]})", R"({"not_types":[]})"}) {
    auto filter = ParseText(text);
    ASSERT_TRUE(filter.ok()) << text << ": " << filter.status();
    EXPECT_TRUE(filter->Matches(MakeEvent("m.room.message", "!a:x", "@u:x"))) << text;
    EXPECT_TRUE(filter->Matches(MakeEvent("m.presence", "", ""))) << text;
  }
}

TEST(FilterTest, NotListsWinOverEveryPositiveField) {
  auto rooms = ParseText(R"({"room_id":"!a:x","rooms":["!a:x"],"not_rooms":["!a:x"]})");
  ASSERT_TRUE(rooms.ok()) << rooms.status();
  EXPECT_FALSE(rooms->Matches(MakeEvent("t", "!a:x", "@u:x")));
  auto senders = ParseText(R"({"sender_id":"@u:x","senders":["@u:x"],"not_senders":["@u:x"]})");
  ASSERT_TRUE(senders.ok()) << senders.status();
  EXPECT_FALSE(senders->Matches(MakeEvent("t", "!a:x", "@u:x")));
  auto types = ParseText(R"({"event_types":["agent.status"],"types":["agent.*"],"not_types":["agent.stat*"]})");
  ASSERT_TRUE(types.ok()) << types.status();
  EXPECT_FALSE(types->Matches(MakeEvent("agent.status", "!a:x", "@u:x")));
  auto kept = ParseText(R"({"types":["agent.*"],"not_types":["agent.stat*"]})");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_TRUE(kept->Matches(MakeEvent("agent.started", "!a:x", "@u:x")));
  EXPECT_FALSE(kept->Matches(MakeEvent("agent.status", "!a:x", "@u:x")));
}

TEST(FilterTest, GuideFieldsAndMatrixListsCombineWithAnd) {
  auto filter = ParseText(R"({"room_id":"!a:x","rooms":["!a:x","!b:x"],"sender_id":"@u:x",
                              "senders":["@u:x","@v:x"],"event_types":["m.room.message","m.reaction"],
                              "types":["m.room.*"]})");
  ASSERT_TRUE(filter.ok()) << filter.status();
  EXPECT_TRUE(filter->Matches(MakeEvent("m.room.message", "!a:x", "@u:x")));
  EXPECT_FALSE(filter->Matches(MakeEvent("m.room.message", "!b:x", "@u:x")));  // room_id says !a:x only.
  EXPECT_FALSE(filter->Matches(MakeEvent("m.room.message", "!a:x", "@v:x")));  // sender_id says @u:x only.
  EXPECT_FALSE(filter->Matches(MakeEvent("m.reaction", "!a:x", "@u:x")));      // types says m.room.* only.
  auto disjoint = ParseText(R"({"room_id":"!a:x","rooms":["!b:x"]})");
  ASSERT_TRUE(disjoint.ok()) << disjoint.status();
  EXPECT_FALSE(disjoint->Matches(MakeEvent("t", "!a:x", "@u:x")));
  EXPECT_FALSE(disjoint->Matches(MakeEvent("t", "!b:x", "@u:x")));
}

TEST(FilterTest, AStarInATypeMatchesAnyRunOfCharacters) {
  for (std::string_view field : {"event_types", "types"}) {
    auto filter = ParseText(absl::StrCat(R"({")", ToAbsl(field), R"(":["workflow.*"]})"));
    ASSERT_TRUE(filter.ok()) << filter.status();
    EXPECT_TRUE(filter->Matches(MakeEvent("workflow.started", "", "orchestrator"))) << field;
    EXPECT_TRUE(filter->Matches(MakeEvent("workflow.", "", "orchestrator"))) << field;
    EXPECT_TRUE(filter->Matches(MakeEvent("workflow.step.completed", "", "orchestrator"))) << field;
    EXPECT_FALSE(filter->Matches(MakeEvent("workflow", "", "orchestrator"))) << field;
    EXPECT_FALSE(filter->Matches(MakeEvent("agent.workflow.started", "", "orchestrator"))) << field;
  }
}

TEST(FilterTest, TypePatterns) {
  EXPECT_TRUE(MatchesTypePattern("m.room.message", "m.room.message"));
  EXPECT_FALSE(MatchesTypePattern("m.room.message", "m.room.messages"));
  EXPECT_TRUE(MatchesTypePattern("*", ""));
  EXPECT_TRUE(MatchesTypePattern("*", "anything"));
  EXPECT_TRUE(MatchesTypePattern("**", "a"));
  EXPECT_TRUE(MatchesTypePattern("m.*", "m."));
  EXPECT_TRUE(MatchesTypePattern("*.started", "workflow.started"));
  EXPECT_FALSE(MatchesTypePattern("*.started", "workflow.started.late"));
  EXPECT_TRUE(MatchesTypePattern("com.*.budget.*", "com.armorclaw.budget.alert"));
  EXPECT_FALSE(MatchesTypePattern("com.*.budget.*", "com.armorclaw.alert"));
  EXPECT_TRUE(MatchesTypePattern("a*b*c", "abc"));
  EXPECT_TRUE(MatchesTypePattern("a*b*c", "aXbYbZc"));
  EXPECT_FALSE(MatchesTypePattern("a*b*c", "acb"));
  EXPECT_TRUE(MatchesTypePattern("ab*ba", "abba"));
  EXPECT_FALSE(MatchesTypePattern("ab*ba", "aba"));  // Prefix and suffix may not overlap.
  EXPECT_TRUE(MatchesTypePattern("*a*a*", "xaxa"));
  EXPECT_FALSE(MatchesTypePattern("*a*a*", "xax"));
  EXPECT_FALSE(MatchesTypePattern("M.*", "m.room.message"));  // Case-sensitive.
  EXPECT_TRUE(MatchesTypePattern("m.?", "m.?"));              // Only '*' is special.
  EXPECT_FALSE(MatchesTypePattern("m.?", "m.a"));
}

}  // namespace
}  // namespace armorclaw::eventbus
