// RFC 6455 §5.6 and §8.1 over a raw socket: text messages must be UTF-8 (RFC 3629), whole and in fragments,
// and the server fails a connection as soon as the text cannot be UTF-8. Each case names the section it
// checks; docs/security.md lists them all.
#include <string>

#include "absl/strings/str_cat.h"
#include "bench/ws_frame.h"
#include "common/string_view_compat.h"
#include "gtest/gtest.h"
#include "tests/conformance/conformance_fixture.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace op = bench::opcode;

using Utf8Test = UpgradedTest;

// A subscribe whose room id holds `text`: a message the server reads to its end.
std::string SubscribeTo(std::string_view text) {
  return absl::StrCat(R"({"type":"subscribe","data":{"filter":{"room_id":"!)", ToAbsl(text), R"(:example.org"}}})");
}

// RFC 6455 §5.6: multi-byte UTF-8 (2, 3 and 4 bytes) is valid text.
TEST_F(Utf8Test, MultibyteTextIsAccepted) {
  client_.Send(ClientFrame(kFin | op::kText, SubscribeTo("κόσμε-€-𝄞")));
  EXPECT_NE(client_.ReadText().find(R"("type":"subscribed")"), std::string::npos);
}

// RFC 6455 §5.6: validity is a property of the message, not of each frame: a code point split across
// fragments is valid.
TEST_F(Utf8Test, CodePointSplitAcrossFragmentsIsAccepted) {
  const std::string text = SubscribeTo("κ");
  const size_t split = text.find("\xba");  // the second byte of κ (CE BA)
  client_.Send(absl::StrCat(ClientFrame(op::kText, text.substr(0, split)),
                            ClientFrame(kFin | op::kContinuation, text.substr(split))));
  EXPECT_NE(client_.ReadText().find(R"("type":"subscribed")"), std::string::npos);
}

// RFC 6455 §8.1, §7.4.1: invalid UTF-8 in a text message fails the connection with 1007.
TEST_F(Utf8Test, InvalidByteIsClosedWith1007) {
  client_.Send(ClientFrame(kFin | op::kText, SubscribeTo("\xff")));
  ExpectFailedWith(client_, 1007);
}

// RFC 6455 §8.1 (RFC 3629 §3): an overlong encoding ("/" as C0 AF) is not UTF-8.
TEST_F(Utf8Test, OverlongEncodingIsClosedWith1007) {
  client_.Send(ClientFrame(kFin | op::kText, SubscribeTo("\xc0\xaf")));
  ExpectFailedWith(client_, 1007);
}

// RFC 6455 §8.1 (RFC 3629 §3): UTF-16 surrogates (U+D800) are not UTF-8.
TEST_F(Utf8Test, SurrogateIsClosedWith1007) {
  client_.Send(ClientFrame(kFin | op::kText, SubscribeTo("\xed\xa0\x80")));
  ExpectFailedWith(client_, 1007);
}

// RFC 6455 §8.1 (RFC 3629 §3): nothing above U+10FFFF.
TEST_F(Utf8Test, CodePointAbove10FFFFIsClosedWith1007) {
  client_.Send(ClientFrame(kFin | op::kText, SubscribeTo("\xf4\x90\x80\x80")));
  ExpectFailedWith(client_, 1007);
}

// RFC 6455 §8.1: a message ending inside a code point is not UTF-8.
TEST_F(Utf8Test, MessageEndingInsideACodePointIsClosedWith1007) {
  client_.Send(ClientFrame(kFin | op::kText, "\xce"));
  ExpectFailedWith(client_, 1007);
}

// RFC 6455 §8.1: the server fails the connection as soon as the text cannot be UTF-8, without waiting for
// the message to end (here it never does).
TEST_F(Utf8Test, InvalidFirstFragmentIsClosedWith1007WithoutWaitingForTheRest) {
  client_.Send(ClientFrame(op::kText, "{\"type\":\"\xff"));
  ExpectFailedWith(client_, 1007);
}

// RFC 6455 §5.6: binary data is not text and is not checked as UTF-8; the protocol refuses it with an
// error instead (docs/error-catalog.md, invalid_message).
TEST_F(Utf8Test, BinaryMessageIsNotCheckedAsUtf8) {
  client_.Send(ClientFrame(kFin | op::kBinary, "\xff\xfe\xc0\xaf"));
  ExpectError(client_, "invalid_message");
  ExpectUsable(client_);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
