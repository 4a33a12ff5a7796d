// The console (console_enabled) over real sockets on the real plugin: the page at / only when enabled,
// the counters at /console/stats behind the clients' token, and the WebSocket endpoint as before.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "common/string_view_compat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/raw_connection.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Config = host::ConfigEntries;

constexpr std::string_view kToken = "console-integration-token-0123456789";

struct HttpReply {
  std::string head;  // Status line and headers.
  std::string body;
};

// Sends `request` on a new connection and reads until the server closes it.
HttpReply Exchange(const std::string& url, const std::string& request) {
  RawConnection client(url);
  client.Send(request);
  std::string received;
  client.ReadToEnd(received);
  const size_t end = received.find("\r\n\r\n");
  if (end == std::string::npos) return {received, ""};
  return {received.substr(0, end + 2), received.substr(end + 4)};
}

std::string Request(std::string_view method, std::string_view target, std::string_view headers = "") {
  return absl::StrCat(ToAbsl(method), " ", ToAbsl(target), " HTTP/1.1\r\nHost: x\r\n", ToAbsl(headers), "\r\n");
}

std::string Bearer() { return absl::StrCat("Authorization: Bearer ", ToAbsl(kToken), "\r\n"); }

class ConsoleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("eventbus-console-", ::getpid(), "-", reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tokens") << kToken << "\n";
  }
  void TearDown() override {
    plugin_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Start(bool console, std::string websocket_path = "/events") {
    plugin_ = std::make_unique<RunningPlugin>(Config{{"auth_tokens_file", (dir_ / "tokens").string()},
                                                     {"console_enabled", console ? "true" : "false"},
                                                     {"websocket_path", std::move(websocket_path)}});
  }

  std::filesystem::path dir_;
  std::unique_ptr<RunningPlugin> plugin_;
};

TEST_F(ConsoleTest, OffTheConsolePathsAreNotFound) {
  Start(false);
  for (std::string_view target : {"/", "/console/stats"}) {
    EXPECT_THAT(Exchange(plugin_->url(), Request("GET", target, Bearer())).head, StartsWith("HTTP/1.1 404")) << target;
  }
}

TEST_F(ConsoleTest, ThePageIsServedAtTheRoot) {
  Start(true);
  const HttpReply page = Exchange(plugin_->url(), Request("GET", "/"));
  EXPECT_THAT(page.head, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(page.head, HasSubstr("Content-Type: text/html; charset=utf-8\r\n"));
  EXPECT_THAT(page.head, HasSubstr(absl::StrCat("Content-Length: ", page.body.size(), "\r\n")));
  EXPECT_THAT(page.head, HasSubstr("Content-Security-Policy: default-src 'none'"));
  EXPECT_THAT(page.body, StartsWith("<!DOCTYPE html>"));
  EXPECT_THAT(page.body, HasSubstr(R"(<meta name="eventbus-websocket-path" content="/events">)"));
  // A query (the token the page reads) is the same page.
  EXPECT_THAT(Exchange(plugin_->url(), Request("GET", "/?access_token=x")).head, StartsWith("HTTP/1.1 200"));
  // Served pages are not rejections.
  EXPECT_EQ(plugin_->Stat("http_rejected"), 0u);
}

// As for the other answers of the listener: HEAD gets the headers only; other methods 405.
TEST_F(ConsoleTest, HeadHasNoBodyAndOtherMethodsGet405) {
  Start(true);
  for (std::string_view target : {"/", "/console/stats"}) {
    const HttpReply head = Exchange(plugin_->url(), Request("HEAD", target, Bearer()));
    EXPECT_THAT(head.head, StartsWith("HTTP/1.1 200")) << target;
    EXPECT_EQ(head.body, "") << target;
    const HttpReply post = Exchange(plugin_->url(), Request("POST", target, Bearer()));
    EXPECT_THAT(post.head, StartsWith("HTTP/1.1 405")) << target;
    EXPECT_THAT(post.head, HasSubstr("Allow: GET, HEAD\r\n")) << target;
  }
}

TEST_F(ConsoleTest, TheCountersNeedTheToken) {
  Start(true);
  const HttpReply missing = Exchange(plugin_->url(), Request("GET", "/console/stats"));
  EXPECT_THAT(missing.head, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(missing.head, HasSubstr("WWW-Authenticate: Bearer"));
  EXPECT_EQ(boost::json::parse(missing.body),
            boost::json::parse(R"({"type":"error","data":{"code":"unauthorized","message":"missing token"}})"));
  const HttpReply wrong =
      Exchange(plugin_->url(), Request("GET", "/console/stats", "Authorization: Bearer not-the-token-0123456789\r\n"));
  EXPECT_THAT(wrong.head, StartsWith("HTTP/1.1 401"));
  EXPECT_THAT(wrong.body, Not(HasSubstr("events_published")));

  plugin_->Publish(R"({"type":"m.room.message","room_id":"!a:x","sender":"@s:x","content":{}})");
  plugin_->AwaitStat("events_published", 1);
  for (const std::string& request : {Request("GET", "/console/stats", Bearer()),
                                     Request("GET", absl::StrCat("/console/stats?access_token=", ToAbsl(kToken)))}) {
    const HttpReply stats = Exchange(plugin_->url(), request);
    EXPECT_THAT(stats.head, StartsWith("HTTP/1.1 200"));
    EXPECT_THAT(stats.head, HasSubstr("Content-Type: application/json\r\n"));
    const boost::json::value figures = boost::json::parse(stats.body);
    EXPECT_EQ(figures.at("events_published").as_int64(), 1);
    EXPECT_TRUE(figures.as_object().contains("slow_consumers_disconnected"));
  }
}

TEST_F(ConsoleTest, TheWebSocketEndpointIsUnaffected) {
  Start(true);
  EXPECT_THAT(Exchange(plugin_->url(), Request("GET", "/events")).head, StartsWith("HTTP/1.1 426"));
  EXPECT_THAT(Exchange(plugin_->url(), Request("GET", "/elsewhere")).head, StartsWith("HTTP/1.1 404"));
  WsClient client(plugin_->url(), std::nullopt, {{"Authorization", absl::StrCat("Bearer ", ToAbsl(kToken))}});
  client.Subscribe(R"({"room_id":"!a:x"})");
  plugin_->Publish(R"({"type":"m.room.message","room_id":"!a:x","sender":"@s:x","content":{"body":"hi"}})");
  EXPECT_EQ(client.ReadJson().at("data").at("event").at("content").at("body"), "hi");
  // Without a token the upgrade still succeeds, and the refusal follows, as without the console.
  WsClient refused(plugin_->url());
  EXPECT_EQ(refused.ReadJson().at("data").at("message"), "missing token");
}

// docs/configuration.md (console_enabled): the WebSocket path wins over the page's.
TEST_F(ConsoleTest, AWebSocketPathAtTheRootKeepsTheRoot) {
  Start(true, "/");
  EXPECT_THAT(Exchange(plugin_->url(), Request("GET", "/")).head, StartsWith("HTTP/1.1 426"));
  EXPECT_THAT(Exchange(plugin_->url(), Request("GET", "/console/stats", Bearer())).head, StartsWith("HTTP/1.1 200"));
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
