#include "plugin/history/redaction.h"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "boost/json/parse.hpp"
#include "gtest/gtest.h"
#include "plugin/event_ingest.h"

namespace armorclaw::eventbus {
namespace {

boost::json::object Json(std::string_view text) { return boost::json::parse(text).as_object(); }

// The spec's m.room.redaction example (client-server API, m.room.redaction).
constexpr std::string_view kRedaction =
    R"({"content":{"reason":"Spamming","redacts":"$fukweghifu23:localhost"},"event_id":"$143273582443PhrSn:example.org",)"
    R"("origin_server_ts":1432735824653,"room_id":"!jEsUZKDJdhlrceRyVU:example.org","sender":"@example:example.org",)"
    R"("type":"m.room.redaction","unsigned":{"age":1234}})";

// Redacts `event` with the spec's redaction and returns what is left.
boost::json::object Redact(std::string_view event) { return RedactedEvent(Json(event), Json(kRedaction)); }

TEST(RedactedEventTest, AMessageKeepsOnlyTheEnvelopeAndSaysWhy) {
  const boost::json::object redacted = Redact(
      R"({"content":{"body":"my password is hunter2","msgtype":"m.text"},"event_id":"$fukweghifu23:localhost",)"
      R"("origin_server_ts":1432735824653,"room_id":"!jEsUZKDJdhlrceRyVU:example.org","sender":"@example:example.org",)"
      R"("type":"m.room.message","origin":"example.org","unsigned":{"age":1234,"transaction_id":"t1"}})");
  EXPECT_EQ(redacted, Json(R"({"event_id":"$fukweghifu23:localhost","type":"m.room.message",)"
                           R"("room_id":"!jEsUZKDJdhlrceRyVU:example.org","sender":"@example:example.org",)"
                           R"("content":{},"origin_server_ts":1432735824653,)"
                           R"("unsigned":{"redacted_because":)" + std::string(kRedaction) + "}}"));
}

TEST(RedactedEventTest, TopLevelKeysOfRoomVersion11AreKept) {
  const boost::json::object redacted = Redact(
      R"({"type":"m.room.message","content":{"body":"x"},"event_id":"$e","room_id":"!r","sender":"@s",)"
      R"("state_key":"k","hashes":{"sha256":"h"},"signatures":{"s":{}},"depth":7,"prev_events":["$p"],)"
      R"("auth_events":["$a"],"origin_server_ts":1,"origin":"o","membership":"join","prev_state":[],"redacts":"$t"})");
  for (std::string_view key : {"type", "content", "event_id", "room_id", "sender", "state_key", "hashes", "signatures",
                               "depth", "prev_events", "auth_events", "origin_server_ts", "unsigned"}) {
    EXPECT_TRUE(redacted.contains(key)) << key;
  }
  // Removed in room version 11 (origin, membership, prev_state) or never kept (a top-level redacts).
  for (std::string_view key : {"origin", "membership", "prev_state", "redacts"}) {
    EXPECT_FALSE(redacted.contains(key)) << key;
  }
}

struct ContentCase {
  std::string_view type;
  std::string_view content;
  std::string_view kept;
};

class RedactedContentTest : public ::testing::TestWithParam<ContentCase> {};

TEST_P(RedactedContentTest, KeepsWhatTheAlgorithmKeepsForTheType) {
  const ContentCase& c = GetParam();
  const boost::json::object redacted =
      Redact(std::string(R"({"type":")") + std::string(c.type) + R"(","event_id":"$e","room_id":"!r","sender":"@s",)" +
             R"("state_key":"","content":)" + std::string(c.content) + "}");
  EXPECT_EQ(redacted.at("content"), boost::json::parse(c.kept));
}

INSTANTIATE_TEST_SUITE_P(
    SpecExamples, RedactedContentTest,
    ::testing::Values(
        ContentCase{"m.room.member",
                    R"({"avatar_url":"mxc://example.org/SEsfnsuifSDFSSEF","displayname":"Alice Margatroid",)"
                    R"("membership":"invite","reason":"Looking for support","join_authorised_via_users_server":"@b:x",)"
                    R"("third_party_invite":{"display_name":"alice","signed":{"mxid":"@alice:example.org","token":"t"}}})",
                    R"({"membership":"invite","join_authorised_via_users_server":"@b:x",)"
                    R"("third_party_invite":{"signed":{"mxid":"@alice:example.org","token":"t"}}})"},
        ContentCase{"m.room.create",
                    R"({"m.federate":true,"predecessor":{"event_id":"$something:example.org","room_id":"!oldroom:example.org"},"room_version":"11"})",
                    R"({"m.federate":true,"predecessor":{"event_id":"$something:example.org","room_id":"!oldroom:example.org"},"room_version":"11"})"},
        ContentCase{"m.room.join_rules",
                    R"({"allow":[{"room_id":"!other:example.org","type":"m.room_membership"}],"join_rule":"restricted","x":1})",
                    R"({"allow":[{"room_id":"!other:example.org","type":"m.room_membership"}],"join_rule":"restricted"})"},
        ContentCase{"m.room.power_levels",
                    R"({"ban":50,"events":{"m.room.name":100},"events_default":0,"invite":50,"kick":50,)"
                    R"("notifications":{"room":20},"redact":50,"state_default":50,"users":{"@example:localhost":100},"users_default":0})",
                    R"({"ban":50,"events":{"m.room.name":100},"events_default":0,"invite":50,"kick":50,)"
                    R"("redact":50,"state_default":50,"users":{"@example:localhost":100},"users_default":0})"},
        ContentCase{"m.room.history_visibility", R"({"history_visibility":"shared","x":1})",
                    R"({"history_visibility":"shared"})"},
        ContentCase{"m.room.redaction", R"({"reason":"Spamming","redacts":"$fukweghifu23:localhost"})",
                    R"({"redacts":"$fukweghifu23:localhost"})"},
        ContentCase{"m.room.name", R"({"name":"The room name"})", "{}"},
        ContentCase{"agent.status", R"({"agent_id":"agent-7","state":"running"})", "{}"}));

// An event as the bus holds it: ingested and sealed like a published one.
EventPtr Published(std::string_view json, uint64_t sequence) {
  auto event = PrepareEvent(json, 1 << 16, absl::FromUnixMillis(1770552000000), nullptr);
  EXPECT_TRUE(event.ok()) << event.status();
  SealEvent(**event, sequence);
  return *std::move(event);
}

boost::json::value Message(const EventPtr& event) { return boost::json::parse(event->message()); }

constexpr std::string_view kTarget =
    R"({"type":"m.room.message","room_id":"!ops:example.org","sender":"@alice:example.org","event_id":"$t1",)"
    R"("content":{"body":"deploy with key sk-123","msgtype":"m.text"}})";

TEST(ReplayRedactionsTest, ARedactionInTheRangeRedactsItsTargetInTheReplay) {
  const EventPtr target = Published(kTarget, 5);
  const EventPtr other = Published(
      R"({"type":"m.room.message","room_id":"!ops:example.org","sender":"@bob:example.org","event_id":"$t2","content":{"body":"hi"}})",
      6);
  const EventPtr redaction = Published(
      R"({"type":"m.room.redaction","room_id":"!ops:example.org","sender":"@alice:example.org","event_id":"$r1","content":{"redacts":"$t1"}})",
      7);
  ReplayRedactions redactions;
  std::vector<EventPtr> replay = {target, other, redaction};
  for (const EventPtr& event : replay) redactions.Note(event);
  redactions.Apply(replay);

  ASSERT_NE(replay[0], target);
  EXPECT_EQ(replay[0]->sequence, 5u);
  EXPECT_EQ(replay[0]->room_id, "!ops:example.org");
  const boost::json::value message = Message(replay[0]);
  const boost::json::object& event = message.at("data").at("event").as_object();
  EXPECT_EQ(event.at("content"), boost::json::object());
  EXPECT_EQ(event.at("unsigned").at("redacted_because"), Message(redaction).at("data").at("event"));
  EXPECT_EQ(message.at("data").at("sequence"), 5);
  EXPECT_EQ(message.at("data").at("received"), Message(target).at("data").at("received"));
  // A complete text frame, as live events are.
  const std::string_view wire = replay[0]->wire();
  EXPECT_EQ(static_cast<unsigned char>(wire[0]), 0x81);
  EXPECT_EQ(wire.substr(wire.size() - replay[0]->message().size()), replay[0]->message());
  // What was not redacted is the very event, and so is the redaction itself.
  EXPECT_EQ(replay[1], other);
  EXPECT_EQ(replay[2], redaction);
}

TEST(ReplayRedactionsTest, ATopLevelRedactsOfEarlierRoomVersionsCounts) {
  const EventPtr target = Published(kTarget, 1);
  ReplayRedactions redactions;
  redactions.Note(Published(
      R"({"type":"m.room.redaction","room_id":"!ops:example.org","sender":"@alice:example.org","event_id":"$r1","redacts":"$t1","content":{}})",
      2));
  std::vector<EventPtr> replay = {target};
  redactions.Apply(replay);
  EXPECT_EQ(Message(replay[0]).at("data").at("event").at("content"), boost::json::object());
}

TEST(ReplayRedactionsTest, ARedactionFromAnotherRoomChangesNothing) {
  const EventPtr target = Published(kTarget, 1);
  ReplayRedactions redactions;
  redactions.Note(Published(
      R"({"type":"m.room.redaction","room_id":"!elsewhere:example.org","sender":"@mallory:example.org","event_id":"$r1","content":{"redacts":"$t1"}})",
      2));
  std::vector<EventPtr> replay = {target};
  redactions.Apply(replay);
  EXPECT_EQ(replay[0], target);
}

TEST(ReplayRedactionsTest, ARedactionWithoutATargetIsIgnored) {
  const EventPtr target = Published(kTarget, 1);
  ReplayRedactions redactions;
  redactions.Note(Published(R"({"type":"m.room.redaction","room_id":"!ops:example.org","content":{"redacts":7}})", 2));
  redactions.Note(Published(R"({"type":"m.room.redaction","room_id":"!ops:example.org","content":{}})", 3));
  std::vector<EventPtr> replay = {target};
  redactions.Apply(replay);
  EXPECT_EQ(replay[0], target);
}

}  // namespace
}  // namespace armorclaw::eventbus
