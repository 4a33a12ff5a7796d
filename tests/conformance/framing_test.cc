// RFC 6455 §5.1-5.3 and §5.6 over a raw socket: length encodings, masking, reserved bits and opcodes.
// Each case names the section it checks; docs/security.md lists them all.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/ws_frame.h"
#include "common/string_view_compat.h"
#include "gtest/gtest.h"
#include "tests/conformance/conformance_fixture.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace op = bench::opcode;

using FramingTest = UpgradedTest;
using ReservedBitsTest = UpgradedTest;
using OpcodesTest = UpgradedTest;

// RFC 6455 §5.2: a payload under 126 bytes has its length in the second byte.
TEST_F(FramingTest, SevenBitLengthMessageIsAnswered) {
  client_.Send(ClientFrame(kFin | op::kText, kPing));
  const Frame answer = client_.ReadFrame();
  EXPECT_TRUE(answer.fin);
  EXPECT_EQ(answer.opcode, op::kText);
  EXPECT_EQ(answer.payload, kPong);
}

// RFC 6455 §5.2: 126 announces a 16-bit length.
TEST_F(FramingTest, SixteenBitLengthMessageIsAnswered) {
  client_.Send(ClientFrame(kFin | op::kText, PingOfSize(1000)));
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §5.2: 127 announces a 64-bit length.
TEST_F(FramingTest, SixtyFourBitLengthMessageIsAnswered) {
  client_.Send(ClientFrame(kFin | op::kText, PingOfSize(70000)));
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §5.2: framing does not depend on how TCP segments the bytes.
TEST_F(FramingTest, MessageSentByteByByteIsAnswered) {
  client_.SendByteByByte(ClientFrame(kFin | op::kText, kPing));
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §5.2: several frames in one TCP segment are several messages, answered in order.
TEST_F(FramingTest, SeveralMessagesInOneWriteAreAnsweredInOrder) {
  client_.Send(absl::StrCat(ClientFrame(kFin | op::kText, kPing),
                            ClientFrame(kFin | op::kText, R"({"type":"unsubscribe","data":{"subscriber_id":"x"}})"),
                            ClientFrame(kFin | op::kText, kPing)));
  EXPECT_EQ(client_.ReadText(), kPong);
  ExpectError(client_, "not_found");
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §5.1, §7.4.1: a server must fail the connection on an unmasked client frame, with 1002.
TEST_F(FramingTest, UnmaskedFrameIsClosedWith1002) {
  client_.Send(absl::StrCat("\x81", std::string(1, static_cast<char>(kPing.size())), ToAbsl(kPing)));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2: "the most significant bit MUST be 0" in a 64-bit length; breaking that is a protocol
// error (1002), not a message that is too big (1009).
TEST_F(FramingTest, LengthWithTheMostSignificantBitSetIsClosedWith1002) {
  client_.Send(std::string("\x81\xFF\x80\x00\x00\x00\x00\x00\x00\x05\x01\x02\x03\x04", 14));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.6: an empty text message is a message; the protocol answers that it is not JSON.
TEST_F(FramingTest, EmptyTextMessageGetsInvalidMessageAndTheConnectionStaysUsable) {
  client_.Send(ClientFrame(kFin | op::kText, ""));
  ExpectError(client_, "invalid_message");
  ExpectUsable(client_);
}

// RFC 6455 §5.2: RSV1-3 must be 0 unless an extension defining them was negotiated (this client offered none).
TEST_F(ReservedBitsTest, Rsv1OnATextFrameIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | kRsv1 | op::kText, kPing));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2.
TEST_F(ReservedBitsTest, Rsv2OnATextFrameIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | kRsv2 | op::kText, kPing));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2.
TEST_F(ReservedBitsTest, Rsv3OnATextFrameIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | kRsv3 | op::kText, kPing));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2: control frames too.
TEST_F(ReservedBitsTest, Rsv1OnAPingIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | kRsv1 | op::kPing, "x"));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2: opcodes 0x3-0x7 are reserved for further non-control frames.
TEST_F(OpcodesTest, ReservedDataOpcode3IsClosedWith1002) {
  client_.Send(ClientFrame(kFin | 0x3, kPing));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2.
TEST_F(OpcodesTest, ReservedDataOpcode7IsClosedWith1002) {
  client_.Send(ClientFrame(kFin | 0x7, kPing));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2: opcodes 0xB-0xF are reserved for further control frames.
TEST_F(OpcodesTest, ReservedControlOpcode11IsClosedWith1002) {
  client_.Send(ClientFrame(kFin | 0xB, ""));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.2.
TEST_F(OpcodesTest, ReservedControlOpcode15IsClosedWith1002) {
  client_.Send(ClientFrame(kFin | 0xF, ""));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.6: binary is a valid frame type; the protocol (JSON text) refuses it with an error, and
// the connection goes on (docs/error-catalog.md, invalid_message).
TEST_F(OpcodesTest, BinaryMessageGetsInvalidMessageAndTheConnectionStaysUsable) {
  client_.Send(ClientFrame(kFin | op::kBinary, kPing));
  ExpectError(client_, "invalid_message");
  ExpectUsable(client_);
  ExpectBystanderServed();
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
