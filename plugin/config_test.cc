#include "plugin/config.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<Config> Parse(const ConfigEntries& entries, std::vector<std::string>* warnings = nullptr) {
  return ParseConfig(entries, [warnings](std::string_view warning) {
    if (warnings != nullptr) warnings->emplace_back(warning);
  });
}

TEST(ConfigTest, DefaultsAreTheGuidesValues) {
  auto config = Parse({});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->websocket_enabled);
  EXPECT_EQ(config->websocket_addr.host, "0.0.0.0");
  EXPECT_EQ(config->websocket_addr.port, 8444);
  EXPECT_EQ(config->websocket_path, "/events");
  EXPECT_EQ(config->max_subscribers, 100);
  EXPECT_EQ(config->inactivity_timeout, absl::Minutes(30));
}

TEST(ConfigTest, ReadsTheGuidesExample) {
  auto config = Parse({{"websocket_enabled", "true"},
                       {"websocket_addr", "0.0.0.0:8444"},
                       {"websocket_path", "/events"},
                       {"max_subscribers", "100"},
                       {"inactivity_timeout", "30m"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->inactivity_timeout, absl::Minutes(30));
}

TEST(ConfigTest, ReadsEveryKey) {
  auto config = Parse({{"websocket_enabled", "false"},
                       {"websocket_addr", "[::1]:0"},
                       {"websocket_path", "/bus"},
                       {"max_subscribers", "5"},
                       {"inactivity_timeout", "1h30m"},
                       {"max_connections", "7"},
                       {"max_subscriptions_per_connection", "3"},
                       {"max_message_bytes", "4096"},
                       {"handshake_timeout", "2s"},
                       {"ping_interval", "0s"},
                       {"max_queue_bytes", "1048576"},
                       {"ingest_queue_events", "10"},
                       {"max_ingest_delay", "250ms"},
                       {"max_event_bytes", "2048"},
                       {"subscribe_rate", "3"},
                       {"position_interval", "0s"}});
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->subscribe_rate, 3);
  EXPECT_FALSE(config->websocket_enabled);
  EXPECT_EQ(config->websocket_addr.host, "::1");
  EXPECT_EQ(config->websocket_addr.port, 0);
  EXPECT_EQ(config->websocket_path, "/bus");
  EXPECT_EQ(config->max_subscribers, 5);
  EXPECT_EQ(config->inactivity_timeout, absl::Minutes(90));
  EXPECT_EQ(config->max_connections, 7);
  EXPECT_EQ(config->max_subscriptions_per_connection, 3);
  EXPECT_EQ(config->max_message_bytes, 4096);
  EXPECT_EQ(config->handshake_timeout, absl::Seconds(2));
  EXPECT_EQ(config->ping_interval, absl::ZeroDuration());
  EXPECT_EQ(config->max_queue_bytes, 1048576);
  EXPECT_EQ(config->ingest_queue_events, 10);
  EXPECT_EQ(config->max_ingest_delay, absl::Milliseconds(250));
  EXPECT_EQ(config->max_event_bytes, 2048);
  EXPECT_EQ(config->position_interval, absl::ZeroDuration());
}

TEST(ConfigTest, LaterEntryWins) {
  auto config = Parse({{"max_subscribers", "5"}, {"max_subscribers", "6"}});
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->max_subscribers, 6);
}

TEST(ConfigTest, UnknownKeyIsWarnedAboutAndIgnored) {
  std::vector<std::string> warnings;
  auto config = Parse({{"websocket_adr", "1.2.3.4:1"}}, &warnings);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->websocket_addr.port, 8444);
  EXPECT_THAT(warnings, ::testing::ElementsAre(HasSubstr("unknown configuration key \"websocket_adr\"")));
}

struct BadValue {
  std::string key;
  std::string value;
};

class ConfigRejectsTest : public ::testing::TestWithParam<BadValue> {};

TEST_P(ConfigRejectsTest, NamesKeyAndValue) {
  auto config = Parse({{GetParam().key, GetParam().value}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr(GetParam().key));
  EXPECT_THAT(config.status().message(), HasSubstr("\"" + GetParam().value + "\""));
}

INSTANTIATE_TEST_SUITE_P(
    BadValues, ConfigRejectsTest,
    ::testing::Values(BadValue{"websocket_enabled", "yes"}, BadValue{"websocket_enabled", ""},
                      BadValue{"websocket_addr", "8444"}, BadValue{"websocket_addr", "example.com:8444"},
                      BadValue{"websocket_addr", "0.0.0.0:99999"}, BadValue{"websocket_addr", "::1:80"},
                      BadValue{"websocket_addr", "1.2.3.4:"}, BadValue{"websocket_addr", "1.2.3.4:80 "}, BadValue{"websocket_path", "events"},
                      BadValue{"websocket_path", "/a?b"}, BadValue{"max_subscribers", "0"},
                      BadValue{"max_subscribers", "-1"}, BadValue{"max_subscribers", "ten"},
                      BadValue{"max_subscribers", "10 "}, BadValue{"max_subscribers", "+10"},
                      BadValue{"max_subscribers", "99999999999999999999"},
                      BadValue{"inactivity_timeout", "30"}, BadValue{"inactivity_timeout", "-1s"},
                      BadValue{"inactivity_timeout", "inf"}, BadValue{"handshake_timeout", "0s"},
                      BadValue{"ping_interval", "1ms"}, BadValue{"max_connections", "0"},
                      BadValue{"max_message_bytes", "1"}, BadValue{"max_queue_bytes", "10"},
                      BadValue{"ingest_queue_events", "0"}, BadValue{"max_ingest_delay", "2h"},
                      BadValue{"max_ingest_delay", "-1ms"}, BadValue{"subscribe_rate", "0"},
                      BadValue{"max_event_bytes", "12"},
                      BadValue{"auth_jwt_audience", ""}, BadValue{"auth_jwt_issuer", std::string(1025, 'i')},
                      BadValue{"metrics_addr", "9464"}, BadValue{"metrics_addr", "metrics.local:9464"},
                      BadValue{"enable_durable_log", "1"}, BadValue{"durable_log_dir", ""},
                      BadValue{"max_log_file_size", "100"}, BadValue{"max_log_file_size", "-1"},
                      BadValue{"durable_log_retention_bytes", "-1"}, BadValue{"durable_log_fsync", "sometimes"},
                      BadValue{"durable_log_fsync_interval", "1"}, BadValue{"durable_log_fsync_interval", "0s"},
                      BadValue{"position_interval", "50ms"}, BadValue{"position_interval", "25h"},

                      BadValue{"console_enabled", "on"}, BadValue{"max_total_queue_bytes", "65535"},
                      BadValue{"max_total_queue_bytes", "-1"}));

TEST(ConfigTest, MaxTotalQueueBytesIsOnByDefaultAndZeroTurnsItOff) {
  EXPECT_EQ(Parse({})->max_total_queue_bytes, int64_t{256} << 20);
  EXPECT_EQ(Parse({{"max_total_queue_bytes", "0"}})->max_total_queue_bytes, 0);
  EXPECT_EQ(Parse({{"max_total_queue_bytes", "65536"}})->max_total_queue_bytes, 65536);
}

TEST(ConfigTest, JwtExpectationsNeedASecret) {
  auto audience = Parse({{"auth_jwt_audience", "armorclaw-eventbus"}});
  ASSERT_FALSE(audience.ok());
  EXPECT_EQ(audience.status().message(),
            "auth_jwt_audience is set but auth_jwt_secret_file is not: JWTs are only accepted with a secret");
  auto issuer = Parse({{"auth_tokens_file", "/etc/tokens"}, {"auth_jwt_issuer", "https://auth.example.org"}});
  ASSERT_FALSE(issuer.ok());
  EXPECT_EQ(issuer.status().message(),
            "auth_jwt_issuer is set but auth_jwt_secret_file is not: JWTs are only accepted with a secret");
  auto both = Parse({{"auth_jwt_secret_file", "/etc/secret"},
                     {"auth_jwt_audience", "armorclaw-eventbus"},
                     {"auth_jwt_issuer", "https://auth.example.org"}});
  ASSERT_TRUE(both.ok()) << both.status();
  EXPECT_EQ(both->auth_jwt_audience, "armorclaw-eventbus");
  EXPECT_EQ(both->auth_jwt_issuer, "https://auth.example.org");
}

TEST(ConfigTest, QueueMustHoldTheLargestEvent) {
  auto config = Parse({{"max_event_bytes", "65536"}, {"max_queue_bytes", "65536"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "max_queue_bytes (65536) must be at least max_event_bytes (65536) + 1024: raise max_queue_bytes or "
            "lower max_event_bytes");
  EXPECT_TRUE(Parse({{"max_event_bytes", "2048"}, {"max_queue_bytes", "65536"}}).ok());
}

TEST(ConfigTest, ConsoleIsOffUnlessEnabled) {
  auto unset = Parse({});
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->console_enabled);
  auto set = Parse({{"console_enabled", "true"}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->console_enabled);
}

TEST(ConfigTest, MetricsAddrIsOffUnlessSet) {
  auto unset = Parse({});
  ASSERT_TRUE(unset.ok());
  EXPECT_FALSE(unset->metrics_addr.has_value());
  auto set = Parse({{"metrics_addr", "localhost:9464"}});
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_TRUE(set->metrics_addr.has_value());
  EXPECT_EQ(set->metrics_addr->host, "127.0.0.1");
  EXPECT_EQ(set->metrics_addr->port, 9464);
  auto emptied = Parse({{"metrics_addr", "127.0.0.1:9464"}, {"metrics_addr", ""}});
  ASSERT_TRUE(emptied.ok());
  EXPECT_FALSE(emptied->metrics_addr.has_value());
}

TEST(ConfigTest, MetricsAddrNeverSharesTheClientsPort) {
  const std::string refusal =
      "metrics_addr and websocket_addr name the same port (8444): the operator listener never shares a port with "
      "clients";
  auto same = Parse({{"websocket_addr", "127.0.0.1:8444"}, {"metrics_addr", "127.0.0.1:8444"}});
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.status().message(), refusal);
  // The default websocket_addr listens on every interface, so its port is taken on loopback too.
  auto wildcard = Parse({{"metrics_addr", "127.0.0.1:8444"}});
  ASSERT_FALSE(wildcard.ok());
  EXPECT_EQ(wildcard.status().message(), refusal);
  EXPECT_TRUE(Parse({{"websocket_addr", "127.0.0.1:8444"}, {"metrics_addr", "127.0.0.2:8444"}}).ok());
  EXPECT_TRUE(Parse({{"websocket_addr", "127.0.0.1:0"}, {"metrics_addr", "127.0.0.1:0"}}).ok());
  EXPECT_TRUE(Parse({{"websocket_enabled", "false"}, {"metrics_addr", "0.0.0.0:8444"}}).ok());
}

TEST(ConfigTest, TheDurableLogIsOffByDefaultAndReadsItsKeys) {
  auto defaults = Parse({});
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_FALSE(defaults->enable_durable_log);
  EXPECT_EQ(defaults->log_segment_bytes(), uint64_t{64} << 20);
  EXPECT_EQ(defaults->durable_log_retention_bytes, 0);
  EXPECT_EQ(defaults->durable_log_fsync, LogFsync::kInterval);
  EXPECT_EQ(defaults->durable_log_fsync_interval, absl::Seconds(1));
  auto set = Parse({{"enable_durable_log", "true"},
                    {"durable_log_dir", "/var/lib/armorclaw/eventlog"},
                    {"max_log_file_size", "1048576"},
                    {"durable_log_retention_bytes", "1073741824"},
                    {"durable_log_fsync", "always"},
                    {"durable_log_fsync_interval", "250ms"}});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->enable_durable_log);
  EXPECT_EQ(set->durable_log_dir, "/var/lib/armorclaw/eventlog");
  EXPECT_EQ(set->log_segment_bytes(), 1048576u);
  EXPECT_EQ(set->durable_log_retention_bytes, 1073741824);
  EXPECT_EQ(set->durable_log_fsync, LogFsync::kAlways);
  EXPECT_EQ(set->durable_log_fsync_interval, absl::Milliseconds(250));
  EXPECT_EQ(Parse({{"durable_log_fsync", "never"}})->durable_log_fsync, LogFsync::kNever);
}

TEST(ConfigTest, AnEnabledLogNeedsADirectory) {
  auto config = Parse({{"enable_durable_log", "true"}});
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("durable_log_dir is not set"));
}

TEST(ConfigReloadTest, EveryKeyHasAReloadClass) {
  // A key added to the table without saying what a reconfiguration may do with it fails here.
  for (std::string_view key : ConfigKeys()) EXPECT_NE(ReloadOf(key), Reload::kUnclassified) << key;
  EXPECT_EQ(ReloadOf("no_such_key"), Reload::kUnclassified);
}

TEST(ConfigReloadTest, EachRestartKeyIsNamedWhenItChangesAndOnlyThen) {
  const Config running = *Parse({{"tls_cert_file", "/a.pem"}, {"tls_key_file", "/a.key"}});
  // A changed value of each key that is not live, one at a time.
  const std::vector<std::pair<std::string, std::string>> changes = {
      {"websocket_enabled", "false"},   {"websocket_addr", "0.0.0.0:9999"}, {"websocket_path", "/other"},
      {"ingest_queue_events", "7"},     {"metrics_addr", "127.0.0.1:9464"}, {"durable_log_fsync", "never"},
  };
  for (const auto& [key, value] : changes) {
    EXPECT_EQ(ReloadOf(key), Reload::kRestart) << key;
    const Config next = *Parse({{"tls_cert_file", "/a.pem"}, {"tls_key_file", "/a.key"}, {key, value}});
    EXPECT_THAT(KeysNeedingRestart(running, next), ::testing::ElementsAre(key));
  }
  // Other TLS files are live; TLS off is not, and both keys are named.
  EXPECT_THAT(KeysNeedingRestart(running, *Parse({{"tls_cert_file", "/b.pem"}, {"tls_key_file", "/b.key"}})),
              ::testing::IsEmpty());
  EXPECT_THAT(KeysNeedingRestart(running, *Parse({})), ::testing::ElementsAre("tls_cert_file", "tls_key_file"));
  // Every live key may change together.
  const Config live = *Parse({{"tls_cert_file", "/a.pem"},
                              {"tls_key_file", "/a.key"},
                              {"max_subscribers", "5"},
                              {"inactivity_timeout", "1m"},
                              {"pii_scrubbing", "false"},
                              {"auth_tokens_file", "/tokens"},
                              {"allowed_origins", R"(["https://a.example"])"},
                              {"history_size", "3"},
                              {"position_interval", "1m"},
                              {"console_enabled", "true"}});
  EXPECT_THAT(KeysNeedingRestart(running, live), ::testing::IsEmpty());
}

TEST(ListenAddressTest, Forms) {
  auto v4 = ParseListenAddress("127.0.0.1:0");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  auto any = ParseListenAddress(":9000");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "0.0.0.0");
  EXPECT_EQ(any->port, 9000);
  auto local = ParseListenAddress("localhost:1");
  ASSERT_TRUE(local.ok());
  EXPECT_EQ(local->host, "127.0.0.1");
}

}  // namespace
}  // namespace armorclaw::eventbus
