// Authentication and Origin checks over real sockets: who gets in, what they may receive, and what a
// refused client is told.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "boost/beast/http/status.hpp"
#include "boost/beast/websocket/rfc6455.hpp"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "common/string_view_compat.h"
#include "gtest/gtest.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace http = boost::beast::http;
namespace websocket = boost::beast::websocket;
using Config = host::ConfigEntries;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef-test-secret";
constexpr std::string_view kAllRoomsToken = "all-rooms-token-0123456789";
constexpr std::string_view kOpsToken = "ops-only-token-0123456789";

std::string Base64Url(std::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()), &out);
  return out;
}

std::string Jwt(std::string_view header, std::string_view claims, std::string_view secret = kSecret) {
  const std::string signing_input = absl::StrCat(Base64Url(header), ".", Base64Url(claims));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac, &mac_size);
  return absl::StrCat(signing_input, ".", Base64Url(std::string_view(reinterpret_cast<char*>(mac), mac_size)));
}

std::string Claims(absl::Duration expires_in, std::string_view extra = "") {
  return absl::StrCat(R"({"sub":"agent-7","exp":)", absl::ToUnixSeconds(absl::Now() + expires_in), ToAbsl(extra), "}");
}

constexpr std::string_view kHs256 = R"({"alg":"HS256","typ":"JWT"})";

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("eventbus-security-", ::getpid(), "-", reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tokens") << "# token rooms...\n"
                                   << kAllRoomsToken << "\n"
                                   << kOpsToken << " !ops:example.org !alerts:example.org\n";
    std::ofstream(dir_ / "secret") << kSecret << "\n";
    plugin_ = std::make_unique<RunningPlugin>(Config{{"auth_tokens_file", (dir_ / "tokens").string()},
                                                     {"auth_jwt_secret_file", (dir_ / "secret").string()},
                                                     {"allowed_origins", R"(["https://dash.example.org"])"}});
  }
  void TearDown() override {
    plugin_.reset();
    std::filesystem::remove_all(dir_);
  }

  static WsClient::Headers Bearer(std::string_view token) { return {{"Authorization", absl::StrCat("Bearer ", ToAbsl(token))}}; }

  // Connects with `headers`, expects the upgrade to succeed and the refusal to follow.
  void ExpectRefused(const WsClient::Headers& headers, std::string_view message,
                     std::optional<std::string> target = std::nullopt) {
    WsClient client(plugin_->url(), target, headers);
    EXPECT_EQ(client.ReadJson(), boost::json::parse(absl::StrCat(
                                     R"({"type":"error","data":{"code":"unauthorized","message":")", ToAbsl(message), R"("}})")));
    EXPECT_EQ(client.ReadUntilClosed().code, websocket::close_code::policy_error);
  }

  void PublishRooms() {
    for (std::string_view room : {"!ops:example.org", "!lobby:example.org", "!alerts:example.org"}) {
      plugin_->Publish(absl::StrCat(R"({"type":"m.room.message","room_id":")", ToAbsl(room),
                                    R"(","sender":"@a:example.org","content":{"body":"hi"}})"));
    }
  }

  // Replaces a file the way an operator should: a new file renamed over the old one, never half-written.
  void Replace(std::string_view name, std::string_view content) {
    const auto temporary = dir_ / absl::StrCat(ToAbsl(name), ".new");
    std::ofstream(temporary) << content;
    std::filesystem::rename(temporary, dir_ / name);
  }

  static std::string RoomOf(const boost::json::value& message) {
    return std::string(message.at("data").at("event").at("room_id").as_string());
  }

  std::filesystem::path dir_;
  std::unique_ptr<RunningPlugin> plugin_;
};

TEST_F(SecurityTest, MissingTokenIsToldWhyAndClosedWith1008) { ExpectRefused({}, "missing token"); }

TEST_F(SecurityTest, UnknownTokenIsRefused) { ExpectRefused(Bearer("not-a-known-token-at-all"), "invalid token"); }

TEST_F(SecurityTest, ExpiredJwtIsRefused) {
  ExpectRefused(Bearer(Jwt(kHs256, Claims(-absl::Hours(1)))), "token expired");
}

TEST_F(SecurityTest, ConnectionIsClosedWhenItsJwtExpires) {
  // exp 27 s ago is still inside the 30 s clock leeway: accepted now, expired about 3 s from now.
  WsClient client(plugin_->url(), std::nullopt, Bearer(Jwt(kHs256, Claims(-absl::Seconds(27)))));
  client.Subscribe("{}");
  PublishRooms();
  EXPECT_EQ(RoomOf(client.ReadJson()), "!ops:example.org");
  EXPECT_EQ(RoomOf(client.ReadJson()), "!lobby:example.org");
  EXPECT_EQ(RoomOf(client.ReadJson()), "!alerts:example.org");
  EXPECT_EQ(client.ReadJson(std::chrono::seconds(30)),
            boost::json::parse(R"({"type":"error","data":{"code":"unauthorized","message":"token expired"}})"));
  EXPECT_EQ(client.ReadUntilClosed().code, websocket::close_code::policy_error);
  EXPECT_EQ(plugin_->Stat("tokens_expired"), 1u);
  EXPECT_EQ(plugin_->Stat("subscriptions_active"), 0u);
  EXPECT_THAT(plugin_->logs().lines(), ::testing::Contains(::testing::HasSubstr(": token expired (agent-7)")));
}

TEST_F(SecurityTest, ARevokedTokenIsClosedAndTheOthersStay) {
  WsClient revoked(plugin_->url(), std::nullopt, Bearer(kAllRoomsToken));
  revoked.Subscribe("{}");
  WsClient kept(plugin_->url(), std::nullopt, Bearer(kOpsToken));
  kept.Subscribe("{}");
  WsClient jwt(plugin_->url(), std::nullopt, Bearer(Jwt(kHs256, Claims(absl::Hours(1)))));
  jwt.Subscribe("{}");

  constexpr std::string_view kNewToken = "new-token-0123456789abcdef";
  Replace("tokens", absl::StrCat(ToAbsl(kOpsToken), " !ops:example.org !alerts:example.org\n", ToAbsl(kNewToken), "\n"));
  EXPECT_EQ(revoked.ReadJson(),
            boost::json::parse(R"({"type":"error","data":{"code":"unauthorized","message":"token revoked"}})"));
  EXPECT_EQ(revoked.ReadUntilClosed().code, websocket::close_code::policy_error);
  EXPECT_EQ(plugin_->Stat("auth_reloads"), 1u);
  EXPECT_EQ(plugin_->Stat("tokens_revoked"), 1u);

  PublishRooms();
  EXPECT_EQ(RoomOf(kept.ReadJson()), "!ops:example.org");
  EXPECT_EQ(RoomOf(jwt.ReadJson()), "!ops:example.org");
  ExpectRefused(Bearer(kAllRoomsToken), "invalid token");
  WsClient added(plugin_->url(), std::nullopt, Bearer(kNewToken));
  added.Subscribe("{}");
  for (const std::string& line : plugin_->logs().lines()) {
    EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr(kAllRoomsToken)));
  }
}

TEST_F(SecurityTest, ATokenWhoseRoomsChangeIsClosedToReconnect) {
  WsClient client(plugin_->url(), std::nullopt, Bearer(kOpsToken));
  client.Subscribe("{}");
  Replace("tokens", absl::StrCat(ToAbsl(kAllRoomsToken), "\n", ToAbsl(kOpsToken), " !ops:example.org\n"));
  EXPECT_EQ(client.ReadJson(),
            boost::json::parse(R"({"type":"error","data":{"code":"unauthorized","message":"token rooms changed"}})"));
  EXPECT_EQ(client.ReadUntilClosed().code, websocket::close_code::policy_error);

  WsClient again(plugin_->url(), std::nullopt, Bearer(kOpsToken));
  again.Subscribe("{}");
  PublishRooms();
  plugin_->Publish(R"({"type":"m.room.message","room_id":"!ops:example.org","event_id":"$last","content":{}})");
  EXPECT_EQ(RoomOf(again.ReadJson()), "!ops:example.org");
  EXPECT_EQ(again.ReadJson().at("data").at("event").at("event_id"), "$last");
}

TEST_F(SecurityTest, ABrokenFileKeepsThePreviousTokens) {
  WsClient client(plugin_->url(), std::nullopt, Bearer(kAllRoomsToken));
  client.Subscribe("{}");
  Replace("tokens", "short\n");
  plugin_->AwaitStat("auth_reload_failures", 1);
  EXPECT_EQ(plugin_->Stat("auth_reloads"), 0u);
  EXPECT_THAT(plugin_->logs().lines(),
              ::testing::Contains(::testing::HasSubstr("cannot reload the authentication files")));
  WsClient still(plugin_->url(), std::nullopt, Bearer(kAllRoomsToken));
  still.Subscribe("{}");
  PublishRooms();
  EXPECT_EQ(RoomOf(client.ReadJson()), "!ops:example.org");
}

TEST_F(SecurityTest, ARotatedSecretClosesConnectionsWithTheOldJwts) {
  WsClient old_jwt(plugin_->url(), std::nullopt, Bearer(Jwt(kHs256, Claims(absl::Hours(1)))));
  old_jwt.Subscribe("{}");
  WsClient file_token(plugin_->url(), std::nullopt, Bearer(kAllRoomsToken));
  file_token.Subscribe("{}");
  constexpr std::string_view kNewSecret = "a-new-secret-of-more-than-32-bytes-0123456789";
  Replace("secret", kNewSecret);
  EXPECT_EQ(old_jwt.ReadJson(),
            boost::json::parse(R"({"type":"error","data":{"code":"unauthorized","message":"token revoked"}})"));
  EXPECT_EQ(old_jwt.ReadUntilClosed().code, websocket::close_code::policy_error);
  WsClient new_jwt(plugin_->url(), std::nullopt, Bearer(Jwt(kHs256, Claims(absl::Hours(1)), kNewSecret)));
  new_jwt.Subscribe("{}");
  PublishRooms();
  EXPECT_EQ(RoomOf(file_token.ReadJson()), "!ops:example.org");
  EXPECT_EQ(RoomOf(new_jwt.ReadJson()), "!ops:example.org");
}

TEST_F(SecurityTest, JwtWithWrongSignatureIsRefused) {
  ExpectRefused(Bearer(Jwt(kHs256, Claims(absl::Hours(1)), "another-secret-another-secret-another")),
                "invalid token: bad signature");
  EXPECT_EQ(plugin_->Stat("auth_refused"), 1u);
}

TEST_F(SecurityTest, GoodFileTokenAndGoodJwtGetIn) {
  WsClient by_file(plugin_->url(), std::nullopt, Bearer(kAllRoomsToken));
  by_file.Subscribe("{}");
  WsClient by_jwt(plugin_->url(), std::nullopt, Bearer(Jwt(kHs256, Claims(absl::Hours(1)))));
  by_jwt.Subscribe("{}");
  // Browsers pass the token on the URL.
  WsClient by_query(plugin_->url(), absl::StrCat("/events?access_token=", ToAbsl(kAllRoomsToken)));
  by_query.Subscribe("{}");
  PublishRooms();
  for (WsClient* client : {&by_file, &by_jwt, &by_query}) {
    EXPECT_EQ(RoomOf(client->ReadJson()), "!ops:example.org");
    EXPECT_EQ(RoomOf(client->ReadJson()), "!lobby:example.org");
    EXPECT_EQ(RoomOf(client->ReadJson()), "!alerts:example.org");
  }
}

TEST_F(SecurityTest, RoomRestrictedTokenSubscribesOnlyInsideItsRooms) {
  WsClient client(plugin_->url(), std::nullopt, Bearer(kOpsToken));
  client.Subscribe(R"({"room_id":"!ops:example.org"})");
  client.Send(R"({"type":"subscribe","data":{"filter":{"room_id":"!lobby:example.org"}}})");
  const boost::json::value refused = client.ReadJson();
  EXPECT_EQ(refused.at("data").at("code"), "unauthorized");
  EXPECT_EQ(plugin_->Stat("subscriptions_active"), 1u);
}

TEST_F(SecurityTest, RoomRestrictedTokenWithoutRoomFilterReceivesOnlyItsRooms) {
  WsClient file_token(plugin_->url(), std::nullopt, Bearer(kOpsToken));
  file_token.Subscribe("{}");
  WsClient jwt(plugin_->url(), std::nullopt,
               Bearer(Jwt(kHs256, Claims(absl::Hours(1), R"(,"rooms":["!alerts:example.org"])"))));
  jwt.Subscribe(R"({"event_types":["m.room.message"]})");
  PublishRooms();
  plugin_->Publish(R"({"type":"m.room.message","room_id":"!alerts:example.org","event_id":"$last","content":{}})");
  EXPECT_EQ(RoomOf(file_token.ReadJson()), "!ops:example.org");
  EXPECT_EQ(RoomOf(file_token.ReadJson()), "!alerts:example.org");
  EXPECT_EQ(RoomOf(file_token.ReadJson()), "!alerts:example.org");
  EXPECT_EQ(RoomOf(jwt.ReadJson()), "!alerts:example.org");
  EXPECT_EQ(jwt.ReadJson().at("data").at("event").at("event_id"), "$last");
}

TEST_F(SecurityTest, OriginsOutsideTheListGet403) {
  const WsClient::Headers upgrade = {{"Connection", "Upgrade"},
                                     {"Upgrade", "websocket"},
                                     {"Sec-WebSocket-Version", "13"},
                                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                                     {"Authorization", absl::StrCat("Bearer ", ToAbsl(kAllRoomsToken))}};
  WsClient::Headers forbidden = upgrade;
  forbidden.emplace_back("Origin", "https://evil.example.com");
  EXPECT_EQ(HttpGet(plugin_->url(), "/events", forbidden).result(), http::status::forbidden);
  WsClient allowed(plugin_->url(), std::nullopt,
                   {{"Origin", "https://dash.example.org"}, {"Authorization", absl::StrCat("Bearer ", ToAbsl(kAllRoomsToken))}});
  allowed.Subscribe("{}");
  WsClient without_origin(plugin_->url(), std::nullopt, Bearer(kAllRoomsToken));
  without_origin.Subscribe("{}");
}

TEST_F(SecurityTest, TokensNeverReachTheLogs) {
  { WsClient good(plugin_->url(), std::nullopt, Bearer(kOpsToken)); good.Subscribe("{}"); }
  ExpectRefused(Bearer("secret-but-wrong-token-value"), "invalid token");
  for (const std::string& line : plugin_->logs().lines()) {
    EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr(kOpsToken)));
    EXPECT_THAT(line, ::testing::Not(::testing::HasSubstr("secret-but-wrong-token-value")));
  }
}

TEST(ConnectionsPerAddressTest, OneAddressHoldsAtMostItsLimitOfSockets) {
  RunningPlugin plugin(Config{{"max_connections_per_address", "2"}});
  auto first = std::make_unique<WsClient>(plugin.url());
  first->Subscribe("{}");
  WsClient second(plugin.url());
  // The third socket from 127.0.0.1 is closed as soon as it is accepted, before any HTTP answer.
  EXPECT_THROW(WsClient(plugin.url()), boost::system::system_error);
  EXPECT_EQ(plugin.Stat("address_limit_refused"), 1u);
  EXPECT_EQ(plugin.Stat("sockets_open"), 2u);
  EXPECT_THAT(plugin.logs().lines(),
              ::testing::Contains(::testing::HasSubstr("max_connections_per_address (2) reached")));

  // A place is given back when its socket is gone, not before.
  first.reset();
  plugin.AwaitStat("sockets_open", 1);
  WsClient again(plugin.url());
  again.Subscribe("{}");
  EXPECT_EQ(plugin.Stat("address_limit_refused"), 1u);
}

// Authentication off is a choice for loopback listeners; on any other address the operator is warned.
TEST(AuthenticationOffTest, WarnsOnlyWhenTheListenerIsReachableFromOtherHosts) {
  constexpr std::string_view kWarning = "authentication is off";
  const auto warned = [&](const Config& config) {
    RunningPlugin plugin(config);
    for (const std::string& line : plugin.logs().lines()) {
      if (line.find(kWarning) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(warned({{"websocket_addr", "0.0.0.0:0"}}));
  EXPECT_FALSE(warned({{"websocket_addr", "127.0.0.1:0"}}));

  const auto dir = std::filesystem::temp_directory_path() / absl::StrCat("eventbus-auth-off-", ::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokens") << kAllRoomsToken << "\n";
  EXPECT_FALSE(warned({{"websocket_addr", "0.0.0.0:0"}, {"auth_tokens_file", (dir / "tokens").string()}}));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
