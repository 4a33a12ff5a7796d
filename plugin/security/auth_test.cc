#include "plugin/security/auth.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/string_view_compat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "openssl/evp.h"
#include "openssl/hmac.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsNull;
using ::testing::Not;
using ::testing::NotNull;
using ::testing::Optional;
using ::testing::StartsWith;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-test-secret";
constexpr std::string_view kHs256 = R"({"alg":"HS256","typ":"JWT"})";
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

std::string Base64Url(std::string_view bytes) { return absl::WebSafeBase64Escape(ToAbsl(bytes)); }

// An HS256 JWS over the given header and claims, computed independently of the code under test.
std::string Jwt(std::string_view header, std::string_view claims, std::string_view secret = kSecret) {
  std::string signing_input = absl::StrCat(Base64Url(header), ".", Base64Url(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &size);
  return absl::StrCat(signing_input, ".", Base64Url(std::string_view(reinterpret_cast<const char*>(mac), size)));
}

std::string ExpiringIn(absl::Duration duration, std::string_view more_claims = "") {
  return absl::StrCat(R"({"exp":)", absl::ToUnixSeconds(kNow + duration), ToAbsl(more_claims), "}");
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "auth_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(std::string_view name, std::string_view content) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }

  std::unique_ptr<Authenticator> WithTokens(std::string_view content) {
    auto authenticator = Authenticator::Create(WriteFile("tokens", content), "");
    EXPECT_TRUE(authenticator.ok()) << authenticator.status();
    return authenticator.ok() ? *std::move(authenticator) : nullptr;
  }

  std::unique_ptr<Authenticator> WithJwt(JwtExpectations expectations = {}) {
    auto authenticator =
        Authenticator::Create("", WriteFile("secret", absl::StrCat(ToAbsl(kSecret), "\n")), std::move(expectations));
    EXPECT_TRUE(authenticator.ok()) << authenticator.status();
    return authenticator.ok() ? *std::move(authenticator) : nullptr;
  }

  std::filesystem::path dir_;
};

// Every refusal must be Unauthenticated, with the given message, and must not echo the token.
void ExpectRefused(const Authenticator& authenticator, std::string_view token, std::string_view message) {
  auto identity = authenticator.Authenticate(token, kNow);
  ASSERT_FALSE(identity.ok()) << "accepted " << token;
  EXPECT_EQ(identity.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ToStd(identity.status().message()), message);
  // A token's secret part is its tail (a JWT's signature); no message may show it.
  if (token.size() >= 8) {
    EXPECT_THAT(std::string(identity.status().message()), Not(HasSubstr(std::string(token.substr(token.size() / 2)))));
  }
}

TEST_F(AuthTest, NothingConfiguredMeansNoAuthenticator) {
  auto authenticator = Authenticator::Create("", "");
  ASSERT_TRUE(authenticator.ok());
  EXPECT_THAT(*authenticator, IsNull());
}

TEST_F(AuthTest, FileTokenWithoutRoomsMayReceiveEverything) {
  auto authenticator = WithTokens("dashboard-token-0000000001\n");
  ASSERT_THAT(authenticator, NotNull());
  auto identity = authenticator->Authenticate("dashboard-token-0000000001", kNow);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "token #1");
  EXPECT_EQ(identity->rooms, std::nullopt);
  EXPECT_EQ(identity->expires, absl::InfiniteFuture());
  EXPECT_TRUE(identity->MayReceive("!any:example.org"));
}

TEST_F(AuthTest, FileTokenWithRoomsIsRestrictedToThem) {
  auto authenticator = WithTokens("tok-aaaaaaaaaaaaaaaa !b:x !a:x\t!b:x\n");
  ASSERT_THAT(authenticator, NotNull());
  auto identity = authenticator->Authenticate("tok-aaaaaaaaaaaaaaaa", kNow);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_THAT(identity->rooms, Optional(ElementsAre("!a:x", "!b:x")));
  EXPECT_TRUE(identity->MayReceive("!a:x"));
  EXPECT_FALSE(identity->MayReceive("!c:x"));
  EXPECT_FALSE(identity->MayReceive(""));
}

TEST_F(AuthTest, CommentsBlankLinesAndCrlfAreSkippedAndLinesAreCounted) {
  auto authenticator = WithTokens(
      "# event bus tokens\r\n"
      "\r\n"
      "   # indented comment\n"
      "first-token-0000000000 !r:x\r\n"
      "\t\n"
      "  second-token-000000000  \n");
  ASSERT_THAT(authenticator, NotNull());
  auto first = authenticator->Authenticate("first-token-0000000000", kNow);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->subject, "token #4");
  EXPECT_THAT(first->rooms, Optional(ElementsAre("!r:x")));
  auto second = authenticator->Authenticate("second-token-000000000", kNow);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->subject, "token #6");
  ExpectRefused(*authenticator, "# event bus tokens", "invalid token");
  ExpectRefused(*authenticator, "first-token-000000000", "invalid token");
  ExpectRefused(*authenticator, "first-token-0000000000 ", "invalid token");
}

TEST_F(AuthTest, EmptyTokensFileRefusesEveryone) {
  auto authenticator = WithTokens("# all tokens revoked\n");
  ASSERT_THAT(authenticator, NotNull());
  ExpectRefused(*authenticator, "anything-at-all-0000000", "invalid token");
  EXPECT_EQ(authenticator->Describe(), "0 tokens from auth_tokens_file");
}

struct BadTokensFile {
  std::string content;
  std::string message;  // After `auth_tokens_file "PATH" `.
};

class TokensFileRejectsTest : public AuthTest, public ::testing::WithParamInterface<BadTokensFile> {};

TEST_P(TokensFileRejectsTest, NamesKeyFileAndLineButNoContent) {
  const std::string path = WriteFile("tokens", GetParam().content);
  auto authenticator = Authenticator::Create(path, "");
  ASSERT_FALSE(authenticator.ok());
  EXPECT_EQ(authenticator.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(authenticator.status().message(), absl::StrCat("auth_tokens_file \"", path, "\" ", GetParam().message));
  EXPECT_THAT(std::string(authenticator.status().message()), Not(HasSubstr("secret")));
}

INSTANTIATE_TEST_SUITE_P(
    BadFiles, TokensFileRejectsTest,
    ::testing::Values(
        BadTokensFile{"secret-token-0000000001 !a:x\n# again\nsecret-token-0000000001 !b:x\n",
                      "line 3: the token of line 1 again (list each token once, with all its rooms)"},
        BadTokensFile{"secret\n", "line 1: the token is shorter than 16 characters"},
        BadTokensFile{"secret-token-\x01-0000000001\n", "line 1: the token has characters other than printable ASCII"},
        BadTokensFile{"secret-t\xc3\xa9ken-0000000001\n",
                      "line 1: the token has characters other than printable ASCII"},
        BadTokensFile{"\nsecret-token-0000000001 !a:x secret-token-part2\n",
                      "line 2: field 3 is not a room id (room ids start with '!' and are at most 255 bytes)"},
        BadTokensFile{absl::StrCat("secret-token-0000000001 !", std::string(255, 'r'), "\n"),
                      "line 1: field 2 is not a room id (room ids start with '!' and are at most 255 bytes)"}));

TEST_F(AuthTest, MissingFilesAreNamed) {
  const std::string missing = (dir_ / "missing").string();
  auto tokens = Authenticator::Create(missing, "");
  ASSERT_FALSE(tokens.ok());
  EXPECT_EQ(tokens.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(tokens.status().message(),
            absl::StrCat("cannot read auth_tokens_file \"", missing, "\": No such file or directory"));
  auto secret = Authenticator::Create("", missing);
  ASSERT_FALSE(secret.ok());
  EXPECT_EQ(secret.status().message(),
            absl::StrCat("cannot read auth_jwt_secret_file \"", missing, "\": No such file or directory"));
  auto directory = Authenticator::Create(dir_.string(), "");
  ASSERT_FALSE(directory.ok());
  EXPECT_THAT(directory.status().message(), HasSubstr("Is a directory"));
}

TEST_F(AuthTest, SecretMustBeLongEnough) {
  for (std::string_view content : {"", "\n", "\r\n"}) {
    const std::string path = WriteFile("secret", content);
    auto authenticator = Authenticator::Create("", path);
    ASSERT_FALSE(authenticator.ok());
    EXPECT_EQ(authenticator.status().message(), absl::StrCat("auth_jwt_secret_file \"", path, "\" is empty"));
  }
  const std::string path = WriteFile("secret", "short-secret-xyz\n");
  auto authenticator = Authenticator::Create("", path);
  ASSERT_FALSE(authenticator.ok());
  EXPECT_EQ(authenticator.status().message(),
            absl::StrCat("auth_jwt_secret_file \"", path,
                         "\" holds a secret shorter than 32 bytes: HS256 needs at least 32 random bytes"));
  // Only one newline is trimmed: two make a 32-byte secret out of 31 bytes and a newline.
  EXPECT_TRUE(Authenticator::Create("", WriteFile("secret", std::string(31, 's') + "\n\n")).ok());
  EXPECT_FALSE(Authenticator::Create("", WriteFile("secret", std::string(31, 's') + "\n")).ok());
}

TEST_F(AuthTest, GoodJwt) {
  auto authenticator = WithJwt();
  ASSERT_THAT(authenticator, NotNull());
  auto identity = authenticator->Authenticate(Jwt(kHs256, ExpiringIn(absl::Hours(1))), kNow);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "jwt");
  EXPECT_EQ(identity->rooms, std::nullopt);
  EXPECT_EQ(identity->expires, kNow + absl::Hours(1) + kJwtClockLeeway);
  // typ is optional, and the secret file's trailing newline is not part of the key.
  EXPECT_TRUE(authenticator->Authenticate(Jwt(R"({"alg":"HS256"})", ExpiringIn(absl::Hours(1))), kNow).ok());
}

TEST_F(AuthTest, JwtSubAndRoomsClaims) {
  auto authenticator = WithJwt();
  ASSERT_THAT(authenticator, NotNull());
  auto identity = authenticator->Authenticate(
      Jwt(kHs256, ExpiringIn(absl::Hours(1), R"(,"sub":"dash\nboard","rooms":["!b:x","!a:x","!b:x"])")), kNow);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->subject, "dash\\nboard");
  EXPECT_THAT(identity->rooms, Optional(ElementsAre("!a:x", "!b:x")));

  ExpectRefused(*authenticator, Jwt(kHs256, ExpiringIn(absl::Hours(1), R"(,"sub":7)")),
                "invalid token: the sub claim is not a string");
  for (std::string_view rooms : {R"([])", R"("!a:x")", R"(["a:x"])", R"([1])", R"(["!a:x",null])"}) {
    ExpectRefused(*authenticator, Jwt(kHs256, ExpiringIn(absl::Hours(1), absl::StrCat(R"(,"rooms":)", ToAbsl(rooms)))),
                  "invalid token: the rooms claim must be a non-empty array of room ids");
  }
}

TEST_F(AuthTest, JwtSignatureIsChecked) {
  auto authenticator = WithJwt();
  ASSERT_THAT(authenticator, NotNull());
  const std::string claims = ExpiringIn(absl::Hours(1));
  ExpectRefused(*authenticator, Jwt(kHs256, claims, "another-secret-of-at-least-32-bytes!!"),
                "invalid token: bad signature");
  // A valid signature moved onto other claims.
  const std::string genuine = Jwt(kHs256, claims);
  const std::string forged = absl::StrCat(Base64Url(kHs256), ".", Base64Url(ExpiringIn(absl::Hours(100))),
                                          genuine.substr(genuine.rfind('.')));
  ExpectRefused(*authenticator, forged, "invalid token: bad signature");
  // Truncated and empty signatures.
  ExpectRefused(*authenticator, genuine.substr(0, genuine.size() - 4), "invalid token: bad signature");
  ExpectRefused(*authenticator, genuine.substr(0, genuine.rfind('.') + 1), "invalid token: bad signature");
}

TEST_F(AuthTest, OnlyHs256IsAccepted) {
  auto authenticator = WithJwt();
  ASSERT_THAT(authenticator, NotNull());
  const std::string claims = ExpiringIn(absl::Hours(1));
  constexpr std::string_view kUnsupported = "invalid token: unsupported JWT alg (only HS256 is accepted)";
  // The classic attack: no signature at all.
  ExpectRefused(*authenticator, absl::StrCat(Base64Url(R"({"alg":"none"})"), ".", Base64Url(claims), "."),
                kUnsupported);
  // Even correctly HMAC-signed, other algs are refused: the alg is ours to choose, not the token's.
  for (std::string_view header : {R"({"alg":"none"})", R"({"alg":"HS512"})", R"({"alg":"RS256"})",
                                  R"({"alg":"hs256"})", R"({"alg":["HS256"]})", R"({"typ":"JWT"})"}) {
    ExpectRefused(*authenticator, Jwt(header, claims), kUnsupported);
  }
  ExpectRefused(*authenticator, Jwt(R"({"alg":"HS256","crit":["exp"]})", claims),
                "invalid token: unsupported JWT header crit");
}

TEST_F(AuthTest, JwtTimes) {
  auto authenticator = WithJwt();
  ASSERT_THAT(authenticator, NotNull());
  ExpectRefused(*authenticator, Jwt(kHs256, ExpiringIn(-absl::Minutes(5))), "token expired");
  ExpectRefused(*authenticator, Jwt(kHs256, ExpiringIn(-kJwtClockLeeway)), "token expired");
  EXPECT_TRUE(authenticator->Authenticate(Jwt(kHs256, ExpiringIn(-kJwtClockLeeway + absl::Seconds(1))), kNow).ok());
  // NumericDate may be fractional.
  EXPECT_TRUE(authenticator->Authenticate(Jwt(kHs256, R"({"exp":1700000100.5})"), kNow).ok());
  ExpectRefused(*authenticator, Jwt(kHs256, R"({"exp":1699999000.5})"), "token expired");

  ExpectRefused(*authenticator, Jwt(kHs256, R"({"sub":"x"})"),
                "invalid token: the exp claim is missing or not a number");
  ExpectRefused(*authenticator, Jwt(kHs256, R"({"exp":"1800000000"})"),
                "invalid token: the exp claim is missing or not a number");

  const int64_t now = absl::ToUnixSeconds(kNow);
  ExpectRefused(*authenticator, Jwt(kHs256, ExpiringIn(absl::Hours(1), absl::StrCat(R"(,"nbf":)", now + 60))),
                "token not yet valid");
  EXPECT_TRUE(
      authenticator->Authenticate(Jwt(kHs256, ExpiringIn(absl::Hours(1), absl::StrCat(R"(,"nbf":)", now + 10))), kNow)
          .ok());
  EXPECT_TRUE(
      authenticator->Authenticate(Jwt(kHs256, ExpiringIn(absl::Hours(1), absl::StrCat(R"(,"nbf":)", now - 10))), kNow)
          .ok());
  ExpectRefused(*authenticator, Jwt(kHs256, ExpiringIn(absl::Hours(1), R"(,"nbf":null)")),
                "invalid token: the nbf claim is not a number");
}

TEST_F(AuthTest, AudienceAndIssuerAreCheckedWhenConfigured) {
  auto strict = WithJwt({"armorclaw-eventbus", "https://auth.example.org"});
  ASSERT_THAT(strict, NotNull());
  const auto claims = [](std::string_view more) { return ExpiringIn(absl::Hours(1), more); };
  constexpr char kIss[] = R"(,"iss":"https://auth.example.org")";
  EXPECT_TRUE(strict->Authenticate(Jwt(kHs256, claims(absl::StrCat(R"(,"aud":"armorclaw-eventbus")", kIss))), kNow).ok());
  EXPECT_TRUE(
      strict->Authenticate(Jwt(kHs256, claims(absl::StrCat(R"(,"aud":["other","armorclaw-eventbus"])", kIss))), kNow)
          .ok());
  ExpectRefused(*strict, Jwt(kHs256, claims(kIss)), "invalid token: the aud claim is missing");
  ExpectRefused(*strict, Jwt(kHs256, claims(absl::StrCat(R"(,"aud":"grafana")", kIss))),
                "invalid token: wrong audience (aud)");
  ExpectRefused(*strict, Jwt(kHs256, claims(absl::StrCat(R"(,"aud":["grafana"])", kIss))),
                "invalid token: wrong audience (aud)");
  ExpectRefused(*strict, Jwt(kHs256, claims(absl::StrCat(R"(,"aud":[])", kIss))), "invalid token: wrong audience (aud)");
  ExpectRefused(*strict, Jwt(kHs256, claims(absl::StrCat(R"(,"aud":["armorclaw-eventbusX"])", kIss))),
                "invalid token: wrong audience (aud)");
  ExpectRefused(*strict, Jwt(kHs256, claims(R"(,"aud":"armorclaw-eventbus")")), "invalid token: the iss claim is missing");
  ExpectRefused(*strict, Jwt(kHs256, claims(R"(,"aud":"armorclaw-eventbus","iss":"https://evil.example.org")")),
                "invalid token: wrong issuer (iss)");
  ExpectRefused(*strict, Jwt(kHs256, claims(R"(,"aud":"armorclaw-eventbus","iss":7)")), "invalid token: wrong issuer (iss)");

  // Without expectations iss is not looked at, but a token meant for some audience is not for us.
  auto lenient = WithJwt();
  ASSERT_THAT(lenient, NotNull());
  EXPECT_TRUE(lenient->Authenticate(Jwt(kHs256, claims(kIss)), kNow).ok());
  ExpectRefused(*lenient, Jwt(kHs256, claims(R"(,"aud":"armorclaw-eventbus")")),
                "invalid token: it names an audience (aud) and this server expects none");
}

TEST_F(AuthTest, MalformedJwts) {
  auto authenticator = WithJwt();
  ASSERT_THAT(authenticator, NotNull());
  const std::string good = Jwt(kHs256, ExpiringIn(absl::Hours(1)));
  // Two segments is not a JWT at all.
  ExpectRefused(*authenticator, good.substr(0, good.rfind('.')), "invalid token");
  ExpectRefused(*authenticator, absl::StrCat(good, ".x"), "invalid token");
  ExpectRefused(*authenticator, absl::StrCat("*", good.substr(1)), "invalid token: malformed JWT");
  // Padding is not base64url as JWS uses it.
  ExpectRefused(*authenticator,
                absl::StrCat(Base64Url(kHs256), "==.", good.substr(good.find('.') + 1)),
                "invalid token: malformed JWT");
  ExpectRefused(*authenticator, absl::StrCat("a", good.substr(good.find('.'))), "invalid token: malformed JWT");
  ExpectRefused(*authenticator, Jwt("not json", ExpiringIn(absl::Hours(1))), "invalid token: malformed JWT header");
  ExpectRefused(*authenticator, Jwt(R"(["HS256"])", ExpiringIn(absl::Hours(1))),
                "invalid token: malformed JWT header");
  ExpectRefused(*authenticator, Jwt(kHs256, "not json"), "invalid token: malformed JWT claims");
  ExpectRefused(*authenticator, Jwt(kHs256, "[1]"), "invalid token: malformed JWT claims");
  ExpectRefused(*authenticator, "..", "invalid token: malformed JWT header");
  ExpectRefused(*authenticator, "", "missing token");
}

TEST_F(AuthTest, EitherMethodAccepts) {
  auto authenticator = Authenticator::Create(WriteFile("tokens", "static-token-000000001 !r:x\n"),
                                             WriteFile("secret", kSecret));
  ASSERT_TRUE(authenticator.ok()) << authenticator.status();
  ASSERT_THAT(*authenticator, NotNull());
  EXPECT_EQ((*authenticator)->Describe(), "1 token from auth_tokens_file, HS256 JWTs (auth_jwt_secret_file)");
  auto file = (*authenticator)->Authenticate("static-token-000000001", kNow);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->subject, "token #1");
  auto jwt = (*authenticator)->Authenticate(Jwt(kHs256, ExpiringIn(absl::Hours(1), R"(,"sub":"ops")")), kNow);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(jwt->subject, "ops");
  ExpectRefused(**authenticator, "static-token-000000002", "invalid token");
  ExpectRefused(**authenticator, Jwt(kHs256, ExpiringIn(-absl::Hours(1))), "token expired");
}

TEST_F(AuthTest, JwtsAreRefusedWhenOnlyTokensAreConfigured) {
  auto authenticator = WithTokens("static-token-000000001\n");
  ASSERT_THAT(authenticator, NotNull());
  ExpectRefused(*authenticator, Jwt(kHs256, ExpiringIn(absl::Hours(1))), "invalid token");
  EXPECT_EQ(authenticator->Describe(), "1 token from auth_tokens_file");
}

Filter FilterNaming(std::optional<std::string> room_id, std::optional<std::vector<std::string>> rooms = std::nullopt,
                    std::vector<std::string> not_rooms = {}) {
  Filter filter;
  filter.room_id = std::move(room_id);
  filter.rooms = std::move(rooms);
  filter.not_rooms = std::move(not_rooms);
  return filter;
}

TEST(CheckSubscriptionRoomTest, RestrictsNamedRoomsOnly) {
  const Identity all{"token #1", std::nullopt};
  const Identity some{"token #2", std::vector<std::string>{"!a:x", "!b:x"}};
  EXPECT_TRUE(CheckSubscriptionRoom(all, FilterNaming(std::nullopt)).ok());
  EXPECT_TRUE(CheckSubscriptionRoom(all, FilterNaming("!z:x")).ok());
  EXPECT_TRUE(CheckSubscriptionRoom(all, FilterNaming(std::nullopt, {{"!y:x", "!z:x"}})).ok());
  EXPECT_TRUE(CheckSubscriptionRoom(some, FilterNaming(std::nullopt)).ok());
  EXPECT_TRUE(CheckSubscriptionRoom(some, FilterNaming("!b:x")).ok());
  EXPECT_TRUE(CheckSubscriptionRoom(some, FilterNaming(std::nullopt, {{"!a:x", "!b:x"}})).ok());
  EXPECT_TRUE(CheckSubscriptionRoom(some, FilterNaming(std::nullopt, {{}})).ok());
  // not_rooms only excludes: naming a foreign room there widens nothing.
  EXPECT_TRUE(CheckSubscriptionRoom(some, FilterNaming(std::nullopt, std::nullopt, {"!z:x"})).ok());
  for (const Filter& filter : {FilterNaming("!z:x"), FilterNaming(std::nullopt, {{"!a:x", "!z:x"}}),
                               FilterNaming("!a:x", {{"!z:x"}})}) {
    const absl::Status refused = CheckSubscriptionRoom(some, filter);
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_EQ(refused.message(), "this token may not receive events of this room");
  }
}

TEST(ExtractTokenTest, FromAuthorizationHeader) {
  EXPECT_EQ(Authenticator::ExtractToken("Bearer abc.def-ghi_jkl", "/events"), "abc.def-ghi_jkl");
  EXPECT_EQ(Authenticator::ExtractToken("bearer   abc  ", "/events"), "abc");
  EXPECT_EQ(Authenticator::ExtractToken("BEARER\tabc", "/events"), "abc");
  EXPECT_EQ(Authenticator::ExtractToken("Bearerabc", "/events"), "");
  EXPECT_EQ(Authenticator::ExtractToken("Basic dXNlcjpwYXNz", "/events"), "");
  EXPECT_EQ(Authenticator::ExtractToken("", "/events"), "");
}

TEST(ExtractTokenTest, FromQuery) {
  EXPECT_EQ(Authenticator::ExtractToken("", "/events?access_token=abc"), "abc");
  EXPECT_EQ(Authenticator::ExtractToken("", "/events?x=1&access_token=a%2Bb%3D%3d%25&y=2"), "a+b==%");
  // '+' is the token's own character, not a space; a stray '%' stays as it is.
  EXPECT_EQ(Authenticator::ExtractToken("", "/events?access_token=a+b%zz%4"), "a+b%zz%4");
  EXPECT_EQ(Authenticator::ExtractToken("", "/events?access_token=first&access_token=second"), "first");
  EXPECT_EQ(Authenticator::ExtractToken("", "/events?xaccess_token=abc"), "");
  EXPECT_EQ(Authenticator::ExtractToken("", "/events?access_token"), "");
  EXPECT_EQ(Authenticator::ExtractToken("", "/events?access_token="), "");
  EXPECT_EQ(Authenticator::ExtractToken("", "/events"), "");
  // A non-Bearer header does not hide the query.
  EXPECT_EQ(Authenticator::ExtractToken("Basic dXNlcjpwYXNz", "/events?access_token=abc"), "abc");
}

TEST(ExtractTokenTest, HeaderTakesPrecedence) {
  EXPECT_EQ(Authenticator::ExtractToken("Bearer from-header", "/events?access_token=from-query"), "from-header");
  EXPECT_EQ(Authenticator::ExtractToken("Bearer ", "/events?access_token=from-query"), "from-query");
}

}  // namespace
}  // namespace armorclaw::eventbus
