// RFC 6455 §5.5 over a raw socket: pings, pongs and the closing handshake, with every close code a client
// may send. Each case names the section it checks; docs/security.md lists them all.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/ws_frame.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/conformance/conformance_fixture.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace op = bench::opcode;

using PingPongTest = UpgradedTest;
using CloseTest = UpgradedTest;

// RFC 6455 §5.5.2, §5.5.3: a pong answers a ping with the same application data.
TEST_F(PingPongTest, EmptyPingGetsAnEmptyPong) {
  client_.Send(ClientFrame(kFin | op::kPing, ""));
  const Frame pong = client_.ReadFrame();
  EXPECT_EQ(pong.opcode, op::kPong);
  EXPECT_TRUE(pong.fin);
  EXPECT_EQ(pong.payload, "");
}

// RFC 6455 §5.5, §5.5.3: the largest control payload (125 bytes), any bytes (not text), echoed exactly.
TEST_F(PingPongTest, PongEchoesA125BytePayloadByteForByte) {
  std::string payload;
  for (int i = 0; i < 125; ++i) payload.push_back(static_cast<char>(0xFF - i * 2));
  client_.Send(ClientFrame(kFin | op::kPing, payload));
  const Frame pong = client_.ReadFrame();
  EXPECT_EQ(pong.opcode, op::kPong);
  EXPECT_EQ(pong.payload, payload);
}

// RFC 6455 §5.5.2: every ping is answered, in order.
TEST_F(PingPongTest, TenPingsGetTenPongsInOrder) {
  std::string pings;
  for (int i = 0; i < 10; ++i) pings += ClientFrame(kFin | op::kPing, absl::StrCat("ping-", i));
  client_.Send(pings);
  for (int i = 0; i < 10; ++i) {
    const Frame pong = client_.ReadFrame();
    EXPECT_EQ(pong.opcode, op::kPong);
    EXPECT_EQ(pong.payload, absl::StrCat("ping-", i));
  }
}

// RFC 6455 §5.5.3: an unsolicited pong is allowed and needs no answer.
TEST_F(PingPongTest, UnsolicitedPongIsIgnored) {
  client_.Send(absl::StrCat(ClientFrame(kFin | op::kPong, "unasked"), ClientFrame(kFin | op::kText, kPing)));
  EXPECT_EQ(client_.ReadText(), kPong);
  ExpectUsable(client_);
}

// RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes or less".
TEST_F(PingPongTest, PingOver125BytesIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | op::kPing, std::string(126, 'p')));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.5: "All control frames ... MUST NOT be fragmented".
TEST_F(PingPongTest, FragmentedPingIsClosedWith1002) {
  client_.Send(ClientFrame(op::kPing, "frag"));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.5.1: the server answers a close with a close (echoing the code) and then, being the server,
// closes the TCP connection (§7.1.1).
TEST_F(CloseTest, NormalCloseIsEchoedAndTheServerClosesTcp) {
  client_.Send(ClientFrame(kFin | op::kClose, ClosePayload(1000)));
  const Ending ending = client_.ReadUntilClosed();
  EXPECT_EQ(ending.code, 1000);
  EXPECT_EQ(ending.before.size(), 0u);
  EXPECT_EQ(ending.after_close, "");
}

// RFC 6455 §5.5.1: a close without a body is valid and is answered with a close; with no code to echo,
// the answer may carry none (1005, §7.4.1) or 1000.
TEST_F(CloseTest, EmptyCloseIsAnsweredWithAClose) {
  client_.Send(ClientFrame(kFin | op::kClose, ""));
  const Ending ending = client_.ReadUntilClosed();
  EXPECT_THAT(ending.code, ::testing::AnyOf(1000, 1005));
  EXPECT_EQ(ending.after_close, "");
}

// RFC 6455 §7.4.1, §7.4.2: the codes defined for use in a close frame, and the ranges 3000-4999, are
// echoed; a UTF-8 reason (§5.5.1) is allowed.
TEST(CloseCodesTest, EveryValidCodeIsEchoed) {
  RunningPlugin plugin;
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 3000, 3999, 4000, 4999}) {
    RawWsClient client(plugin.url());
    client.Upgrade();
    client.Send(ClientFrame(kFin | op::kClose, ClosePayload(static_cast<uint16_t>(code), "bye, κόσμε")));
    EXPECT_EQ(client.ReadUntilClosed().code, code);
  }
}

// RFC 6455 §7.4.2 and the IANA registry it sets up: 1014 (Bad Gateway) is a registered code a peer may
// send; it is echoed like the others, not treated as a protocol error.
TEST_F(CloseTest, Code1014IsEchoed) {
  client_.Send(ClientFrame(kFin | op::kClose, ClosePayload(1014)));
  EXPECT_EQ(client_.ReadUntilClosed().code, 1014);
}

// RFC 6455 §7.4.1, §7.4.2: 0-999 are unused, 1004-1006 and 1015 must not be sent, 1016-2999 are
// reserved: a close carrying one is a protocol error.
TEST(CloseCodesTest, InvalidCodesAreClosedWith1002) {
  RunningPlugin plugin;
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999}) {
    RawWsClient client(plugin.url());
    client.Upgrade();
    client.Send(ClientFrame(kFin | op::kClose, ClosePayload(static_cast<uint16_t>(code))));
    EXPECT_EQ(client.ReadUntilClosed().code, 1002) << "close code " << code;
  }
}

// RFC 6455 §5.5.1: a close body starts with a two-byte code; one byte is malformed.
TEST_F(CloseTest, OneBytePayloadIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | op::kClose, "\x03"));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.5.1, §8.1: the reason must be UTF-8; a close with an invalid one fails the connection.
TEST_F(CloseTest, InvalidUtf8ReasonIsAProtocolError) {
  client_.Send(ClientFrame(kFin | op::kClose, ClosePayload(1000, "\xce\xba\xff")));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.5: a close is a control frame, at most 125 bytes.
TEST_F(CloseTest, CloseOver125BytesIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | op::kClose, ClosePayload(1000, std::string(124, 'r'))));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.5: control frames are never fragmented.
TEST_F(CloseTest, FragmentedCloseIsClosedWith1002) {
  client_.Send(ClientFrame(op::kClose, ClosePayload(1000)));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.5.1: after the close nothing is processed: a ping message right behind it gets no answer.
TEST_F(CloseTest, NothingSentAfterTheClientsCloseIsAnswered) {
  client_.Send(absl::StrCat(ClientFrame(kFin | op::kClose, ClosePayload(1000)), ClientFrame(kFin | op::kText, kPing)));
  const Ending ending = client_.ReadUntilClosed();
  EXPECT_EQ(ending.code, 1000);
  EXPECT_EQ(ending.before.size(), 0u);
  EXPECT_EQ(ending.after_close, "");
}

// RFC 6455 §7.1.1: once closed the connection is gone, and with it the client's subscriptions.
TEST_F(CloseTest, ClientCloseFreesItsSubscriptions) {
  client_.Send(ClientFrame(kFin | op::kText, R"({"type":"subscribe"})"));
  ASSERT_NE(client_.ReadText().find("subscribed"), std::string::npos);
  EXPECT_EQ(plugin_.Stat("subscriptions_active"), 2u);  // the bystander's and this one
  client_.Send(ClientFrame(kFin | op::kClose, ClosePayload(1000)));
  EXPECT_EQ(client_.ReadUntilClosed().code, 1000);
  plugin_.AwaitStat("subscriptions_active", 1);
  ExpectBystanderServed();
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
