#include "plugin/compressed_frames.h"

#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "tests/support/deflate_frames.h"

namespace armorclaw::eventbus {
namespace {

using testing::InflateMessage;
using testing::ParseServerFrame;
using testing::ServerFrame;

// The Matrix spec's example events, as clients receive them (the bus's envelope around each).
std::vector<std::string> SpecMessages() {
  std::ifstream in(std::string(ARMORCLAW_EVENTBUS_TEST_DATA_DIR) + "/matrix-spec-room-events.jsonl");
  std::vector<std::string> messages;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) messages.push_back(R"({"type":"event","data":{"event":)" + line + R"(,"sequence":1}})");
  }
  return messages;
}

TEST(CompressedFramesTest, FramesInflateToTheMessageForEveryWindowSize) {
  const std::vector<std::string> messages = SpecMessages();
  ASSERT_GT(messages.size(), 10u);
  MessageDeflater deflater;
  size_t compressed = 0;
  for (int bits = kMinWindowBits; bits <= kMaxWindowBits; ++bits) {
    for (const std::string& message : messages) {
      const std::string frame = deflater.Frame(message, bits);
      if (frame.empty()) {
        EXPECT_LT(message.size(), 2 * MessageDeflater::kMinMessageBytes) << "a large message left plain";
        continue;
      }
      ++compressed;
      const ServerFrame parsed = ParseServerFrame(frame);
      EXPECT_EQ(parsed.first_byte, 0xC1) << "FIN, RSV1 and text";
      EXPECT_LT(parsed.payload.size(), message.size());
      EXPECT_EQ(InflateMessage(parsed.payload, bits), message) << "window bits " << bits;
    }
  }
  EXPECT_GT(compressed, messages.size() * 4);
}

TEST(CompressedFramesTest, ShortOrIncompressibleMessagesStayPlain) {
  MessageDeflater deflater;
  EXPECT_EQ(deflater.Frame(std::string(MessageDeflater::kMinMessageBytes - 1, 'a'), 15), "");
  EXPECT_NE(deflater.Frame(std::string(MessageDeflater::kMinMessageBytes, 'a'), 15), "");
  // Random bytes do not compress.
  std::string noise;
  uint32_t state = 12345;
  for (int i = 0; i < 2000; ++i) {
    state = state * 1103515245 + 12345;
    noise += static_cast<char>(state >> 24);
  }
  EXPECT_EQ(deflater.Frame(noise, 15), "");
}

TEST(CompressedFramesTest, LargeMessagesGetExtendedLengths) {
  MessageDeflater deflater;
  std::string message;
  uint32_t state = 1;
  // Words drawn from a small set: compressible, but not to under 64 KiB from 400 KB.
  while (message.size() < 400000) {
    state = state * 1103515245 + 12345;
    message += std::to_string(state >> 16) + ",";
  }
  const std::string frame = deflater.Frame(message, 15);
  ASSERT_FALSE(frame.empty());
  EXPECT_EQ(static_cast<uint8_t>(frame[1]), 127);
  EXPECT_EQ(InflateMessage(ParseServerFrame(frame).payload, 15), message);
}

TEST(CompressedFramesTest, EveryReceiverOfAWindowSizeSharesOneFrame) {
  const std::string message = SpecMessages().at(0) + std::string(300, ' ');
  const std::string plain = "plain frame";
  MessageDeflater deflater;
  CompressedFrames frames;
  const std::string_view first = frames.Wire(message, plain, 15, deflater);
  const std::string_view second = frames.Wire(message, plain, 15, deflater);
  EXPECT_EQ(first.data(), second.data()) << "built once, the same bytes for both";
  EXPECT_EQ(InflateMessage(ParseServerFrame(first).payload, 15), message);
  // Another deflater (another process, say) produces the same bytes: nothing depends on the connection.
  MessageDeflater other;
  EXPECT_EQ(other.Frame(message, 15), first);
  const std::string_view small_window = frames.Wire(message, plain, 9, deflater);
  EXPECT_EQ(InflateMessage(ParseServerFrame(small_window).payload, 9), message);
  EXPECT_EQ(frames.Wire("short", plain, 15, deflater).data(), first.data()) << "kept, not rebuilt";
  // What the history counts for them (RetainedEvents::BytesOf): each frame built, once.
  EXPECT_EQ(frames.bytes(), first.size() + small_window.size());
  CompressedFrames short_message;
  EXPECT_EQ(short_message.Wire("short", plain, 15, deflater), plain);
  EXPECT_EQ(short_message.bytes(), 0u) << "plain: nothing of its own";
}

}  // namespace
}  // namespace armorclaw::eventbus
