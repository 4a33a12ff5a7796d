// The load generator's own pieces: the latency histogram and the WebSocket framing helpers.
#include <cstdint>
#include <string>

#include "bench/latency_histogram.h"
#include "bench/ws_frame.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus::bench {
namespace {

TEST(LatencyHistogramTest, PercentilesAreWithinBucketPrecision) {
  LatencyHistogram h;
  for (int64_t us = 1; us <= 1000; ++us) h.Record(us * 1000);  // 1 µs .. 1 ms, uniform.
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.Percentile(0.5), 500'000, 500'000 / 100);
  EXPECT_NEAR(h.Percentile(0.99), 990'000, 990'000 / 100);
  EXPECT_EQ(h.Percentile(1.0), 1'000'000);  // Clamped to the exact max.
  EXPECT_EQ(h.max(), 1'000'000);
}

TEST(LatencyHistogramTest, ClampsOutOfRangeButKeepsExactMax) {
  LatencyHistogram h;
  h.Record(10);
  h.Record(120'000'000'000);
  EXPECT_EQ(h.below_min(), 1u);
  EXPECT_EQ(h.above_max(), 1u);
  EXPECT_EQ(h.max(), 120'000'000'000);
  EXPECT_NEAR(h.Percentile(0.5), 1'000, 10);  // Reported as the 1 µs bucket.
}

TEST(LatencyHistogramTest, MergedHistogramsAreTheirRecordsTogether) {
  LatencyHistogram fast;
  LatencyHistogram slow;
  LatencyHistogram both;
  for (int64_t us = 1; us <= 900; ++us) {
    fast.Record(us * 1000);
    both.Record(us * 1000);
  }
  for (int64_t ms = 1; ms <= 100; ++ms) {
    slow.Record(ms * 1'000'000);
    both.Record(ms * 1'000'000);
  }
  LatencyHistogram merged;
  merged.Merge(fast);
  merged.Merge(slow);
  EXPECT_EQ(merged.count(), 1000u);
  EXPECT_EQ(merged.max(), 100'000'000);
  EXPECT_EQ(merged.min(), 1'000);
  for (double q : {0.5, 0.9, 0.99, 1.0}) EXPECT_EQ(merged.Percentile(q), both.Percentile(q)) << q;
}

TEST(LatencyHistogramTest, IndexCoversTheRange) {
  EXPECT_GE(LatencyHistogram::Index(LatencyHistogram::kMinNs), 0);
  EXPECT_LT(LatencyHistogram::Index(LatencyHistogram::kMaxNs), 30 * 64);
  for (uint64_t v : {1'000ull, 65'536ull, 999'999ull, 59'999'999'999ull}) {
    const int64_t mid = LatencyHistogram::Midpoint(LatencyHistogram::Index(v));
    EXPECT_NEAR(static_cast<double>(mid), static_cast<double>(v), static_cast<double>(v) / 64) << v;
  }
}

std::string Unmask(const std::string& frame, size_t header) {
  std::string out;
  for (size_t i = header + 4; i < frame.size(); ++i) out += static_cast<char>(frame[i] ^ frame[header + (i - header - 4) % 4]);
  return out;
}

TEST(WsFrameTest, EncodesMaskedClientFramesOfEveryLengthClass) {
  for (size_t length : {0u, 125u, 126u, 65535u, 65536u}) {
    const std::string payload(length, 'a');
    std::string frame(length + kMaxClientHeaderBytes, '\0');
    frame.resize(EncodeClientFrame(opcode::kText, payload, 0x12345678, frame.data()));
    const size_t header = length < 126 ? 2 : length < 65536 ? 4 : 10;
    EXPECT_EQ(frame.size(), header + 4 + length);
    EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0x81);
    EXPECT_TRUE(static_cast<uint8_t>(frame[1]) & 0x80);
    EXPECT_EQ(Unmask(frame, header), payload);
  }
}

TEST(WsFrameTest, ParsesServerHeadersIncrementally) {
  const std::string frame = std::string("\x81\x7e\x01\x00", 4) + std::string(256, 'x');
  FrameHeader h;
  const char* error = nullptr;
  EXPECT_EQ(ParseServerFrameHeader(frame.data(), 1, &h, &error), HeaderStatus::kNeedMore);
  EXPECT_EQ(ParseServerFrameHeader(frame.data(), 3, &h, &error), HeaderStatus::kNeedMore);
  ASSERT_EQ(ParseServerFrameHeader(frame.data(), 4, &h, &error), HeaderStatus::kComplete);
  EXPECT_EQ(h.opcode, opcode::kText);
  EXPECT_TRUE(h.fin);
  EXPECT_EQ(h.header_bytes, 4u);
  EXPECT_EQ(h.payload_bytes, 256u);

  const std::string big("\x02\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
  ASSERT_EQ(ParseServerFrameHeader(big.data(), big.size(), &h, &error), HeaderStatus::kComplete);
  EXPECT_FALSE(h.fin);
  EXPECT_EQ(h.payload_bytes, 65536u);
}

TEST(WsFrameTest, RejectsWhatAServerMustNotSend) {
  FrameHeader h;
  const char* error = nullptr;
  EXPECT_EQ(ParseServerFrameHeader("\x81\x85", 2, &h, &error), HeaderStatus::kInvalid);  // Masked.
  EXPECT_EQ(ParseServerFrameHeader("\xc1\x05", 2, &h, &error), HeaderStatus::kInvalid);  // RSV1.
  // RSV1 once permessage-deflate is negotiated: on a data frame only.
  ASSERT_EQ(ParseServerFrameHeader("\xc1\x05", 2, &h, &error, true), HeaderStatus::kComplete);
  EXPECT_TRUE(h.compressed);
  EXPECT_EQ(ParseServerFrameHeader("\xc9\x05", 2, &h, &error, true), HeaderStatus::kInvalid);  // On a ping.
  EXPECT_EQ(ParseServerFrameHeader("\xa1\x05", 2, &h, &error, true), HeaderStatus::kInvalid);  // RSV2.
  EXPECT_EQ(ParseServerFrameHeader("\x09\x05", 2, &h, &error), HeaderStatus::kInvalid);  // Fragmented ping.
  EXPECT_EQ(ParseServerFrameHeader("\x83\x05", 2, &h, &error), HeaderStatus::kInvalid);  // Reserved opcode.
}

TEST(WsFrameTest, FindsBenchFieldsAndRemembersWhere) {
  const std::string a = R"({"type":"event","data":{"event":{"content":{"bench_i":42,"bench_t":123456789,"body":"x"}}}})";
  const std::string b = R"({"type":"event","data":{"event":{"content":{"bench_i":43,"bench_t":123456999,"body":"x"}}}})";
  size_t hint = 0;
  uint64_t index = 0, time_ns = 0;
  ASSERT_TRUE(FindBenchFields(a.data(), a.size(), &hint, &index, &time_ns));
  EXPECT_EQ(index, 42u);
  EXPECT_EQ(time_ns, 123456789u);
  EXPECT_EQ(hint, a.find("\"bench_i\""));
  ASSERT_TRUE(FindBenchFields(b.data(), b.size(), &hint, &index, &time_ns));
  EXPECT_EQ(index, 43u);
  EXPECT_EQ(time_ns, 123456999u);
  const std::string other = R"({"type":"pong"})";
  EXPECT_FALSE(FindBenchFields(other.data(), other.size(), &hint, &index, &time_ns));
  const std::string truncated = R"({"bench_i":7)";
  EXPECT_FALSE(FindBenchFields(truncated.data(), truncated.size(), &hint, &index, &time_ns));
}

}  // namespace
}  // namespace armorclaw::eventbus::bench
