#include "plugin/event_ingest.h"

#include <vector>

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kMessage =
    R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$e","origin_server_ts":1432735824653,)"
    R"("content":{"msgtype":"m.text","body":"hi","n":[1,2.5,null,true]},"unsigned":{"age":1}})";

TEST(EventIngestTest, FrameIsTheGuidesEventMessageWithEveryFieldKept) {
  const absl::Time received = absl::FromUnixMillis(1770554096789);
  auto event = PrepareEvent(kMessage, 65536, received, nullptr);
  ASSERT_TRUE(event.ok()) << event.status();
  SealEvent(**event, 42);
  EXPECT_EQ((*event)->sequence, 42u);
  EXPECT_EQ((*event)->type, "m.room.message");
  EXPECT_EQ((*event)->room_id, "!r:x");
  EXPECT_EQ((*event)->sender, "@a:x");
  const boost::json::value frame = boost::json::parse((*event)->message());
  boost::json::object expected;
  expected["type"] = "event";
  expected["data"] = {{"event", boost::json::parse(kMessage)},
                      {"received", "2026-02-08T12:34:56.789Z"},
                      {"sequence", 42}};
  EXPECT_EQ(frame, expected);
}

// RFC 6455 section 5.2 header lengths: 7-bit, 16-bit and 64-bit payload lengths.
TEST(EventIngestTest, WireIsACompleteUnmaskedTextFrame) {
  for (size_t padding : {size_t{0}, size_t{200}, size_t{70000}}) {
    const std::string json = R"({"type":"t","content":{"p":")" + std::string(padding, 'x') + R"("}})";
    auto event = PrepareEvent(json, 1 << 20, absl::Now(), nullptr);
    ASSERT_TRUE(event.ok());
    SealEvent(**event, 7);
    const std::string_view message = (*event)->message();
    const std::string_view wire = (*event)->wire();
    ASSERT_EQ(wire.substr(wire.size() - message.size()), message);
    const std::string header(wire.substr(0, wire.size() - message.size()));
    ASSERT_GE(header.size(), 2u);
    EXPECT_EQ(static_cast<unsigned char>(header[0]), 0x81);  // FIN, text.
    const unsigned char first = static_cast<unsigned char>(header[1]);
    uint64_t length = first;
    if (first == 126) {
      ASSERT_EQ(header.size(), 4u);
      length = (uint64_t{static_cast<unsigned char>(header[2])} << 8) | static_cast<unsigned char>(header[3]);
    } else if (first == 127) {
      ASSERT_EQ(header.size(), 10u);
      length = 0;
      for (size_t i = 2; i < 10; ++i) length = (length << 8) | static_cast<unsigned char>(header[i]);
    } else {
      ASSERT_EQ(header.size(), 2u);
    }
    EXPECT_EQ(length, message.size()) << "padding " << padding;
  }
}

TEST(EventIngestTest, RoomAndSenderAreOptional) {
  auto event = PrepareEvent(R"({"type":"m.presence","content":{}})", 65536, absl::Now(), nullptr);
  ASSERT_TRUE(event.ok());
  EXPECT_EQ((*event)->room_id, "");
}

TEST(EventIngestTest, RejectsWhatIsNotAnEvent) {
  auto reason = [](std::string_view json, size_t max = 65536) {
    auto event = PrepareEvent(json, max, absl::Now(), nullptr);
    EXPECT_FALSE(event.ok()) << json;
    return std::string(event.status().message());
  };
  EXPECT_THAT(reason("{"), HasSubstr("not valid JSON"));
  EXPECT_THAT(reason(""), HasSubstr("not valid JSON"));
  EXPECT_THAT(reason(R"({"type":"a"} trailing)"), HasSubstr("not valid JSON"));
  EXPECT_EQ(reason("[]"), "event is not a JSON object");
  EXPECT_EQ(reason(R"({"room_id":"!r:x"})"), "event has no \"type\" string");
  EXPECT_EQ(reason(R"({"type":""})"), "event has no \"type\" string");
  EXPECT_EQ(reason(R"({"type":"a","room_id":1})"), "event field \"room_id\" is not a string");
  EXPECT_EQ(reason(R"({"type":"a","sender":{}})"), "event field \"sender\" is not a string");
  EXPECT_THAT(reason(R"({"type":"m.room.message"})", 10), HasSubstr("over max_event_bytes (10)"));
  EXPECT_THAT(reason(std::string(100, '[')), HasSubstr("not valid JSON"));
  EXPECT_THAT(reason("{\"type\":\"\xff\"}"), HasSubstr("not valid JSON"));
  EXPECT_EQ(reason(R"({"type":"a","content":{"n":[1e400]}})"), "event has a number outside the range of a double");
}

// What the durable log stores (payload, timestamp, sequence) rebuilds the very frame live clients received,
// scrubbed events included: the payload is the text after scrubbing.
TEST(EventIngestTest, ALogRecordRebuildsTheLiveFrameByteForByte) {
  auto scrubber = Scrubber::Create();
  ASSERT_TRUE(scrubber.ok()) << scrubber.status();
  const std::string with_email =
      R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","content":{"body":"mail bob@example.org", "n":1.50}})";
  const std::vector<const Scrubber*> scrubbers = {nullptr, &*scrubber};
  for (const Scrubber* scrub : scrubbers) {
    const absl::Time received = absl::FromUnixNanos(1770554096789123456);
    auto live = PrepareEvent(with_email, 65536, received, scrub);
    ASSERT_TRUE(live.ok()) << live.status();
    SealEvent(**live, 1234);
    EXPECT_EQ((*live)->received_ns, 1770554096789123456);
    LogRecord record{.offset = 1234, .timestamp_ns = (*live)->received_ns, .type = (*live)->type,
                     .payload = std::string((*live)->payload())};
    EXPECT_EQ(boost::json::parse(record.payload), boost::json::parse((*live)->message()).at("data").at("event"));
    auto rebuilt = EventFromLogRecord(record);
    ASSERT_TRUE(rebuilt.ok()) << rebuilt.status();
    EXPECT_EQ((*rebuilt)->wire(), (*live)->wire());
    EXPECT_EQ((*rebuilt)->sequence, 1234u);
    EXPECT_EQ((*rebuilt)->room_id, "!r:x");
    EXPECT_EQ((*rebuilt)->sender, "@a:x");
  }
  LogRecord not_an_event;
  not_an_event.offset = 1;
  not_an_event.payload = "[1]";
  EXPECT_FALSE(EventFromLogRecord(not_an_event).ok());
}

}  // namespace
}  // namespace armorclaw::eventbus
