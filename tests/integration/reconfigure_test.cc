// Reconfiguration through the real .so's ABI 1.1 `reconfigure`, over real sockets: each class of live
// key takes effect with the connections open, a key that takes a restart is refused (naming it) and
// changes nothing, a bad value changes nothing, and publishing from two threads during a hundred
// reconfigurations loses and reorders nothing.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/beast/http/status.hpp"
#include "boost/beast/websocket/rfc6455.hpp"
#include "boost/json/parse.hpp"
#include "common/string_view_compat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host-shim/plugin_loader.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using ::testing::HasSubstr;
using ::testing::Not;
using Config = host::ConfigEntries;

std::string Event(std::string_view body) {
  return absl::StrCat(R"({"type":"m.room.message","room_id":"!r:example.org","sender":"@alice:example.org",)",
                      R"("content":{"body":")", ToAbsl(body), R"("}})");
}

std::string BodyOf(const boost::json::value& message) {
  return std::string(message.at("data").at("event").at("content").at("body").as_string());
}

// The reply to a subscribe that is refused: its error code.
std::string RefusalOf(WsClient& client) {
  client.Send(R"({"type":"subscribe","data":{}})");
  const boost::json::value reply = client.ReadJson();
  EXPECT_EQ(reply.at("type"), "error") << reply;
  return std::string(reply.at("data").at("code").as_string());
}

TEST(ReconfigureTest, ALoweredSubscriptionLimitRefusesTheNextSubscribeAndKeepsTheConnection) {
  RunningPlugin plugin(Config{{"max_subscriptions_per_connection", "3"}});
  WsClient client(plugin.url());
  client.Subscribe("{}");
  const std::string second = client.Subscribe("{}");
  ASSERT_TRUE(plugin.Reconfigure({{"max_subscriptions_per_connection", "1"}}).ok());
  EXPECT_EQ(RefusalOf(client), "too_many_subscriptions");
  // The subscriptions it had stay: unsubscribing the second still finds it, and events still come.
  client.Send(absl::StrCat(R"({"type":"unsubscribe","data":{"subscriber_id":")", second, R"("}})"));
  EXPECT_EQ(client.ReadJson().at("type"), "unsubscribed");
  plugin.Publish(Event("after"));
  EXPECT_EQ(BodyOf(client.ReadJson()), "after");
  EXPECT_EQ(plugin.Stat("connections_open"), 1u);
  EXPECT_THAT(plugin.logs().lines(), ::testing::Contains("configuration reloaded"));
}

TEST(ReconfigureTest, AllowedOriginsApplyToTheNextConnection) {
  RunningPlugin plugin(Config{{"allowed_origins", R"(["https://old.example.org"])"}});
  WsClient open(plugin.url(), std::nullopt, {{"Origin", "https://old.example.org"}});
  open.Subscribe("{}");
  ASSERT_TRUE(plugin.Reconfigure({{"allowed_origins", R"(["https://new.example.org"])"}}).ok());
  const WsClient::Headers upgrade = {{"Connection", "Upgrade"},
                                     {"Upgrade", "websocket"},
                                     {"Sec-WebSocket-Version", "13"},
                                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                     {"Origin", "https://old.example.org"}};
  EXPECT_EQ(HttpGet(plugin.url(), "/events", upgrade).result(), http::status::forbidden);
  WsClient fresh(plugin.url(), std::nullopt, {{"Origin", "https://new.example.org"}});
  fresh.Subscribe("{}");
  plugin.Publish(Event("both"));
  EXPECT_EQ(BodyOf(open.ReadJson()), "both");
  EXPECT_EQ(BodyOf(fresh.ReadJson()), "both");
}

class ReconfigureAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("eventbus-reconfigure-", ::getpid(), "-", reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tokens-a") << kRevoked << "\n" << kKept << "\n";
    std::ofstream(dir_ / "tokens-b") << kKept << "\n";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path(std::string_view name) const { return (dir_ / std::string(name)).string(); }
  static WsClient::Headers Bearer(std::string_view token) {
    return {{"Authorization", absl::StrCat("Bearer ", ToAbsl(token))}};
  }

  static constexpr std::string_view kRevoked = "revoked-token-0123456789abcdef";
  static constexpr std::string_view kKept = "kept-token-0123456789abcdefghij";
  std::filesystem::path dir_;
};

TEST_F(ReconfigureAuthTest, AnotherTokensFileClosesTheConnectionsItRevokes) {
  RunningPlugin plugin(Config{{"auth_tokens_file", Path("tokens-a")}});
  WsClient revoked(plugin.url(), std::nullopt, Bearer(kRevoked));
  revoked.Subscribe("{}");
  WsClient kept(plugin.url(), std::nullopt, Bearer(kKept));
  kept.Subscribe("{}");
  ASSERT_TRUE(plugin.Reconfigure({{"auth_tokens_file", Path("tokens-b")}}).ok());
  EXPECT_EQ(revoked.ReadJson(),
            boost::json::parse(R"({"type":"error","data":{"code":"unauthorized","message":"token revoked"}})"));
  EXPECT_EQ(revoked.ReadUntilClosed().code, websocket::close_code::policy_error);
  EXPECT_EQ(plugin.Stat("tokens_revoked"), 1u);
  plugin.Publish(Event("still here"));
  EXPECT_EQ(BodyOf(kept.ReadJson()), "still here");
  // The new file is the one watched now: a token added to it is accepted once the watch sees it.
  constexpr std::string_view kAdded = "added-token-0123456789abcdefgh";
  std::ofstream(Path("tokens-b.new")) << kKept << "\n" << kAdded << "\n";
  std::filesystem::rename(Path("tokens-b.new"), Path("tokens-b"));
  plugin.AwaitStat("auth_reloads", 2);
  WsClient added(plugin.url(), std::nullopt, Bearer(kAdded));
  added.Subscribe("{}");
}

TEST_F(ReconfigureAuthTest, TurningAuthenticationOnClosesConnectionsWithoutAToken) {
  RunningPlugin plugin;
  WsClient anonymous(plugin.url());
  anonymous.Subscribe("{}");
  ASSERT_TRUE(plugin.Reconfigure({{"auth_tokens_file", Path("tokens-b")}}).ok());
  EXPECT_EQ(anonymous.ReadJson(), boost::json::parse(
                                      R"({"type":"error","data":{"code":"unauthorized","message":"authentication required"}})"));
  EXPECT_EQ(anonymous.ReadUntilClosed().code, websocket::close_code::policy_error);
  WsClient kept(plugin.url(), std::nullopt, Bearer(kKept));
  kept.Subscribe("{}");
}

TEST_F(ReconfigureAuthTest, AnUnreadableTokensFileChangesNothing) {
  RunningPlugin plugin(Config{{"auth_tokens_file", Path("tokens-a")}});
  const absl::Status refused = plugin.Reconfigure({{"auth_tokens_file", Path("missing")}});
  EXPECT_THAT(host::AcebStatusOf(refused), ::testing::Optional(ACEB_CONFIG_ERROR));
  EXPECT_THAT(refused.message(), HasSubstr("cannot read auth_tokens_file"));
  WsClient still(plugin.url(), std::nullopt, Bearer(kRevoked));
  still.Subscribe("{}");
}

TEST(ReconfigureTest, PiiScrubbingTurnsOffAndOnForTheNextEvents) {
  RunningPlugin plugin;  // pii_scrubbing defaults to true.
  WsClient client(plugin.url());
  client.Subscribe("{}");
  const std::string mail = Event("mail bob@example.com");
  plugin.Publish(mail);
  EXPECT_EQ(BodyOf(client.ReadJson()), "mail [REDACTED_EMAIL]");
  ASSERT_TRUE(plugin.Reconfigure({{"pii_scrubbing", "false"}}).ok());
  plugin.Publish(mail);
  EXPECT_EQ(BodyOf(client.ReadJson()), "mail bob@example.com");
  ASSERT_TRUE(plugin.Reconfigure({}).ok());
  plugin.Publish(mail);
  EXPECT_EQ(BodyOf(client.ReadJson()), "mail [REDACTED_EMAIL]");
}

TEST(ReconfigureTest, KeysThatTakeARestartAreRefusedEachNamedAndNothingChanges) {
  RunningPlugin plugin(Config{{"max_subscriptions_per_connection", "2"}});
  WsClient client(plugin.url());
  const absl::Status refused = plugin.Reconfigure({{"websocket_path", "/elsewhere"},
                                                   {"ingest_queue_events", "5"},
                                                   {"max_subscriptions_per_connection", "1"}});
  EXPECT_THAT(host::AcebStatusOf(refused), ::testing::Optional(ACEB_CONFIG_ERROR));
  EXPECT_EQ(refused.message(),
            "reconfigure: websocket_path, ingest_queue_events cannot change without a restart (restart the bridge "
            "for them); nothing was changed");
  // The live key of the refused call did not apply either: two subscriptions still fit, a third does not.
  client.Subscribe("{}");
  client.Subscribe("{}");
  EXPECT_EQ(RefusalOf(client), "too_many_subscriptions");
  WsClient on_the_old_path(plugin.url());
  on_the_old_path.Subscribe("{}");
}

TEST(ReconfigureTest, ABadValueIsRefusedWithCreatesErrorAndChangesNothing) {
  const Config bad = {{"max_subscriptions_per_connection", "1"}, {"max_connections", "lots"}};
  RunningPlugin plugin(Config{{"max_subscriptions_per_connection", "2"}});
  const absl::Status refused = plugin.Reconfigure(bad);
  EXPECT_THAT(host::AcebStatusOf(refused), ::testing::Optional(ACEB_CONFIG_ERROR));
  // The same text create gives for the same configuration.
  LogCapture logs;
  const auto created = host::PluginInstance::Create(*host::PluginLibrary::Open(PluginPath()), logs.Host(), bad);
  EXPECT_EQ(refused.message(), created.status().message());
  EXPECT_EQ(refused.message(), "invalid value \"lots\" for max_connections: expected an integer from 1 to 1000000");
  WsClient client(plugin.url());
  client.Subscribe("{}");
  client.Subscribe("{}");
}

TEST(ReconfigureTest, AfterStopItIsBadStateAndBeforeStartItIsWhatStartUses) {
  LogCapture logs;
  const auto library = host::PluginLibrary::Open(PluginPath());
  ASSERT_TRUE(library.ok()) << library.status();
  auto instance = host::PluginInstance::Create(*library, logs.Host(), {{"websocket_addr", "127.0.0.1:0"}});
  ASSERT_TRUE(instance.ok()) << instance.status();
  ASSERT_TRUE(instance->Reconfigure({{"websocket_addr", "127.0.0.1:0"}, {"max_subscriptions_per_connection", "1"}}).ok());
  ASSERT_TRUE(instance->Start().ok());
  WsClient client(*instance->ListenUrl());
  client.Subscribe("{}");
  EXPECT_EQ(RefusalOf(client), "too_many_subscriptions");
  ASSERT_TRUE(instance->Stop(1000).ok());
  EXPECT_THAT(host::AcebStatusOf(instance->Reconfigure({{"websocket_addr", "127.0.0.1:0"}})),
              ::testing::Optional(ACEB_BAD_STATE));
}

TEST(ReconfigureTest, PublishingFromTwoThreadsDuringAHundredReconfigurationsLosesAndReordersNothing) {
  constexpr int kPerThread = 1000;
  RunningPlugin plugin;
  WsClient client(plugin.url());
  client.Subscribe("{}");
  std::atomic<bool> go{false};
  std::vector<std::thread> publishers;
  for (int thread = 0; thread < 2; ++thread) {
    publishers.emplace_back([&plugin, &go, thread] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < kPerThread; ++i) plugin.Publish(Event(absl::StrCat(thread, ":", i)));
    });
  }
  go.store(true);
  for (int round = 0; round < 100; ++round) {
    const Config next = {{"pii_scrubbing", round % 2 == 0 ? "false" : "true"},
                         {"max_subscriptions_per_connection", absl::StrCat(1 + round % 5)},
                         {"max_event_bytes", absl::StrCat(32768 + round)},
                         {"history_size", absl::StrCat(500 + round)}};
    ASSERT_TRUE(plugin.Reconfigure(next).ok());
  }
  for (std::thread& publisher : publishers) publisher.join();
  std::map<int, int> next_of_thread;
  uint64_t expected_sequence = 1;
  for (int received = 0; received < 2 * kPerThread; ++received) {
    const boost::json::value message = client.ReadJson();
    EXPECT_EQ(message.at("data").at("sequence").to_number<uint64_t>(), expected_sequence++);
    const std::string body = BodyOf(message);
    const int thread = body[0] - '0';
    EXPECT_EQ(body, absl::StrCat(thread, ":", next_of_thread[thread]++));
  }
  EXPECT_EQ(next_of_thread[0], kPerThread);
  EXPECT_EQ(next_of_thread[1], kPerThread);
  EXPECT_EQ(plugin.Stat("events_published"), 2u * kPerThread);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
