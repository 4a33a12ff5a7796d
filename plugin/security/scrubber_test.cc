#include "plugin/security/scrubber.h"

#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "boost/json/value.hpp"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

const Scrubber& TheScrubber() {
  static const Scrubber* const scrubber = new Scrubber(Scrubber::Create().value());
  return *scrubber;
}

std::string Scrubbed(std::string text) {
  TheScrubber().ScrubString(text);
  return text;
}

// Scrubbing the output again must change nothing, and say so.
void ExpectIdempotent(const std::string& scrubbed) {
  std::string again = scrubbed;
  EXPECT_FALSE(TheScrubber().ScrubString(again)) << scrubbed;
  EXPECT_EQ(again, scrubbed);
}

const std::string kJwt =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
const std::string kGithubClassic = "ghp_" + std::string("aB3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5");
const std::string kGithubFineGrained =
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456";

struct ScrubCase {
  std::string name;
  std::string input;
  std::string expected;
};

class ScrubStringTest : public ::testing::TestWithParam<ScrubCase> {};

TEST_P(ScrubStringTest, ReplacesExactlyThePii) {
  std::string text = GetParam().input;
  const bool changed = TheScrubber().ScrubString(text);
  EXPECT_EQ(text, GetParam().expected);
  EXPECT_EQ(changed, GetParam().input != GetParam().expected);
  ExpectIdempotent(text);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ScrubStringTest,
    ::testing::Values(
        // E-mail.
        ScrubCase{"EmailInSentence", "mail me at alice@example.com today", "mail me at [REDACTED_EMAIL] today"},
        ScrubCase{"EmailTagAndSubdomain", "first.last+tag@sub.example.co.uk.", "[REDACTED_EMAIL]."},
        ScrubCase{"TwoEmails", "Alice_99@Example-Mail.org, bob@x.io", "[REDACTED_EMAIL], [REDACTED_EMAIL]"},
        ScrubCase{"EmailInAngleBrackets", "From: Bob <bob.smith@corp.example>", "From: Bob <[REDACTED_EMAIL]>"},
        ScrubCase{"MatrixUserIdIsNotEmail", "@alice:example.org", "@alice:example.org"},
        ScrubCase{"MentionIsNotEmail", "ping @bob:matrix.org about it", "ping @bob:matrix.org about it"},
        ScrubCase{"EmailWithoutDomainDot", "root@localhost", "root@localhost"},
        // Phone numbers.
        ScrubCase{"PhoneInternationalSpaces", "call +1 415 555 2671 now", "call [REDACTED_PHONE] now"},
        ScrubCase{"PhoneE164", "+14155552671", "[REDACTED_PHONE]"},
        ScrubCase{"PhoneUk", "+44 20 7946 0958.", "[REDACTED_PHONE]."},
        ScrubCase{"PhoneTrunkInParentheses", "+49 (0)30 1234567", "[REDACTED_PHONE]"},
        ScrubCase{"PhoneDashes", "+33-1-23-45-67-89", "[REDACTED_PHONE]"},
        ScrubCase{"PhoneNanpParentheses", "(415) 555-2671", "[REDACTED_PHONE]"},
        ScrubCase{"PhoneNanpDashes", "tel 415-555-2671", "tel [REDACTED_PHONE]"},
        ScrubCase{"PhoneNanpDots", "415.555.2671", "[REDACTED_PHONE]"},
        ScrubCase{"PhoneNanpTollFree", "1-800-555-0199", "[REDACTED_PHONE]"},
        ScrubCase{"PhoneStopsAtFifteenDigits", "+1 415 555 2671 1234 5678", "[REDACTED_PHONE] 5678"},
        ScrubCase{"PhoneThenTollFree", "+49 (0)30 1234567 1-800-555-0199", "[REDACTED_PHONE] [REDACTED_PHONE]"},
        ScrubCase{"BareTenDigitsAreNotPhone", "order 4155552671", "order 4155552671"},
        ScrubCase{"TimestampIsNotPhone", "ts 1432735824653", "ts 1432735824653"},
        ScrubCase{"ShortPlusNumberIsNotPhone", "+12 34", "+12 34"},
        ScrubCase{"ArithmeticIsNotPhone", "C++20 and 3+4=7", "C++20 and 3+4=7"},
        // Card numbers.
        ScrubCase{"CardContiguous", "4111111111111111", "[REDACTED_CREDIT_CARD]"},
        ScrubCase{"CardSpaces", "card 4111 1111 1111 1111 exp", "card [REDACTED_CREDIT_CARD] exp"},
        ScrubCase{"CardDashes", "4111-1111-1111-1111", "[REDACTED_CREDIT_CARD]"},
        ScrubCase{"CardMixedSeparators", "4111-1111 1111-1111", "[REDACTED_CREDIT_CARD]"},
        ScrubCase{"CardMastercard", "5500 0000 0000 0004", "[REDACTED_CREDIT_CARD]"},
        ScrubCase{"CardAmexGrouping", "Amex 3782 822463 10005", "Amex [REDACTED_CREDIT_CARD]"},
        ScrubCase{"CardAtSentenceEnd", "6011111111111117.", "[REDACTED_CREDIT_CARD]."},
        ScrubCase{"CardAfterOtherNumber", "12 4111 1111 1111 1111", "12 [REDACTED_CREDIT_CARD]"},
        ScrubCase{"CardFailsLuhn", "4111111111111112", "4111111111111112"},
        ScrubCase{"CardGroupsFailLuhn", "4111 1111 1111 1112", "4111 1111 1111 1112"},
        ScrubCase{"LuhnValidTimestampIsNotCard", "at 1732735824432", "at 1732735824432"},
        ScrubCase{"LuhnValidStartingWithOneIsNotCard", "1234567812345670", "1234567812345670"},
        ScrubCase{"CardGluedToLetters", "ID4111111111111111", "ID4111111111111111"},
        ScrubCase{"CardDigitsAfterDecimalPoint", "0.4111111111111111", "0.4111111111111111"},
        ScrubCase{"SmallNumberListIsNotCard", "2 3 4 5 6 7 8 9 10 11 12 13", "2 3 4 5 6 7 8 9 10 11 12 13"},
        // SSN.
        ScrubCase{"Ssn", "SSN 123-45-6789", "SSN [REDACTED_SSN]"},
        ScrubCase{"SsnAtSentenceEnd", "078-05-1120.", "[REDACTED_SSN]."},
        ScrubCase{"SsnTooLong", "123-45-67890", "123-45-67890"},
        ScrubCase{"SsnInLongerCode", "123-45-6789-0", "123-45-6789-0"},
        ScrubCase{"DateIsNotSsn", "2026-11-27", "2026-11-27"},
        // IPv4.
        ScrubCase{"Ipv4", "from 10.0.0.1", "from [REDACTED_IP]"},
        ScrubCase{"Ipv4WithPort", "server 192.168.1.254:8448", "server [REDACTED_IP]:8448"},
        ScrubCase{"Ipv4Broadcast", "255.255.255.255.", "[REDACTED_IP]."},
        ScrubCase{"Ipv4Cidr", "route 172.16.0.0/12", "route [REDACTED_IP]/12"},
        ScrubCase{"Ipv4OctetOutOfRange", "256.1.2.3", "256.1.2.3"},
        ScrubCase{"Ipv4FiveParts", "1.2.3.4.5", "1.2.3.4.5"},
        ScrubCase{"VersionThreeParts", "release 1.2.3", "release 1.2.3"},
        ScrubCase{"VersionWithV", "v2.10.4 and v1.2.3.4", "v2.10.4 and v1.2.3.4"},
        // IPv6.
        ScrubCase{"Ipv6Compressed", "2001:db8::1", "[REDACTED_IP]"},
        ScrubCase{"Ipv6Full", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "[REDACTED_IP]"},
        ScrubCase{"Ipv6LinkLocalWithZone", "fe80::1ff:fe23:4567:890a%eth0", "[REDACTED_IP]%eth0"},
        ScrubCase{"Ipv6BracketedWithPort", "[2001:db8::ff00:42:8329]:443", "[[REDACTED_IP]]:443"},
        ScrubCase{"Ipv6MappedIpv4", "::ffff:192.0.2.128", "[REDACTED_IP]"},
        ScrubCase{"CppScopeIsNotIpv6", "std::vector and a::b", "std::vector and a::b"},
        ScrubCase{"SliceIsNotIpv6", "x[1::2]", "x[1::2]"},
        ScrubCase{"TimeIsNotIpv6", "12:34:56", "12:34:56"},
        ScrubCase{"MacIsNotIp", "00:1a:2b:3c:4d:5e", "00:1a:2b:3c:4d:5e"},
        // JWT.
        ScrubCase{"BearerJwt", "Authorization: Bearer " + kJwt, "Authorization: Bearer [REDACTED_JWT]"},
        ScrubCase{"LowercaseBearerJwt", "bearer " + kJwt + " ok", "bearer [REDACTED_JWT] ok"},
        ScrubCase{"UnsignedJwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "[REDACTED_JWT]"},
        // GitHub tokens.
        ScrubCase{"GithubClassic", "export GH=" + kGithubClassic, "export GH=[REDACTED_GITHUB_TOKEN]"},
        ScrubCase{"GithubOauth", "gho_16C7e42F292c6912E7710c838347Ae178B4a", "[REDACTED_GITHUB_TOKEN]"},
        ScrubCase{"GithubServer", "ghs_16C7e42F292c6912E7710c838347Ae178B4a.", "[REDACTED_GITHUB_TOKEN]."},
        ScrubCase{"GithubFineGrained", kGithubFineGrained, "[REDACTED_GITHUB_TOKEN]"},
        ScrubCase{"GithubPrefixAlone", "ghp_short", "ghp_short"},
        // AWS access key ids.
        ScrubCase{"AwsAkia", "key AKIAIOSFODNN7EXAMPLE", "key [REDACTED_AWS_KEY]"},
        ScrubCase{"AwsAsia", "ASIAY34FZKBOKMUTVV7A,", "[REDACTED_AWS_KEY],"},
        ScrubCase{"AwsTooLong", "AKIAIOSFODNN7EXAMPLEX", "AKIAIOSFODNN7EXAMPLEX"},
        // sk_/pk_ API keys.
        ScrubCase{"StripeSecret", "sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[REDACTED_API_KEY]"},
        ScrubCase{"StripePublishable", "use pk_test_TYooMQauvdEDq54NiTphI7jx here",
                  "use [REDACTED_API_KEY] here"},
        ScrubCase{"SnakeCaseNameIsNotKey", "pk_customer_order_items", "pk_customer_order_items"},
        ScrubCase{"ShortKeyIsNotKey", "sk_test_abc", "sk_test_abc"},
        // password=, token=, secret=.
        ScrubCase{"PasswordEquals", "password=hunter2", "password=[REDACTED]"},
        ScrubCase{"TokenColonSpace", "Token: abc123", "Token: [REDACTED]"},
        ScrubCase{"SecretUppercaseInQuery", "SECRET=s3cr3t&user=bob", "SECRET=[REDACTED]"},
        ScrubCase{"PasswordQuotedJson", R"({"password": "correct horse battery staple"})",
                  R"({"password": "[REDACTED]"})"},
        ScrubCase{"AccessTokenInUrl", "https://app.example/cb?access_token=abc.def-ghi",
                  "https://app.example/cb?access_token=[REDACTED]"},
        ScrubCase{"ClientSecretSingleQuoted", "client_secret: 'x y z'", "client_secret: '[REDACTED]'"},
        ScrubCase{"HeaderToken", "X-Auth-Token: 9f8e7d", "X-Auth-Token: [REDACTED]"},
        ScrubCase{"PasswordInHtml", "<code>password=hunter2</code>", "<code>password=[REDACTED]</code>"},
        ScrubCase{"TokenKeepsWhatItHeld", "token=" + kGithubClassic, "token=[REDACTED_GITHUB_TOKEN]"},
        ScrubCase{"PasswordShapedLikeEmail", "password: alice@example.com", "password: [REDACTED]"},
        ScrubCase{"MatrixUserNamedToken", "@token:example.org", "@token:example.org"},
        ScrubCase{"MatrixAliasNamedSecret", "#top_secret:matrix.org", "#top_secret:matrix.org"},
        ScrubCase{"KeyValueAfterMatrixIdKey", "@bot.token: password=hunter2", "@bot.token: password=[REDACTED]"},
        ScrubCase{"PluralKeyIsNotSecret", "tokens: 3", "tokens: 3"},
        ScrubCase{"PasswordWithoutValue", "password reset link sent", "password reset link sent"},
        // Identifiers and numbers that are not PII.
        ScrubCase{"EventId", "$143273582443PhrSn:example.org", "$143273582443PhrSn:example.org"},
        ScrubCase{"EventIdV4", "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg",
                  "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"},
        ScrubCase{"RoomId", "!OGEhHVWSdvArJzumhm:matrix.org", "!OGEhHVWSdvArJzumhm:matrix.org"},
        ScrubCase{"RoomLinkWithVia", "https://matrix.to/#/!r:example.org/$e?via=example.org",
                  "https://matrix.to/#/!r:example.org/$e?via=example.org"},
        ScrubCase{"CommitHash", "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3",
                  "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3"},
        ScrubCase{"CommitHashDigitRun", "fixed in 1234567890123456789abcdef",
                  "fixed in 1234567890123456789abcdef"},
        ScrubCase{"DateTime", "2026-11-27T12:34:56.789Z", "2026-11-27T12:34:56.789Z"},
        ScrubCase{"ShortNumbers", "room 42, 7 people, 2026", "room 42, 7 people, 2026"},
        ScrubCase{"Empty", "", ""},
        // A value that is exactly an identifier is left alone, whatever a rule would see inside it; one that
        // only starts like one is text.
        ScrubCase{"MxcUri", "mxc://example.org/SEsfnsuifSDFSSEF", "mxc://example.org/SEsfnsuifSDFSSEF"},
        ScrubCase{"MxcUriOnAddressWithPort", "mxc://10.0.0.1:8448/Ab_c-9", "mxc://10.0.0.1:8448/Ab_c-9"},
        ScrubCase{"MxcUriOnIpv6", "mxc://[2001:db8::1]/media", "mxc://[2001:db8::1]/media"},
        ScrubCase{"UserIdWithCardDigits", "@4111111111111111:example.org", "@4111111111111111:example.org"},
        ScrubCase{"RoomIdOnAddress", "!OGEhHVWSdvArJzumhm:10.0.0.1", "!OGEhHVWSdvArJzumhm:10.0.0.1"},
        ScrubCase{"RoomIdV12", "!Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg",
                  "!Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg"},
        ScrubCase{"AliasOnIpv6WithPort", "#ops:[2001:db8::1]:8448", "#ops:[2001:db8::1]:8448"},
        ScrubCase{"EventIdOnAddress", "$143273582443PhrSn:192.168.1.254", "$143273582443PhrSn:192.168.1.254"},
        ScrubCase{"TextAfterMxcUri", "mxc://x/y then alice@example.com and 4111 1111 1111 1111",
                  "mxc://x/y then [REDACTED_EMAIL] and [REDACTED_CREDIT_CARD]"},
        ScrubCase{"MxcUriWithEmailAsMediaId", "mxc://10.0.0.1/alice@example.com",
                  "mxc://[REDACTED_IP]/[REDACTED_EMAIL]"},
        ScrubCase{"MxcUriThenAddress", "mxc://x/y 10.0.0.1", "mxc://x/y [REDACTED_IP]"},
        ScrubCase{"UserIdThenEmail", "@alice:example.org and bob@example.com",
                  "@alice:example.org and [REDACTED_EMAIL]"},
        ScrubCase{"UserIdWithEmailLocalpart", "@bob@example.com:example.org", "@[REDACTED_EMAIL]:example.org"},
        ScrubCase{"UserIdOnAddressThenText", "@4111111111111111:10.0.0.1 hi",
                  "@[REDACTED_CREDIT_CARD]:[REDACTED_IP] hi"},
        // Several kinds, and one replacement exposing another candidate.
        ScrubCase{"Mixed", "Mail alice@example.com or +1 415 555 2671 from 10.0.0.1",
                  "Mail [REDACTED_EMAIL] or [REDACTED_PHONE] from [REDACTED_IP]"},
        ScrubCase{"AddressGluedToEmailIsPartOfIt", "x@host.io1.2.3.4", "[REDACTED_EMAIL]1.2.3.4"},
        ScrubCase{"NumbersRunTogether", "+20 547.4538 61.8413+20 547.4538 61.8413",
                  "[REDACTED_PHONE]+20 547.4538 61.8413"},
        ScrubCase{"ValueTouchingTokenIsPartOfIt", "[REDACTED_IP]10.0.0.1 [REDACTED]4111111111111111",
                  "[REDACTED_IP]10.0.0.1 [REDACTED]4111111111111111"}),
    [](const ::testing::TestParamInfo<ScrubCase>& info) { return info.param.name; });

TEST(ScrubberTest, PatternsCompile) {
  const absl::StatusOr<Scrubber> scrubber = Scrubber::Create();
  EXPECT_TRUE(scrubber.ok()) << scrubber.status();
}

TEST(ScrubberTest, TokensMatchNoRule) {
  for (const char* text :
       {"[REDACTED]", "[REDACTED_EMAIL]", "[REDACTED_PHONE]", "[REDACTED_CREDIT_CARD]", "[REDACTED_SSN]",
        "[REDACTED_IP]", "Bearer [REDACTED_JWT]", "[REDACTED_GITHUB_TOKEN]", "[REDACTED_AWS_KEY]",
        "[REDACTED_API_KEY]", "password=[REDACTED]", "token=\"[REDACTED]\"", "secret: [REDACTED_JWT]",
        "[REDACTED_IP]:[REDACTED_IP]::[REDACTED_PHONE]@[REDACTED_EMAIL].[REDACTED_IP]"}) {
    std::string scrubbed = text;
    EXPECT_FALSE(TheScrubber().ScrubString(scrubbed)) << text;
    EXPECT_EQ(scrubbed, text);
  }
}

// Values glued to each other and to tokens in random ways: a replacement must never uncover something
// that a second pass would replace.
TEST(ScrubberTest, RandomConcatenationsAreIdempotent) {
  const std::vector<std::string> fragments = {
      "alice@example.com", "a@b.io", "+1 415 555 2671", "+49 (0)30 1234567", "1-800-555-0199", "(415) 555-2671",
      "4111 1111 1111 1111", "4111111111111111", "123-45-6789", "10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1",
      "::123", kJwt, kGithubClassic, "AKIAIOSFODNN7EXAMPLE", "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
      "password=hunter2", "token: ", "@alice:example.org", "[REDACTED_IP]", "[REDACTED]", "1.2.3", "12:34:56",
      "1432735824653", "Bearer ", "x", "A", "_", "42", "12345", "(", ")"};
  const std::vector<std::string> glue = {"", "", " ", ".", ":", "-", "+", "@", "=", ",", "::", "'", "\n"};
  std::mt19937 random(20261127);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    const int parts = 1 + static_cast<int>(random() % 8);
    for (int part = 0; part < parts; ++part) {
      text += fragments[random() % fragments.size()];
      text += glue[random() % glue.size()];
    }
    SCOPED_TRACE(text);
    ExpectIdempotent(Scrubbed(text));
  }
}

TEST(ScrubberTest, SharedAcrossThreads) {
  const std::string input = "alice@example.com 4111 1111 1111 1111 from 10.0.0.1 token=abc";
  const std::string expected = "[REDACTED_EMAIL] [REDACTED_CREDIT_CARD] from [REDACTED_IP] token=[REDACTED]";
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int& count : mismatches) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) count += Scrubbed(input) != expected;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// Inputs that make a backtracking engine or a careless retry loop explode. RE2 and the resolvers are
// linear, so these finish; their speed is measured in scrubber_benchmark.cc.
struct HostileCase {
  std::string name;
  std::string input;
};

class HostileInputTest : public ::testing::TestWithParam<HostileCase> {};

TEST_P(HostileInputTest, Finishes) { ExpectIdempotent(Scrubbed(GetParam().input)); }

std::string Repeat(std::string_view unit, size_t bytes) {
  std::string text;
  while (text.size() < bytes) text += unit;
  return text;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, HostileInputTest,
    ::testing::Values(HostileCase{"Digits64KiB", Repeat("0123456789", 64 * 1024)},
                      HostileCase{"LocalPartThenAt", std::string(30000, 'a') + "@"},
                      HostileCase{"LocalPartAtNoDot", std::string(30000, 'a') + "@" + std::string(30000, 'a')},
                      HostileCase{"NestedQuantifierBait", std::string(30000, 'a') + "!"},
                      HostileCase{"DottedDigits", Repeat("1.", 40000)},
                      HostileCase{"ColonHex", Repeat("a1:", 40000)},
                      HostileCase{"DigitGroups", Repeat("4111 ", 40000)},
                      HostileCase{"PlusDigits", Repeat("+1 ", 40000)},
                      HostileCase{"KeyWithoutValue", Repeat("token=", 20000)},
                      HostileCase{"ApiKeyPrefixes", Repeat("sk_aaaaaaaaaaaaaaaaaaaa ", 3000)},
                      HostileCase{"ApiKeysRunTogether", Repeat("sk_aaaaaaaaaaaaaaaa-", 40000)},
                      HostileCase{"Ipv6Candidates", Repeat("::1:", 40000)},
                      HostileCase{"KeysInIdentifiers", Repeat("@a.token:", 40000)},
                      HostileCase{"UnterminatedQuotes", Repeat("token=\"a token='b ", 10000)}),
    [](const ::testing::TestParamInfo<HostileCase>& info) { return info.param.name; });

TEST(ScrubberTest, DigitsMessageIsLeftAlone) {
  const std::string digits = Repeat("0123456789", 64 * 1024);
  std::string text = digits;
  EXPECT_FALSE(TheScrubber().ScrubString(text));
  EXPECT_EQ(text, digits);
}

boost::json::object ParseObject(std::string_view json) { return boost::json::parse(json).as_object(); }

TEST(ScrubEventTest, ScrubsStringsThroughNestedContent) {
  boost::json::object event = ParseObject(R"({
    "type": "m.room.message", "room_id": "!r:example.org", "sender": "@alice:example.org",
    "event_id": "$e:example.org",
    "content": {
      "msgtype": "m.text",
      "body": "mail alice@example.com",
      "nested": {"list": ["10.0.0.1", 4111111111111111, {"deep": "call +1 415 555 2671"}, true, null]},
      "count": 3
    }
  })");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 3u);
  EXPECT_EQ(event, ParseObject(R"({
    "type": "m.room.message", "room_id": "!r:example.org", "sender": "@alice:example.org",
    "event_id": "$e:example.org",
    "content": {
      "msgtype": "m.text",
      "body": "mail [REDACTED_EMAIL]",
      "nested": {"list": ["[REDACTED_IP]", 4111111111111111, {"deep": "call [REDACTED_PHONE]"}, true, null]},
      "count": 3
    }
  })"));
}

TEST(ScrubEventTest, ScrubsThePreviousContentAndTheRedactionReason) {
  boost::json::object event = ParseObject(R"({
    "type": "m.room.topic", "state_key": "", "content": {"topic": "ask ops"},
    "unsigned": {
      "age": 1234, "prev_content": {"topic": "mail alice@example.com"},
      "redacted_because": {"type": "m.room.redaction", "sender": "@mod:example.org",
                           "content": {"reason": "posted 10.0.0.1"}, "unsigned": {"prev_content": "10.0.0.2"}}
    }
  })");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 2u);
  EXPECT_EQ(event, ParseObject(R"({
    "type": "m.room.topic", "state_key": "", "content": {"topic": "ask ops"},
    "unsigned": {
      "age": 1234, "prev_content": {"topic": "mail [REDACTED_EMAIL]"},
      "redacted_because": {"type": "m.room.redaction", "sender": "@mod:example.org",
                           "content": {"reason": "posted [REDACTED_IP]"}, "unsigned": {"prev_content": "10.0.0.2"}}
    }
  })"));
}

TEST(ScrubEventTest, ToleratesUnsignedOfAnyShape) {
  for (const char* json : {R"({"type": "x", "unsigned": "10.0.0.1"})", R"({"type": "x", "unsigned": [1, "10.0.0.1"]})",
                           R"({"type": "x", "unsigned": {"redacted_because": "10.0.0.1"}})",
                           R"({"type": "x", "unsigned": {"prev_content": null}})"}) {
    const boost::json::object original = ParseObject(json);
    boost::json::object event = original;
    EXPECT_EQ(TheScrubber().ScrubEvent(event), 0u) << json;
    EXPECT_EQ(event, original) << json;
  }
}

TEST(ScrubEventTest, LeavesEverythingOutsideContentAlone) {
  const boost::json::object original = ParseObject(R"({
    "type": "m.room.member", "state_key": "bob@example.com", "sender": "@bob:example.org",
    "unsigned": {"note": "10.0.0.1"}, "content": {"membership": "join"}
  })");
  boost::json::object event = original;
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 0u);
  EXPECT_EQ(event, original);
}

TEST(ScrubEventTest, ScrubsTextAfterAnMxcUri) {
  boost::json::object event = ParseObject(R"({
    "type": "m.room.message",
    "content": {"msgtype": "m.text", "body": "mxc://x/y then alice@example.com and 4111 1111 1111 1111"}
  })");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 1u);
  EXPECT_EQ(event.at("content").at("body"), "mxc://x/y then [REDACTED_EMAIL] and [REDACTED_CREDIT_CARD]");
}

// A reaction's key is whatever the user typed; the relation's ids and type are identifiers and stay.
TEST(ScrubEventTest, ScrubsTextInsideRelationsButKeepsTheirIds) {
  boost::json::object event = ParseObject(R"({
    "type": "m.reaction",
    "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$143273582443PhrSn:example.org",
                                 "key": "mail alice@example.com"}}
  })");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 1u);
  EXPECT_EQ(event, ParseObject(R"({
    "type": "m.reaction",
    "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$143273582443PhrSn:example.org",
                                 "key": "mail [REDACTED_EMAIL]"}}
  })"));
}

TEST(ScrubEventTest, LeavesIdentifiersAlone) {
  const boost::json::object original = ParseObject(R"({
    "type": "m.room.message",
    "content": {
      "msgtype": "m.image", "url": "mxc://10.0.0.1/SEsfnsuifSDFSSEF",
      "info": {"thumbnail_url": "mxc://example.org/AKIAIOSFODNN7EXAMPLE"},
      "m.mentions": {"user_ids": ["@4111111111111111:example.org", "@alice:[2001:db8::1]:8448"]},
      "m.relates_to": {
        "rel_type": "m.thread", "event_id": "$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg",
        "m.in_reply_to": {"event_id": "$143273582443PhrSn:10.0.0.2"}
      },
      "via": ["!OGEhHVWSdvArJzumhm:10.0.0.3", "#ops:10.0.0.4"]
    }
  })");
  boost::json::object event = original;
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 0u);
  EXPECT_EQ(event, original);
}

TEST(ScrubEventTest, ScrubsWhatOnlyStartsLikeAnIdentifier) {
  boost::json::object event = ParseObject(R"({
    "type": "m.room.message",
    "content": {
      "url": "mxc://10.0.0.1/alice@example.com", "body": "mxc://x/y 10.0.0.1",
      "formatted_body": "@alice:example.org and bob@example.com",
      "m.relates_to": {"event_id": "$e:example.org 10.0.0.1", "m.in_reply_to": {"note": "alice@example.com"}}
    }
  })");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 5u);
  EXPECT_EQ(event, ParseObject(R"({
    "type": "m.room.message",
    "content": {
      "url": "mxc://[REDACTED_IP]/[REDACTED_EMAIL]", "body": "mxc://x/y [REDACTED_IP]",
      "formatted_body": "@alice:example.org and [REDACTED_EMAIL]",
      "m.relates_to": {"event_id": "$e:example.org [REDACTED_IP]", "m.in_reply_to": {"note": "[REDACTED_EMAIL]"}}
    }
  })"));
}

TEST(ScrubEventTest, NeverChangesKeys) {
  boost::json::object event = ParseObject(R"({
    "type": "x", "content": {"alice@example.com": {"10.0.0.1": "password=hunter2"}}
  })");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 1u);
  EXPECT_EQ(boost::json::serialize(event["content"]),
            R"({"alice@example.com":{"10.0.0.1":"password=[REDACTED]"}})");
}

TEST(ScrubEventTest, ScrubsContentThatIsNotAnObject) {
  boost::json::object event = ParseObject(R"({"type": "x", "content": ["10.0.0.1", "ok"]})");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 1u);
  EXPECT_EQ(boost::json::serialize(event["content"]), R"(["[REDACTED_IP]","ok"])");
}

TEST(ScrubEventTest, EventWithoutContent) {
  boost::json::object event = ParseObject(R"({"type": "m.typing", "room_id": "!r:example.org"})");
  EXPECT_EQ(TheScrubber().ScrubEvent(event), 0u);
}

}  // namespace
}  // namespace armorclaw::eventbus
