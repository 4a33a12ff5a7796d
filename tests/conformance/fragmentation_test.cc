// RFC 6455 §5.4 over a raw socket: messages in fragments, control frames between them, and continuation
// frames out of place. Each case names the section it checks; docs/security.md lists them all.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/ws_frame.h"
#include "gtest/gtest.h"
#include "tests/conformance/conformance_fixture.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace op = bench::opcode;

using FragmentationTest = UpgradedTest;

// RFC 6455 §5.4: a text frame without FIN, then a final continuation, is one message.
TEST_F(FragmentationTest, TextInTwoFragmentsIsOneMessage) {
  client_.Send(absl::StrCat(ClientFrame(op::kText, R"({"type":)"),
                            ClientFrame(kFin | op::kContinuation, R"("ping"})")));
  EXPECT_EQ(client_.ReadText(), kPong);
  ExpectUsable(client_);
}

// RFC 6455 §5.4: any number of fragments, down to one byte each.
TEST_F(FragmentationTest, TextInOneByteFragmentsIsOneMessage) {
  std::string frames = ClientFrame(op::kText, kPing.substr(0, 1));
  for (size_t i = 1; i + 1 < kPing.size(); ++i) frames += ClientFrame(op::kContinuation, kPing.substr(i, 1));
  frames += ClientFrame(kFin | op::kContinuation, kPing.substr(kPing.size() - 1));
  client_.Send(frames);
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §5.4: fragments may be empty.
TEST_F(FragmentationTest, EmptyFragmentsAreAllowed) {
  client_.Send(absl::StrCat(ClientFrame(op::kText, ""), ClientFrame(op::kContinuation, kPing),
                            ClientFrame(kFin | op::kContinuation, "")));
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §5.4: control frames may come between fragments and are answered at once (§5.5.2), before the
// message they interrupt is complete.
TEST_F(FragmentationTest, PingBetweenFragmentsIsAnsweredBeforeTheMessageCompletes) {
  client_.Send(absl::StrCat(ClientFrame(op::kText, R"({"type":)"), ClientFrame(kFin | op::kPing, "between")));
  const Frame pong = client_.ReadFrame();
  EXPECT_EQ(pong.opcode, op::kPong);
  EXPECT_EQ(pong.payload, "between");
  client_.Send(ClientFrame(kFin | op::kContinuation, R"("ping"})"));
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §5.4: a continuation frame continues a message; with none started it is a protocol error.
TEST_F(FragmentationTest, ContinuationWithoutAMessageIsClosedWith1002) {
  client_.Send(ClientFrame(kFin | op::kContinuation, kPing));
  ExpectFailedWith(client_, 1002);
}

// RFC 6455 §5.4: a fragmented message runs to its final continuation; a new text frame inside it is a
// protocol error.
TEST_F(FragmentationTest, NewTextFrameInsideAFragmentedMessageIsClosedWith1002) {
  client_.Send(absl::StrCat(ClientFrame(op::kText, R"({"type":)"), ClientFrame(kFin | op::kText, kPing)));
  ExpectFailedWith(client_, 1002);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
