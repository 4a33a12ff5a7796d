#include "plugin/net/client_frame_guard.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "tests/support/client_frames.h"

namespace armorclaw::eventbus {
namespace {

constexpr uint8_t kFin = 0x80;
constexpr uint8_t kText = 0x1;
constexpr uint8_t kContinuation = 0x0;
constexpr uint8_t kClose = 0x8;
constexpr uint8_t kPing = 0x9;
constexpr uint8_t kPong = 0xA;
using testing::HandMadeFrame;
using testing::LengthForm;

std::string ClosePayload(uint16_t code, std::string_view reason = {}) {
  return std::string{static_cast<char>(code >> 8), static_cast<char>(code & 0xFF)} + std::string(reason);
}

// The header of a frame announcing 2^63 + 5 bytes, as a client that breaks section 5.2 sends it.
const std::string kMsbSetHeader("\x81\xFF\x80\x00\x00\x00\x00\x00\x00\x05\x01\x02\x03\x04", 14);

void FeedWhole(ClientFrameGuard& guard, std::string_view bytes) { guard.Feed(bytes); }
void FeedByteByByte(ClientFrameGuard& guard, std::string_view bytes) {
  for (char byte : bytes) guard.Feed(std::string_view(&byte, 1));
}

// Every test runs with the bytes in one piece and one byte at a time: the guard must not care.
class ClientFrameGuardTest : public ::testing::TestWithParam<bool> {
 protected:
  void Feed(std::string_view bytes) {
    if (GetParam()) {
      FeedByteByByte(guard_, bytes);
    } else {
      FeedWhole(guard_, bytes);
    }
  }
  ClientFrameGuard guard_;
};

INSTANTIATE_TEST_SUITE_P(Chunking, ClientFrameGuardTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "ByteByByte" : "Whole";
                         });

TEST_P(ClientFrameGuardTest, DataFramesInEveryLengthFormPass) {
  const std::string frames = HandMadeFrame(kFin | kText, "hello") + HandMadeFrame(kFin | kText, std::string(300, 'x')) +
                             HandMadeFrame(kFin | kText, std::string(70000, 'y')) +
                             // Non-minimal forms are Beast's to refuse, not the guard's.
                             HandMadeFrame(kFin | kText, "abc", LengthForm::k16) +
                             HandMadeFrame(kFin | kText, "abc", LengthForm::k64) + HandMadeFrame(kFin | kText, "");
  Feed(frames);
  EXPECT_FALSE(guard_.verdict());
  EXPECT_EQ(guard_.cleared(), frames.size());
}

TEST_P(ClientFrameGuardTest, FragmentsAndControlFramesPass) {
  const std::string frames = HandMadeFrame(kText, "{\"ty") + HandMadeFrame(kFin | kPing, "p") +
                             HandMadeFrame(kContinuation, "pe\":") + HandMadeFrame(kFin | kPong, "") +
                             HandMadeFrame(kFin | kContinuation, "\"ping\"}");
  Feed(frames);
  EXPECT_FALSE(guard_.verdict());
  EXPECT_EQ(guard_.cleared(), frames.size());
}

TEST_P(ClientFrameGuardTest, UnmaskedFramesAreTrackedAndPass) {
  const std::string frames = HandMadeFrame(kFin | kText, "plain", LengthForm::kShortest, false) +
                             HandMadeFrame(kFin | kText, std::string(200, 'z'), LengthForm::kShortest, false);
  Feed(frames);
  EXPECT_FALSE(guard_.verdict());
  EXPECT_EQ(guard_.cleared(), frames.size());
}

TEST_P(ClientFrameGuardTest, LengthWithTheMostSignificantBitSetIsAProtocolError) {
  const std::string before = HandMadeFrame(kFin | kText, "ok") + HandMadeFrame(kFin | kText, std::string(1000, 'a'));
  Feed(before + kMsbSetHeader + "more bytes behind it");
  EXPECT_EQ(guard_.verdict(), ClientFrameError::kProtocolError);
  // The frames before it are Beast's; not one byte of the bad one is.
  EXPECT_EQ(guard_.cleared(), before.size());
}

TEST_P(ClientFrameGuardTest, A64BitLengthIsHeldUntilItsFirstByteIsSeen) {
  const std::string frame = HandMadeFrame(kFin | kText, "abc", LengthForm::k64);
  Feed(frame.substr(0, 2));
  EXPECT_FALSE(guard_.verdict());
  EXPECT_EQ(guard_.cleared(), 0);
  Feed(frame.substr(2, 1));
  EXPECT_EQ(guard_.cleared(), 3);
  Feed(frame.substr(3));
  EXPECT_EQ(guard_.cleared(), frame.size());
  EXPECT_FALSE(guard_.verdict());
}

TEST_P(ClientFrameGuardTest, MaskedClose1014IsAVerdictOnceComplete) {
  const std::string before = HandMadeFrame(kFin | kText, "hi");
  const std::string close = HandMadeFrame(kFin | kClose, ClosePayload(1014, "upstream gone \xce\xba"));
  Feed(before + close.substr(0, close.size() - 1));
  // Held, all of it, until its last byte: until then the reason could still turn out invalid.
  EXPECT_FALSE(guard_.verdict());
  EXPECT_EQ(guard_.cleared(), before.size());
  Feed(close.substr(close.size() - 1));
  EXPECT_EQ(guard_.verdict(), ClientFrameError::kCloseWith1014);
  EXPECT_EQ(guard_.cleared(), before.size());
}

TEST_P(ClientFrameGuardTest, Close1014WithoutAReasonIsAVerdict) {
  Feed(HandMadeFrame(kFin | kClose, ClosePayload(1014)));
  EXPECT_EQ(guard_.verdict(), ClientFrameError::kCloseWith1014);
  EXPECT_EQ(guard_.cleared(), 0);
}

TEST_P(ClientFrameGuardTest, Close1000IsNotAVerdictAndWhatFollowsPasses) {
  const std::string close = HandMadeFrame(kFin | kClose, ClosePayload(1000, "bye"));
  Feed(close.substr(0, 8));  // Header, mask and the code: judged as soon as the code is known.
  EXPECT_EQ(guard_.cleared(), 8);
  // Beast reads nothing after a close, so the guard does not either: not even a 64-bit length with its
  // most significant bit set.
  Feed(close.substr(8) + HandMadeFrame(kFin | kPing, "x") + kMsbSetHeader);
  EXPECT_FALSE(guard_.verdict());
  EXPECT_EQ(guard_.cleared(), close.size() + 7 + kMsbSetHeader.size());
}

TEST_P(ClientFrameGuardTest, OtherCloseCodesAreBeastsToJudge) {
  // 0x03F6 is 1014; codes sharing one of its bytes must not be mistaken for it.
  for (uint16_t code : {1001, 1002, 1013, 1015, 0x03F5, 0x04F6, 3000, 4999}) {
    ClientFrameGuard guard;
    const std::string close = HandMadeFrame(kFin | kClose, ClosePayload(code));
    (GetParam() ? FeedByteByByte : FeedWhole)(guard, close);
    EXPECT_FALSE(guard.verdict()) << code;
    EXPECT_EQ(guard.cleared(), close.size()) << code;
  }
}

TEST_P(ClientFrameGuardTest, Close1014ThatBeastRefusesAnywayIsLeftToBeast) {
  const std::string closes[] = {
      HandMadeFrame(kFin | kClose, ClosePayload(1014, "\xce\xba\xff")),                // Invalid UTF-8 reason.
      HandMadeFrame(kFin | kClose, ClosePayload(1014), LengthForm::kShortest, false),  // Unmasked.
      HandMadeFrame(kClose, ClosePayload(1014)),                                       // Fragmented.
      HandMadeFrame(kFin | 0x40 | kClose, ClosePayload(1014)),                         // RSV1.
      HandMadeFrame(kFin | kClose, ClosePayload(1014, std::string(124, 'r'))),         // Over 125 bytes.
      HandMadeFrame(kFin | kClose, ClosePayload(1014), LengthForm::k16),               // Non-minimal length.
  };
  for (const std::string& close : closes) {
    ClientFrameGuard guard;
    (GetParam() ? FeedByteByByte : FeedWhole)(guard, close);
    EXPECT_FALSE(guard.verdict());
    EXPECT_EQ(guard.cleared(), close.size());
  }
}

TEST_P(ClientFrameGuardTest, BytesAfterAVerdictAreIgnored) {
  Feed(kMsbSetHeader);
  Feed(HandMadeFrame(kFin | kText, "after"));
  EXPECT_EQ(guard_.verdict(), ClientFrameError::kProtocolError);
  EXPECT_EQ(guard_.cleared(), 0);
}

TEST(ClientFrameErrorTest, IsAnErrorCodeOfItsOwnCategory) {
  const boost::system::error_code error = ClientFrameError::kCloseWith1014;
  EXPECT_EQ(error, ClientFrameError::kCloseWith1014);
  EXPECT_NE(error, ClientFrameError::kProtocolError);
  EXPECT_EQ(&error.category(), &ClientFrameCategory());
  EXPECT_EQ(error.message(), "the client closed with 1014 (bad gateway)");
}

TEST(ServerCloseFrameTest, IsAnUnmaskedCloseWithTheCodeBigEndian) {
  EXPECT_EQ(ServerCloseFrame(1014), std::string("\x88\x02\x03\xF6", 4));
  EXPECT_EQ(ServerCloseFrame(1002), std::string("\x88\x02\x03\xEA", 4));
}

}  // namespace
}  // namespace armorclaw::eventbus
