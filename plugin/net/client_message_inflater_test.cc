#include "plugin/net/client_message_inflater.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "plugin/net/frame_header_reader.h"
#include "tests/support/client_frames.h"
#include "tests/support/deflate_frames.h"

namespace armorclaw::eventbus {
namespace {

using testing::DeflateMessage;
using testing::HandMadeFrame;

// Those the inflater needs are FrameHeader's; these two only the tests.
constexpr uint8_t kRsv2 = 0x20;
constexpr uint8_t kPing = 0x9;
constexpr uint64_t kLimit = 64 * 1024;

// A frame as Beast reads it.
struct ReadFrame {
  FrameHeader header;
  std::string payload;  // Unmasked.
};

// The frames in `bytes`, parsed with the reader the inflater uses (tested on its own by the guard's tests).
std::vector<ReadFrame> ParseFrames(std::string_view bytes) {
  std::vector<ReadFrame> frames;
  FrameHeaderReader reader;
  size_t i = 0;
  while (i < bytes.size()) {
    while (!reader.Take(static_cast<uint8_t>(bytes.at(i++)))) {
    }
    ReadFrame frame{reader.header(), std::string(bytes.substr(i, reader.header().length))};
    EXPECT_EQ(frame.payload.size(), reader.header().length) << "a frame cut short";
    for (size_t k = 0; k < frame.payload.size(); ++k) frame.payload[k] ^= static_cast<char>(frame.header.mask[k % 4]);
    i += frame.payload.size();
    frames.push_back(frame);
  }
  return frames;
}

// The first frames of a compressed message: its payload cut into `pieces` frames, RSV1 on the first.
std::string CompressedFrames(uint8_t opcode, std::string_view message, size_t pieces) {
  const std::string payload = DeflateMessage(message);
  std::string frames;
  const size_t step = (payload.size() + pieces - 1) / pieces;
  for (size_t at = 0; at < payload.size(); at += step) {
    const bool first = at == 0;
    const bool last = at + step >= payload.size();
    frames += HandMadeFrame(static_cast<uint8_t>((last ? FrameHeader::kFin : 0) |
                                                 (first ? FrameHeader::kRsv1 | opcode : FrameHeader::kContinuation)),
                            std::string_view(payload).substr(at, step));
  }
  return frames;
}

// The message the frames Beast reads carry, checking each is what Beast takes from a client: masked, RSV
// clear, the opcode on the first only, FIN on the last only.
std::string Reassemble(const std::vector<ReadFrame>& frames, uint8_t opcode) {
  std::string message;
  for (size_t i = 0; i < frames.size(); ++i) {
    const FrameHeader& header = frames[i].header;
    EXPECT_TRUE(header.masked);
    EXPECT_EQ(header.reserved(), 0);
    EXPECT_EQ(header.opcode(), i == 0 ? opcode : FrameHeader::kContinuation);
    EXPECT_EQ(header.fin(), i + 1 == frames.size());
    EXPECT_LE(frames[i].payload.size(), ClientMessageInflater::kChunkBytes);
    message += frames[i].payload;
  }
  return message;
}

// Every test runs with the bytes in one piece and one byte at a time: the inflater must not care.
class ClientMessageInflaterTest : public ::testing::TestWithParam<bool> {
 protected:
  // What Beast reads for `bytes`.
  std::string Feed(std::string_view bytes) {
    std::string out;
    if (GetParam()) {
      for (size_t i = 0; i < bytes.size(); ++i) FeedPiece(bytes.substr(i, 1), out);
    } else {
      FeedPiece(bytes, out);
    }
    return out;
  }
  void FeedPiece(std::string_view piece, std::string& out) {
    if (inflater_.Feed(piece, out)) out.append(piece);
  }
  ClientMessageInflater inflater_{kLimit};
};

INSTANTIATE_TEST_SUITE_P(Chunking, ClientMessageInflaterTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ByteByByte" : "Whole";
                         });

TEST_P(ClientMessageInflaterTest, MessageSplitOverFramesIsInflatedIntoPlainFrames) {
  const std::string message = R"({"type":"subscribe","data":{"filter":{"types":["m.room.message"]}}})";
  const std::string out = Feed(CompressedFrames(FrameHeader::kText, message, 3));
  EXPECT_EQ(Reassemble(ParseFrames(out), FrameHeader::kText), message);
  EXPECT_FALSE(inflater_.error());
  EXPECT_FALSE(inflater_.inflating()) << "zlib's state is freed at the end of the message";
}

TEST_P(ClientMessageInflaterTest, LargeMessageComesInChunksAndTheNextMessagePassesUnchanged) {
  std::string message;
  for (int i = 0; message.size() < 50'000; ++i) message += "{\"n\":" + std::to_string(i * 7919 % 100003) + "}";
  const std::string plain = HandMadeFrame(FrameHeader::kFin | FrameHeader::kBinary, "after");
  const std::string out = Feed(CompressedFrames(FrameHeader::kBinary, message, 1) + plain);
  ASSERT_GT(out.size(), plain.size());
  EXPECT_EQ(out.substr(out.size() - plain.size()), plain);
  const std::vector<ReadFrame> frames = ParseFrames(out.substr(0, out.size() - plain.size()));
  EXPECT_GE(frames.size(), 4u) << "50 kB in 16 KiB chunks, then the final frame";
  EXPECT_EQ(Reassemble(frames, FrameHeader::kBinary), message);
}

TEST_P(ClientMessageInflaterTest, EmptyCompressedFramesComeAfterWhatPrecedesThem) {
  const std::string before = HandMadeFrame(FrameHeader::kFin | FrameHeader::kText, R"({"type":"ping"})");
  const std::string message = R"({"type":"ping"})";
  // An empty message, then one whose final frame is an empty continuation.
  const std::string out = Feed(before + HandMadeFrame(FrameHeader::kFin | FrameHeader::kRsv1 | FrameHeader::kText, "") +
                               HandMadeFrame(FrameHeader::kRsv1 | FrameHeader::kText, DeflateMessage(message)) +
                               HandMadeFrame(FrameHeader::kFin | FrameHeader::kContinuation, ""));
  ASSERT_GT(out.size(), before.size());
  EXPECT_EQ(out.substr(0, before.size()), before);
  std::vector<ReadFrame> frames = ParseFrames(out.substr(before.size()));
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(Reassemble({frames.front()}, FrameHeader::kText), "");
  frames.erase(frames.begin());
  EXPECT_EQ(Reassemble(frames, FrameHeader::kText), message);
  EXPECT_FALSE(inflater_.inflating());
}

TEST_P(ClientMessageInflaterTest, ControlFrameBetweenFragmentsPassesUnchanged) {
  const std::string message = R"({"type":"ping","padding":")" + std::string(300, 'p') + R"("})";
  const std::string frames = CompressedFrames(FrameHeader::kText, message, 2);
  const size_t first_frame = 2 + 4 + (DeflateMessage(message).size() + 1) / 2;
  ASSERT_LE(first_frame - 6, 125u);
  const std::string ping = HandMadeFrame(FrameHeader::kFin | kPing, "are you there");
  const std::string out = Feed(frames.substr(0, first_frame) + ping + frames.substr(first_frame));
  std::vector<ReadFrame> read = ParseFrames(out);
  std::vector<ReadFrame> data;
  int pings = 0;
  for (const ReadFrame& frame : read) {
    if (frame.header.opcode() == kPing) {
      ++pings;
      EXPECT_EQ(frame.payload, "are you there");
      EXPECT_NE(out.find(ping), std::string::npos) << "the ping's bytes, mask included, unchanged";
    } else {
      data.push_back(frame);
    }
  }
  EXPECT_EQ(pings, 1);
  EXPECT_EQ(Reassemble(data, FrameHeader::kText), message);
}

TEST_P(ClientMessageInflaterTest, UncompressedMessagesPassUnchangedAndHoldNoInflater) {
  const std::string frames = HandMadeFrame(FrameHeader::kFin | FrameHeader::kText, R"({"type":"ping"})") +
                             HandMadeFrame(FrameHeader::kText, "{\"ty") + HandMadeFrame(FrameHeader::kFin | kPing, "") +
                             HandMadeFrame(FrameHeader::kFin | FrameHeader::kContinuation, "pe\":\"ping\"}") +
                             HandMadeFrame(FrameHeader::kFin | FrameHeader::kBinary, std::string(70'000, 'b'));
  std::string out;
  if (GetParam()) {
    out = Feed(frames);
  } else {
    EXPECT_TRUE(inflater_.Feed(frames, out)) << "no copy when nothing is rewritten";
    EXPECT_TRUE(out.empty());
    out = frames;
  }
  EXPECT_EQ(out, frames);
  EXPECT_FALSE(inflater_.inflating());
}

TEST_P(ClientMessageInflaterTest, InflaterIsHeldOnlyWhileACompressedMessageIsRead) {
  const std::string frames = CompressedFrames(FrameHeader::kText, std::string(2000, 'x'), 2);
  EXPECT_FALSE(inflater_.inflating());
  Feed(frames.substr(0, 10));
  EXPECT_TRUE(inflater_.inflating());
  Feed(frames.substr(10));
  EXPECT_FALSE(inflater_.inflating());
}

TEST_P(ClientMessageInflaterTest, BombIsStoppedJustPastTheLimit) {
  const std::string bomb = CompressedFrames(FrameHeader::kText, std::string(10'000'000, '\0'), 4);
  const std::string close = HandMadeFrame(FrameHeader::kFin | FrameHeader::kClose, std::string("\x03\xe8", 2));
  const std::string out = Feed(bomb + close);
  EXPECT_FALSE(inflater_.error());
  EXPECT_FALSE(inflater_.inflating()) << "zlib's state goes as soon as the limit is passed";
  ASSERT_GT(out.size(), close.size());
  EXPECT_EQ(out.substr(out.size() - close.size()), close) << "what follows the message still passes";
  size_t inflated = 0;
  for (const ReadFrame& frame : ParseFrames(out.substr(0, out.size() - close.size()))) {
    EXPECT_FALSE(frame.header.fin()) << "the message is never completed for Beast";
    inflated += frame.payload.size();
  }
  EXPECT_GT(inflated, kLimit) << "Beast sees the message pass max_message_bytes, and closes with 1009";
  EXPECT_LE(inflated, kLimit + ClientMessageInflater::kChunkBytes);
}

TEST_P(ClientMessageInflaterTest, CorruptDataIsAnErrorAfterWhatCameBefore) {
  const std::string before = HandMadeFrame(FrameHeader::kFin | FrameHeader::kText, R"({"type":"ping"})");
  // 0xFF: a final block of the reserved type 3 (RFC 1951 section 3.2.3).
  const std::string out =
      Feed(before + HandMadeFrame(FrameHeader::kFin | FrameHeader::kRsv1 | FrameHeader::kText, "\xff\xff\xff\xff") +
           HandMadeFrame(FrameHeader::kFin | FrameHeader::kText, "ignored"));
  EXPECT_EQ(inflater_.error(), ClientFrameError::kInvalidCompressedData);
  EXPECT_EQ(out, before);
  EXPECT_FALSE(inflater_.inflating());
}

TEST_P(ClientMessageInflaterTest, MalformedFramesPassUnchangedForBeastToRefuse) {
  const std::string compressed = DeflateMessage("{}");
  const std::string malformed[] = {
      HandMadeFrame(FrameHeader::kFin | FrameHeader::kRsv1 | FrameHeader::kContinuation,
                    compressed),                                           // RSV1 on a continuation.
      HandMadeFrame(FrameHeader::kFin | FrameHeader::kRsv1 | kPing, "x"),  // RSV1 on a control frame.
      HandMadeFrame(FrameHeader::kFin | FrameHeader::kRsv1 | kRsv2 | FrameHeader::kText, compressed),  // RSV2 as well.
      HandMadeFrame(FrameHeader::kFin | kRsv2 | FrameHeader::kText, "{}"),                             // RSV2 alone.
      HandMadeFrame(FrameHeader::kFin | FrameHeader::kRsv1 | FrameHeader::kText, compressed,
                    testing::LengthForm::kShortest, false),  // Unmasked.
  };
  for (const std::string& frame : malformed) {
    ClientMessageInflater inflater(kLimit);
    std::string out;
    EXPECT_TRUE(inflater.Feed(frame, out));
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(inflater.error());
  }
  // A data frame inside a compressed message ends it: Beast refuses the frame as it would without
  // compression.
  const std::string first = HandMadeFrame(FrameHeader::kRsv1 | FrameHeader::kText, compressed);
  const std::string intruder = HandMadeFrame(FrameHeader::kFin | FrameHeader::kText, "{}");
  const std::string out = Feed(first + intruder);
  EXPECT_EQ(out.substr(out.size() - intruder.size()), intruder);
  EXPECT_FALSE(inflater_.inflating());
}

}  // namespace
}  // namespace armorclaw::eventbus
