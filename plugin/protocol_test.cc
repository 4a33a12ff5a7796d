#include "plugin/protocol.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::HasSubstr;

ProtocolError ExpectError(std::string_view frame) {
  ClientMessage message = ParseClientMessage(frame);
  const auto* error = std::get_if<ProtocolError>(&message);
  if (error == nullptr) {
    ADD_FAILURE() << "no error for " << frame;
    return {};
  }
  return *error;
}

TEST(ProtocolTest, SubscribeWithGuideFilter) {
  ClientMessage message = ParseClientMessage(
      R"({"type":"subscribe","data":{"filter":{"room_id":"!myroom:example.com","event_types":["m.room.message"]}}})");
  auto* subscribe = std::get_if<SubscribeRequest>(&message);
  ASSERT_NE(subscribe, nullptr);
  EXPECT_EQ(subscribe->filter.room_id, "!myroom:example.com");
  ASSERT_TRUE(subscribe->filter.event_types.has_value());
  EXPECT_THAT(subscribe->filter.event_types->exact(), ::testing::ElementsAre("m.room.message"));
}

TEST(ProtocolTest, SubscribeWithoutFilterOrDataMatchesAll) {
  for (std::string_view frame : {R"({"type":"subscribe"})", R"({"type":"subscribe","data":{}})"}) {
    ClientMessage message = ParseClientMessage(frame);
    auto* subscribe = std::get_if<SubscribeRequest>(&message);
    ASSERT_NE(subscribe, nullptr) << frame;
    EXPECT_FALSE(subscribe->filter.room_id.has_value());
    EXPECT_FALSE(subscribe->filter.event_types.has_value());
  }
}

TEST(ProtocolTest, UnsubscribeAndPing) {
  ClientMessage unsubscribe = ParseClientMessage(R"({"type":"unsubscribe","data":{"subscriber_id":"sub-1"}})");
  ASSERT_TRUE(std::holds_alternative<UnsubscribeRequest>(unsubscribe));
  EXPECT_EQ(std::get<UnsubscribeRequest>(unsubscribe).subscriber_id, "sub-1");
  EXPECT_TRUE(std::holds_alternative<PingRequest>(ParseClientMessage(R"({"type":"ping"})")));
}

TEST(ProtocolTest, MalformedMessages) {
  EXPECT_EQ(ExpectError("{not json").code, error_code::kInvalidMessage);
  EXPECT_EQ(ExpectError("[1,2]").message, "message must be a JSON object");
  EXPECT_EQ(ExpectError(R"({"data":{}})").message, "message needs a string \"type\"");
  EXPECT_EQ(ExpectError(R"({"type":7})").message, "message needs a string \"type\"");
  EXPECT_THAT(ExpectError(R"({"type":"publish"})").message, HasSubstr("unknown message type"));
  EXPECT_EQ(ExpectError(R"({"type":"subscribe","data":[]})").message, "\"data\" must be a JSON object");
  EXPECT_EQ(ExpectError(R"({"type":"unsubscribe"})").code, error_code::kInvalidMessage);
  EXPECT_EQ(ExpectError(R"({"type":"unsubscribe","data":{"subscriber_id":3}})").code, error_code::kInvalidMessage);
}

TEST(ProtocolTest, InvalidFilterIsItsOwnCode) {
  ProtocolError error = ExpectError(R"({"type":"subscribe","data":{"filter":{"room_id":42}}})");
  EXPECT_EQ(error.code, error_code::kInvalidFilter);
  EXPECT_EQ(error.message, "filter field \"room_id\" must be a string");
}

TEST(ProtocolTest, SubscribeWithoutSinceHasNoPosition) {
  const ClientMessage message = ParseClientMessage(R"({"type":"subscribe","data":{"filter":{}}})");
  ASSERT_TRUE(std::holds_alternative<SubscribeRequest>(message));
  EXPECT_FALSE(std::get<SubscribeRequest>(message).since.has_value());
}

TEST(ProtocolTest, SinceCarriesSequenceAndEpoch) {
  const ClientMessage message =
      ParseClientMessage(R"({"type":"subscribe","data":{"since":{"sequence":18446744073709551615,"epoch":"e1"}}})");
  ASSERT_TRUE(std::holds_alternative<SubscribeRequest>(message));
  const auto& since = std::get<SubscribeRequest>(message).since;
  ASSERT_TRUE(since.has_value());
  EXPECT_EQ(since->sequence, UINT64_MAX);
  EXPECT_EQ(since->epoch, "e1");
}

TEST(ProtocolTest, MalformedSinceIsAnInvalidFilterNamingTheField) {
  const std::string not_object = R"(since must be an object {"sequence": N, "epoch": "E"} from a "subscribed" reply)";
  const std::string bad_sequence = "since.sequence must be a non-negative integer (the last sequence received)";
  const std::string bad_epoch = R"(since.epoch must be a non-empty string (the epoch of a "subscribed" reply))";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("since":5)", not_object},
      {R"("since":null)", not_object},
      {R"("since":[5,"e"])", not_object},
      {R"("since":{"sequence":5})", bad_epoch},
      {R"("since":{"sequence":5,"epoch":""})", bad_epoch},
      {R"("since":{"sequence":5,"epoch":7})", bad_epoch},
      {R"("since":{"epoch":"e"})", bad_sequence},
      {R"("since":{"sequence":-1,"epoch":"e"})", bad_sequence},
      {R"("since":{"sequence":1.5,"epoch":"e"})", bad_sequence},
      {R"("since":{"sequence":"5","epoch":"e"})", bad_sequence},
      {R"("since":{"sequence":5,"epoch":"e","offset":1})",
       R"(since has an unknown field "offset" (expected sequence and epoch))"},
  };
  for (const auto& [since, message] : cases) {
    SCOPED_TRACE(since);
    const ProtocolError error = ExpectError(absl::StrCat(R"({"type":"subscribe","data":{)", since, "}}"));
    EXPECT_EQ(error.code, error_code::kInvalidFilter);
    EXPECT_EQ(error.message, message);
  }
}

TEST(ProtocolTest, PositionsIsAnOptInBoolean) {
  const ClientMessage plain = ParseClientMessage(R"({"type":"subscribe","data":{"filter":{}}})");
  EXPECT_FALSE(std::get<SubscribeRequest>(plain).positions);
  const ClientMessage asked = ParseClientMessage(R"({"type":"subscribe","data":{"filter":{},"positions":true}})");
  ASSERT_TRUE(std::holds_alternative<SubscribeRequest>(asked));
  EXPECT_TRUE(std::get<SubscribeRequest>(asked).positions);
  const ProtocolError error = ExpectError(R"({"type":"subscribe","data":{"positions":"yes"}})");
  EXPECT_EQ(error.code, error_code::kInvalidMessage);
  EXPECT_EQ(error.message, "data.positions must be true or false");
}

TEST(ProtocolTest, PositionAndSlowConsumerCarryASequence) {
  EXPECT_EQ(boost::json::parse(PositionMessage(77)),
            boost::json::parse(R"({"type":"position","data":{"sequence":77}})"));
  const std::string message = "too many events waiting to be sent to this connection (max_queue_bytes)";
  EXPECT_EQ(boost::json::parse(SlowConsumerMessage(12)),
            boost::json::parse(R"({"type":"error","data":{"code":"slow_consumer","message":")" + message +
                               R"(","sequence":12}})"));
  EXPECT_EQ(boost::json::parse(SlowConsumerMessage(std::nullopt)),
            boost::json::parse(R"({"type":"error","data":{"code":"slow_consumer","message":")" + message + R"("}})"));
}

TEST(ProtocolTest, DeepNestingIsRefusedNotRecursedInto) {
  std::string deep(10000, '[');
  EXPECT_EQ(ExpectError(deep).code, error_code::kInvalidMessage);
}

TEST(ProtocolTest, ServerMessagesAreTheGuidesShapes) {
  const StreamPosition position{"0123456789abcdef0123456789abcdef", 41};
  EXPECT_EQ(boost::json::parse(SubscribedMessage("sub-abc", position)),
            boost::json::parse(R"({"type":"subscribed","data":{"subscriber_id":"sub-abc","message":"Subscribed successfully",)"
                               R"("epoch":"0123456789abcdef0123456789abcdef","sequence":41}})"));
  EXPECT_EQ(boost::json::parse(SubscribedMessage("sub-abc", position, ResumeOutcome{true, 3, 30, ""})),
            boost::json::parse(R"({"type":"subscribed","data":{"subscriber_id":"sub-abc","message":"Subscribed successfully",)"
                               R"("epoch":"0123456789abcdef0123456789abcdef","sequence":41,)"
                               R"("recovered":true,"replayed":3,"earliest":30}})"));
  EXPECT_EQ(boost::json::parse(SubscribedMessage("sub-abc", position, ResumeOutcome{false, 0, 30, "too_old"})),
            boost::json::parse(R"({"type":"subscribed","data":{"subscriber_id":"sub-abc","message":"Subscribed successfully",)"
                               R"("epoch":"0123456789abcdef0123456789abcdef","sequence":41,)"
                               R"("recovered":false,"replayed":0,"earliest":30,"reason":"too_old"}})"));
  EXPECT_EQ(boost::json::parse(UnsubscribedMessage()),
            boost::json::parse(R"({"type":"unsubscribed","data":{"message":"Unsubscribed successfully"}})"));
  EXPECT_EQ(PongMessage(), R"({"type":"pong"})");
  EXPECT_EQ(boost::json::parse(ErrorMessage("rate_limited", "slow down", 250)),
            boost::json::parse(R"({"type":"error","data":{"code":"rate_limited","message":"slow down","retry_after_ms":250}})"));
  EXPECT_EQ(boost::json::parse(ErrorMessage("invalid_filter", "say \"why\"")),
            boost::json::parse(R"({"type":"error","data":{"code":"invalid_filter","message":"say \"why\""}})"));
}

}  // namespace
}  // namespace armorclaw::eventbus
