#include "plugin/protocol.h"

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

TEST(ProtocolTest, DeepNestingIsRefusedNotRecursedInto) {
  std::string deep(10000, '[');
  EXPECT_EQ(ExpectError(deep).code, error_code::kInvalidMessage);
}

TEST(ProtocolTest, ServerMessagesAreTheGuidesShapes) {
  EXPECT_EQ(boost::json::parse(SubscribedMessage("sub-abc")),
            boost::json::parse(R"({"type":"subscribed","data":{"subscriber_id":"sub-abc","message":"Subscribed successfully"}})"));
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
