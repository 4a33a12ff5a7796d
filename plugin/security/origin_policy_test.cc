#include "plugin/security/origin_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

OriginPolicy MustParse(std::string_view json) {
  auto policy = OriginPolicy::Parse(json);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : OriginPolicy();
}

TEST(OriginPolicyTest, UnconfiguredAllowsEverything) {
  const OriginPolicy policy;
  EXPECT_TRUE(policy.Allows("https://evil.example"));
  EXPECT_TRUE(policy.Allows("null"));
  EXPECT_TRUE(policy.Allows(""));
}

TEST(OriginPolicyTest, AllowsListedOriginsAndClientsWithoutOrigin) {
  const OriginPolicy policy = MustParse(R"(["https://dash.example.org", "http://localhost:3000"])");
  EXPECT_TRUE(policy.Allows("https://dash.example.org"));
  EXPECT_TRUE(policy.Allows("http://localhost:3000"));
  EXPECT_TRUE(policy.Allows(""));
  EXPECT_FALSE(policy.Allows("https://evil.example"));
  EXPECT_FALSE(policy.Allows("http://dash.example.org"));
  EXPECT_FALSE(policy.Allows("https://dash.example.org:8443"));
  EXPECT_FALSE(policy.Allows("https://dash.example.org.evil.example"));
  EXPECT_FALSE(policy.Allows("http://localhost"));
  EXPECT_FALSE(policy.Allows("http://localhost:3001"));
  EXPECT_FALSE(policy.Allows("null"));
  EXPECT_FALSE(policy.Allows("https://dash.example.org/"));
  EXPECT_FALSE(policy.Allows("https://user@dash.example.org"));
}

TEST(OriginPolicyTest, SchemeAndHostCompareCaseInsensitively) {
  const OriginPolicy policy = MustParse(R"(["HTTPS://Dash.Example.ORG"])");
  EXPECT_TRUE(policy.Allows("https://dash.example.org"));
  EXPECT_TRUE(policy.Allows("Https://DASH.example.org"));
}

TEST(OriginPolicyTest, DefaultPortsEqualNone) {
  const OriginPolicy policy = MustParse(R"(["https://a.example:443", "http://b.example", "http://c.example:443"])");
  EXPECT_TRUE(policy.Allows("https://a.example"));
  EXPECT_TRUE(policy.Allows("https://a.example:443"));
  EXPECT_TRUE(policy.Allows("http://b.example:80"));
  EXPECT_TRUE(policy.Allows("http://c.example:443"));
  EXPECT_FALSE(policy.Allows("http://c.example"));
  EXPECT_FALSE(policy.Allows("https://b.example"));
}

TEST(OriginPolicyTest, Ipv6Hosts) {
  const OriginPolicy policy = MustParse(R"(["http://[::1]:8080"])");
  EXPECT_TRUE(policy.Allows("http://[::1]:8080"));
  EXPECT_FALSE(policy.Allows("http://[::1]"));
  EXPECT_FALSE(policy.Allows("http://[::2]:8080"));
}

TEST(OriginPolicyTest, EmptyListRefusesEveryBrowser) {
  const OriginPolicy policy = MustParse("[]");
  EXPECT_FALSE(policy.Allows("https://dash.example.org"));
  EXPECT_TRUE(policy.Allows(""));
}

struct BadPolicy {
  std::string json;
  std::string message;
};

class OriginPolicyRejectsTest : public ::testing::TestWithParam<BadPolicy> {};

TEST_P(OriginPolicyRejectsTest, SaysWhichEntryAndWhy) {
  auto policy = OriginPolicy::Parse(GetParam().json);
  ASSERT_FALSE(policy.ok());
  EXPECT_EQ(policy.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(policy.status().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, OriginPolicyRejectsTest,
    ::testing::Values(
        BadPolicy{"https://dash.example.org", "not a JSON array"},
        BadPolicy{R"({"origin":"https://a"})", "not a JSON array"},
        BadPolicy{R"(["https://a")", "not a JSON array"},
        BadPolicy{R"(["https://a", 1])", "entry 2 is not a string"},
        BadPolicy{R"(["https://dash.example.org/"])",
                  "entry 1 \"https://dash.example.org/\": an origin has no path, query or fragment, not even a "
                  "trailing '/'"},
        BadPolicy{R"(["https://a/events"])",
                  "entry 1 \"https://a/events\": an origin has no path, query or fragment, not even a trailing '/'"},
        BadPolicy{R"(["ws://a"])", "entry 1 \"ws://a\": the scheme must be http or https"},
        BadPolicy{R"(["dash.example.org"])", "entry 1 \"dash.example.org\": not scheme://host[:port]"},
        BadPolicy{R"(["*"])", "entry 1 \"*\": not scheme://host[:port]"},
        BadPolicy{R"(["https://*.example.org"])",
                  "entry 1 \"https://*.example.org\": the host may have only letters, digits, '-', '_' and '.' (use "
                  "punycode for other names)"},
        BadPolicy{R"(["https://"])", "entry 1 \"https://\": the host is missing"},
        BadPolicy{R"(["https://a:"])", "entry 1 \"https://a:\": the port must be a number from 1 to 65535"},
        BadPolicy{R"(["https://a:0"])", "entry 1 \"https://a:0\": the port must be a number from 1 to 65535"},
        BadPolicy{R"(["https://a:65536"])", "entry 1 \"https://a:65536\": the port must be a number from 1 to 65535"},
        BadPolicy{R"(["https://a:+80"])", "entry 1 \"https://a:+80\": the port must be a number from 1 to 65535"},
        BadPolicy{R"(["https://u:p@a"])", "entry 1 \"https://u:p@a\": an origin has no user name or password"},
        BadPolicy{R"(["http://[::1"])", "entry 1 \"http://[::1\": unterminated IPv6 address"},
        BadPolicy{R"(["http://[::1]x"])", "entry 1 \"http://[::1]x\": unexpected text after the IPv6 address"},
        BadPolicy{R"(["http://[]"])", "entry 1 \"http://[]\": invalid IPv6 address"},
        BadPolicy{R"(["null"])", "entry 1 \"null\": not scheme://host[:port]"}));

}  // namespace
}  // namespace armorclaw::eventbus
