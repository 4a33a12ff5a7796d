#include "plugin/console/console_page.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/console/console_html.h"

namespace armorclaw::eventbus {
namespace {

namespace http = boost::beast::http;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::StartsWith;

const std::string kToken = "console-test-token-0123456789";
constexpr std::string_view kStats = R"({"events_published":7})";
const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

http::request<http::empty_body> Request(http::verb method, std::string_view target,
                                        std::string_view authorization = "", std::string_view origin = "") {
  http::request<http::empty_body> request(method, target, 11);
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  if (!origin.empty()) request.set(http::field::origin, origin);
  return request;
}

class ConsolePageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::path(::testing::TempDir()) / "console_test.XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    const std::string tokens = (dir_ / "tokens").string();
    std::ofstream(tokens) << kToken << "\n";
    auto authenticator = Authenticator::Create(tokens, "");
    ASSERT_TRUE(authenticator.ok()) << authenticator.status();
    authenticator_ = *std::move(authenticator);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The answer for `request`, counting the calls for the stats.
  std::optional<HttpAnswer> Answer(const http::request<http::empty_body>& request, bool authentication = true,
                                   const OriginPolicy& origins = {}) {
    const std::string path(request.target().substr(0, request.target().find('?')));
    return AnswerConsole(path, request, "/events", authentication ? authenticator_.get() : nullptr, origins,
                         [this] {
                           ++stats_calls_;
                           return std::string(kStats);
                         },
                         kNow);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Authenticator> authenticator_;
  int stats_calls_ = 0;
};

TEST_F(ConsolePageTest, OtherPathsAreNotTheConsoles) {
  for (std::string_view target : {"/events", "/console", "/console/stats/", "/index.html"}) {
    EXPECT_FALSE(Answer(Request(http::verb::get, target)).has_value()) << target;
  }
}

TEST_F(ConsolePageTest, ThePageIsServedWithoutAToken) {
  auto answer = Answer(Request(http::verb::get, "/"));
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, http::status::ok);
  EXPECT_EQ(answer->content_type, "text/html; charset=utf-8");
  EXPECT_THAT(answer->body, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(answer->body, HasSubstr(R"(<meta name="eventbus-websocket-path" content="/events">)"));
  EXPECT_THAT(answer->body, Not(HasSubstr("__WEBSOCKET_PATH__")));
  EXPECT_THAT(answer->headers, Contains(Pair("Content-Security-Policy", HasSubstr("default-src 'none'"))));
  // Its own inline script and style by their hashes, nothing inline else.
  EXPECT_THAT(answer->headers, Contains(Pair("Content-Security-Policy", HasSubstr("script-src 'sha256-"))));
  EXPECT_THAT(answer->headers, Contains(Pair("Content-Security-Policy", HasSubstr("style-src 'sha256-"))));
  EXPECT_THAT(answer->headers, Contains(Pair("Content-Security-Policy", Not(HasSubstr("unsafe-inline")))));
  EXPECT_THAT(answer->headers, Contains(Pair("Referrer-Policy", "no-referrer")));
  EXPECT_EQ(stats_calls_, 0);
}

TEST_F(ConsolePageTest, ThePageNeedsNothingFromElsewhere) {
  const std::string_view page = ConsoleHtml();
  for (std::string_view outside : {"http://", "https://", "//cdn", "<link", "src="}) {
    EXPECT_THAT(std::string(page), Not(HasSubstr(outside))) << outside;
  }
  // Event data is written as text only.
  EXPECT_THAT(std::string(page), Not(HasSubstr("innerHTML")));
}

TEST_F(ConsolePageTest, TheWebSocketPathIsEscapedIntoThePage) {
  const auto request = Request(http::verb::get, "/");
  auto answer = AnswerConsole("/", request, R"(/a"b<c>&'d)", nullptr, {}, [] { return std::string(); }, kNow);
  ASSERT_TRUE(answer.has_value());
  EXPECT_THAT(answer->body, HasSubstr(R"(content="/a&quot;b&lt;c&gt;&amp;&#39;d")"));
}

TEST_F(ConsolePageTest, OnlyGetAndHead) {
  for (std::string_view target : {"/", "/console/stats"}) {
    auto answer = Answer(Request(http::verb::post, target, absl::StrCat("Bearer ", kToken)));
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(answer->status, http::status::method_not_allowed) << target;
    EXPECT_THAT(answer->headers, Contains(Pair("Allow", "GET, HEAD")));
    EXPECT_EQ(Answer(Request(http::verb::head, target, absl::StrCat("Bearer ", kToken)))->status, http::status::ok);
  }
}

TEST_F(ConsolePageTest, TheCountersNeedAToken) {
  auto missing = Answer(Request(http::verb::get, "/console/stats"));
  ASSERT_TRUE(missing.has_value());
  EXPECT_EQ(missing->status, http::status::unauthorized);
  EXPECT_EQ(missing->body, R"({"type":"error","data":{"code":"unauthorized","message":"missing token"}})");
  EXPECT_THAT(missing->headers, Contains(Pair("WWW-Authenticate", StartsWith("Bearer"))));
  EXPECT_EQ(Answer(Request(http::verb::get, "/console/stats", "Bearer wrong-token-0123456789"))->status,
            http::status::unauthorized);
  EXPECT_EQ(stats_calls_, 0);

  auto header = Answer(Request(http::verb::get, "/console/stats", absl::StrCat("Bearer ", kToken)));
  EXPECT_EQ(header->status, http::status::ok);
  EXPECT_EQ(header->content_type, "application/json");
  EXPECT_EQ(header->body, kStats);
  auto query = Answer(Request(http::verb::get, absl::StrCat("/console/stats?access_token=", kToken)));
  EXPECT_EQ(query->status, http::status::ok);
  EXPECT_EQ(stats_calls_, 2);
}

TEST_F(ConsolePageTest, WithoutAuthenticationTheCountersAreOpen) {
  auto answer = Answer(Request(http::verb::get, "/console/stats"), /*authentication=*/false);
  EXPECT_EQ(answer->status, http::status::ok);
  EXPECT_EQ(answer->body, kStats);
}

TEST_F(ConsolePageTest, AnOriginOutsideAllowedOriginsIsRefusedFirst) {
  auto origins = OriginPolicy::Parse(R"(["https://dash.example.org"])");
  ASSERT_TRUE(origins.ok());
  const std::string bearer = absl::StrCat("Bearer ", kToken);
  auto other = Answer(Request(http::verb::get, "/console/stats", bearer, "https://evil.example"), true, *origins);
  EXPECT_EQ(other->status, http::status::forbidden);
  auto allowed = Answer(Request(http::verb::get, "/console/stats", bearer, "https://dash.example.org"), true, *origins);
  EXPECT_EQ(allowed->status, http::status::ok);
  // Not a browser: no Origin, not refused.
  EXPECT_EQ(Answer(Request(http::verb::get, "/console/stats", bearer), true, *origins)->status, http::status::ok);
}

}  // namespace
}  // namespace armorclaw::eventbus
