#include "plugin/history/log_record.h"

#include <zlib.h>

#include <string>

#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

std::string Encode(const LogRecordView& record) {
  std::string bytes;
  EncodeLogRecord(record, bytes);
  return bytes;
}

// A frame built by hand from the format description, as another writer (the bridge's Go code) would.
std::string Frame(std::string_view json) {
  std::string bytes;
  const uint32_t length = static_cast<uint32_t>(json.size());
  const uint32_t crc =
      static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(json.data()), static_cast<uInt>(json.size())));
  for (uint32_t value : {length, crc}) {
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>((value >> shift) & 0xff));
  }
  return bytes + std::string(json);
}

TEST(LogRecordTest, EncodesTheBridgeFraming) {
  const std::string bytes = Encode({7, 1700000000123456789, "m.room.message", R"({"a":1})"});
  EXPECT_EQ(bytes, Frame(R"({"offset":7,"timestamp":1700000000123456789,"type":"m.room.message","payload":{"a":1}})"));
}

TEST(LogRecordTest, RoundTripKeepsTypeAndPayloadByteForByte) {
  const std::string type = "m.\"quoted\"\\ \xC3\xA9v\xC3\xA9nement \xF0\x9F\x98\x80";
  const std::string payload = R"({"price": 1.50, "big":1e3, "neg":-0.0, "s":"\u00e9", "list":[ 1 ,2 ]})";
  const std::string bytes = Encode({42, -5, type, payload});
  const DecodedLogRecord decoded = DecodeLogRecord(bytes);
  ASSERT_EQ(decoded.outcome, LogFrame::Outcome::kComplete) << decoded.problem;
  EXPECT_EQ(decoded.size, bytes.size());
  EXPECT_EQ(decoded.record.offset, 42u);
  EXPECT_EQ(decoded.record.timestamp_ns, -5);
  EXPECT_EQ(decoded.record.type, type);
  EXPECT_EQ(decoded.record.payload, payload);
}

TEST(LogRecordTest, DecodesTheFirstOfSeveralRecords) {
  const std::string bytes = Encode({1, 1, "t", "1"}) + Encode({2, 2, "t", "2"});
  const DecodedLogRecord decoded = DecodeLogRecord(bytes);
  ASSERT_EQ(decoded.outcome, LogFrame::Outcome::kComplete);
  EXPECT_EQ(decoded.record.offset, 1u);
  EXPECT_EQ(decoded.record.payload, "1");
  EXPECT_EQ(DecodeLogRecord(std::string_view(bytes).substr(decoded.size)).record.payload, "2");
}

TEST(LogRecordTest, EveryPrefixOfARecordIsTorn) {
  const std::string bytes = Encode({3, 4, "t", R"({"x":"y"})"});
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(DecodeLogRecord(std::string_view(bytes).substr(0, cut)).outcome, LogFrame::Outcome::kTorn)
        << "cut at " << cut;
  }
}

TEST(LogRecordTest, AFlippedByteIsCorrupt) {
  const std::string bytes = Encode({3, 4, "t", R"({"x":"y"})"});
  // Every byte after the length field: the CRC or the payload no longer match.
  for (size_t at = 4; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x20);
    const DecodedLogRecord decoded = DecodeLogRecord(flipped);
    EXPECT_EQ(decoded.outcome, LogFrame::Outcome::kCorrupt) << "flipped at " << at;
    EXPECT_NE(decoded.problem.find("CRC mismatch"), std::string::npos) << decoded.problem;
  }
}

TEST(LogRecordTest, RecordsWithAGoodCrcButBadContentAreCorrupt) {
  for (const char* json : {"not json", "[1,2]", R"({"timestamp":1,"type":"t","payload":1})",
                           R"({"offset":-1,"timestamp":1,"type":"t","payload":1})",
                           R"({"offset":1,"timestamp":1.5,"type":"t","payload":1})",
                           R"({"offset":1,"timestamp":1,"type":2,"payload":1})",
                           R"({"offset":1,"timestamp":1,"type":"t"})"}) {
    const DecodedLogRecord decoded = DecodeLogRecord(Frame(json));
    EXPECT_EQ(decoded.outcome, LogFrame::Outcome::kCorrupt) << json;
    EXPECT_FALSE(decoded.problem.empty()) << json;
  }
}

TEST(LogRecordTest, AnotherWritersMemberOrderYieldsTheSerializedPayload) {
  const DecodedLogRecord decoded =
      DecodeLogRecord(Frame(R"({"type":"t","payload":{"b": 1.50},"timestamp":9,"offset":8})"));
  ASSERT_EQ(decoded.outcome, LogFrame::Outcome::kComplete) << decoded.problem;
  EXPECT_EQ(decoded.record.offset, 8u);
  EXPECT_EQ(decoded.record.timestamp_ns, 9);
  EXPECT_EQ(decoded.record.payload, R"({"b":1.5E0})");
}

TEST(LogRecordTest, ATrailingMemberIsNotTakenForPartOfThePayload) {
  // Our prefix and a final brace, but a duplicate "payload" after the first: the text between is no value.
  const DecodedLogRecord decoded =
      DecodeLogRecord(Frame(R"({"offset":1,"timestamp":2,"type":"t","payload":{"a":1},"payload":5})"));
  ASSERT_EQ(decoded.outcome, LogFrame::Outcome::kComplete) << decoded.problem;
  EXPECT_NE(decoded.record.payload, R"({"a":1},"payload":5)");
}

}  // namespace
}  // namespace armorclaw::eventbus
