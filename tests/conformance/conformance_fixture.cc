#include "tests/conformance/conformance_fixture.h"

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"

namespace armorclaw::eventbus::testing {

std::string PingOfSize(size_t size) {
  return absl::StrCat(R"({"type":"ping")", std::string(size - kPing.size(), ' '), "}");
}

ConformanceTest::ConformanceTest()
    : plugin_(host::ConfigEntries{{"max_message_bytes", absl::StrCat(kMaxMessageBytes)}}),
      bystander_(plugin_.url()) {
  bystander_.Subscribe("{}");
}

void ConformanceTest::ExpectBystanderServed() {
  const std::string event_id = absl::StrCat("$bystander-", ++bystander_events_);
  plugin_.Publish(absl::StrCat(R"({"type":"m.room.message","room_id":"!room:example.org",)",
                               R"("sender":"@alice:example.org","event_id":")", event_id,
                               R"(","content":{"body":"still here"}})"));
  const boost::json::value message = bystander_.ReadJson();
  ASSERT_EQ(message.at("type"), "event") << boost::json::serialize(message);
  EXPECT_EQ(message.at("data").at("event").at("event_id"), boost::json::value(event_id));
}

void ConformanceTest::ExpectUsable(RawWsClient& client) {
  client.Send(ClientFrame(kFin | 0x1, kPing));
  EXPECT_EQ(client.ReadText(), kPong);
}

void ConformanceTest::ExpectFailedWith(RawWsClient& client, int code) {
  const Ending ending = client.ReadUntilClosed();
  EXPECT_EQ(ending.code, code);
  EXPECT_EQ(ending.before.size(), 0u) << "frames answered before the close";
  EXPECT_EQ(ending.after_close, "");
  ExpectBystanderServed();
}

void ConformanceTest::ExpectError(RawWsClient& client, std::string_view code) {
  const boost::json::value message = boost::json::parse(client.ReadText());
  ASSERT_EQ(message.at("type"), "error") << boost::json::serialize(message);
  EXPECT_EQ(message.at("data").at("code"), boost::json::value(std::string(code))) << boost::json::serialize(message);
}

UpgradedTest::UpgradedTest() : client_(plugin_.url()) { client_.Upgrade(); }

}  // namespace armorclaw::eventbus::testing
