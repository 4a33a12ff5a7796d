#include "plugin/net/permessage_deflate.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

constexpr std::string_view kAnswer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

std::optional<DeflateAgreement> Negotiate(std::vector<std::string_view> headers) {
  return NegotiatePermessageDeflate(headers);
}

// The answer to one Sec-WebSocket-Extensions header, or "(declined)".
std::string AnswerTo(std::string_view header) {
  const auto agreement = Negotiate({header});
  return agreement ? agreement->response : "(declined)";
}

TEST(PermessageDeflateTest, PlainOfferIsAcceptedWithNoContextTakeoverBothWays) {
  const auto agreement = Negotiate({"permessage-deflate"});
  ASSERT_TRUE(agreement);
  EXPECT_EQ(agreement->response, kAnswer);
  EXPECT_EQ(agreement->server_window_bits, 15);
}

TEST(PermessageDeflateTest, NoHeaderOrOtherExtensionsAreDeclined) {
  EXPECT_FALSE(Negotiate({}));
  EXPECT_EQ(AnswerTo(""), "(declined)");
  // Safari's pre-RFC extension and other unknown ones are ignored, not taken for permessage-deflate.
  EXPECT_EQ(AnswerTo("x-webkit-deflate-frame"), "(declined)");
  EXPECT_EQ(AnswerTo("x-webkit-deflate-frame; no_context_takeover, foo"), "(declined)");
}

TEST(PermessageDeflateTest, ChromeAndPythonOffersAreAccepted) {
  // What Chromium and Python websockets send.
  EXPECT_EQ(AnswerTo("permessage-deflate; client_max_window_bits"), kAnswer);
  EXPECT_EQ(AnswerTo("permessage-deflate; client_max_window_bits=12"), kAnswer);
  EXPECT_EQ(AnswerTo("x-webkit-deflate-frame, permessage-deflate; client_max_window_bits"), kAnswer);
}

TEST(PermessageDeflateTest, ServerMaxWindowBitsIsAnsweredAndUsed) {
  for (int bits = 8; bits <= 15; ++bits) {
    const std::string offer = "permessage-deflate; server_max_window_bits=" + std::to_string(bits);
    const auto agreement = Negotiate({offer});
    ASSERT_TRUE(agreement) << offer;
    EXPECT_EQ(agreement->server_window_bits, bits);
    EXPECT_EQ(agreement->response, std::string(kAnswer) + "; server_max_window_bits=" + std::to_string(bits));
  }
  // RFC 7692 section 7.1.2: the value may come as a quoted string.
  EXPECT_EQ(AnswerTo("permessage-deflate; server_max_window_bits=\"10\""),
            std::string(kAnswer) + "; server_max_window_bits=10");
}

TEST(PermessageDeflateTest, ContextTakeoverParametersAreAccepted) {
  EXPECT_EQ(AnswerTo("permessage-deflate; server_no_context_takeover"), kAnswer);
  EXPECT_EQ(AnswerTo("permessage-deflate; client_no_context_takeover"), kAnswer);
  EXPECT_EQ(AnswerTo("permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
                     "server_max_window_bits=10; client_max_window_bits=9"),
            std::string(kAnswer) + "; server_max_window_bits=10");
  EXPECT_EQ(AnswerTo("PerMessage-Deflate; Server_No_Context_Takeover"), kAnswer);
}

TEST(PermessageDeflateTest, InvalidOffersAreDeclined) {
  for (const char* offer : {
           "permessage-deflate; server_max_window_bits=7",
           "permessage-deflate; server_max_window_bits=16",
           "permessage-deflate; server_max_window_bits=010",
           "permessage-deflate; server_max_window_bits=ten",
           "permessage-deflate; server_max_window_bits",  // Its value is required.
           "permessage-deflate; client_max_window_bits=7",
           "permessage-deflate; client_max_window_bits=16",
           "permessage-deflate; server_no_context_takeover=1",  // Takes no value.
           "permessage-deflate; client_no_context_takeover=true",
           "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
           "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
           "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
           "permessage-deflate; client_max_window_bits; client_max_window_bits=10",
           "permessage-deflate; mystery_parameter",
           "permessage-deflate; no_context_takeover",
       }) {
    EXPECT_EQ(AnswerTo(offer), "(declined)") << offer;
  }
}

TEST(PermessageDeflateTest, DeclinedOfferFallsBackToTheNextOne) {
  // Section 5: the offers are in the client's order of preference; one we must decline is skipped.
  EXPECT_EQ(AnswerTo("permessage-deflate; server_max_window_bits=16, permessage-deflate; server_max_window_bits=12, "
                     "permessage-deflate"),
            std::string(kAnswer) + "; server_max_window_bits=12");
  EXPECT_EQ(AnswerTo("permessage-deflate; unknown, permessage-deflate; client_max_window_bits"), kAnswer);
  // Across several header fields too.
  const auto agreement =
      Negotiate({"permessage-deflate; server_max_window_bits=7", "permessage-deflate; server_max_window_bits=9"});
  ASSERT_TRUE(agreement);
  EXPECT_EQ(agreement->server_window_bits, 9);
  EXPECT_EQ(AnswerTo("permessage-deflate; unknown, permessage-deflate; server_max_window_bits=99"), "(declined)");
  EXPECT_EQ(AnswerTo("foo; a=1, permessage-deflate"), kAnswer);
}

TEST(PermessageDeflateTest, SyntaxErrorsDeclineOnlyTheirOwnOffer) {
  EXPECT_EQ(AnswerTo("permessage-deflate; server_max_window_bits=\"10"), "(declined)");  // Unclosed quote.
  EXPECT_EQ(AnswerTo("permessage-deflate; =10"), "(declined)");
  EXPECT_EQ(AnswerTo("permessage-deflate server_no_context_takeover"), "(declined)");
  EXPECT_EQ(AnswerTo("permessage-deflate; server_max_window_bits=\"1,0\", permessage-deflate"), kAnswer);
  // A quoted-string may escape any character.
  EXPECT_EQ(AnswerTo("permessage-deflate; server_max_window_bits=\"1\\1\""),
            std::string(kAnswer) + "; server_max_window_bits=11");
}

}  // namespace
}  // namespace armorclaw::eventbus
