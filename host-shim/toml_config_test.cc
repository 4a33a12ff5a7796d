#include "host-shim/toml_config.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/config.h"

namespace armorclaw::host {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

TEST(ParseEventbusTableTest, ClientGuideExample) {
  const absl::StatusOr<ConfigEntries> entries = ParseEventbusTable(R"(
[eventbus]
# Enable WebSocket server for event push
websocket_enabled = true
websocket_addr = "0.0.0.0:8444"
websocket_path = "/events"
max_subscribers = 100
inactivity_timeout = "30m"
)",
                                                                   "config.toml");
  ASSERT_TRUE(entries.ok()) << entries.status();
  // In the file's order, which is not the alphabetical one.
  EXPECT_THAT(*entries, ElementsAre(Pair("websocket_enabled", "true"), Pair("websocket_addr", "0.0.0.0:8444"),
                                    Pair("websocket_path", "/events"), Pair("max_subscribers", "100"),
                                    Pair("inactivity_timeout", "30m")));
}

// The plugin stops at the first invalid entry it is given, so the error must name the first one in the file.
TEST(ParseEventbusTableTest, ThePluginReportsTheFirstBadValueOfTheFile) {
  const absl::StatusOr<ConfigEntries> entries = ParseEventbusTable(R"(
[eventbus]
max_subscribers = 0
handshake_timeout = "1d"
)",
                                                                   "config.toml");
  ASSERT_TRUE(entries.ok()) << entries.status();
  const absl::StatusOr<eventbus::Config> config =
      eventbus::ParseConfig(*entries, [](std::string_view warning) { ADD_FAILURE() << warning; });
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("for max_subscribers:"));
}

TEST(ParseEventbusTableTest, ScalarsAsPlainText) {
  const absl::StatusOr<ConfigEntries> entries = ParseEventbusTable(R"(
[eventbus]
off = false
hex = 0x1F
negative = -7
ratio = 0.25
whole = 2.0
big = 1e300
infinite = -inf
day = 1979-05-27
moment = 1979-05-27T07:32:00Z
quoted = "say \"hi\"\n"
)",
                                                                   "t.toml");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(
      *entries,
      ElementsAre(Pair("off", "false"), Pair("hex", "31"), Pair("negative", "-7"),
                           Pair("ratio", "0.25"), Pair("whole", "2.0"), Pair("big", "1e+300"),
                           Pair("infinite", "-inf"), Pair("day", "1979-05-27"),
                           Pair("moment", "1979-05-27T07:32:00Z"), Pair("quoted", "say \"hi\"\n")));
}

TEST(ParseEventbusTableTest, ArraysAsJson) {
  const absl::StatusOr<ConfigEntries> entries = ParseEventbusTable(R"(
[eventbus]
allowed_origins = ["https://a.example", "https://b.example"]
empty = []
mixed = [1, 2.5, true, "q\"uote", [3], { name = "x" }]
)",
                                                                   "t.toml");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(*entries, ElementsAre(
                            Pair("allowed_origins", R"(["https://a.example","https://b.example"])"),
                            Pair("empty", "[]"),
                            Pair("mixed", R"([1,2.5,true,"q\"uote",[3],{"name":"x"}])")));
}

TEST(ParseEventbusTableTest, SubTablesBecomeDottedKeys) {
  const absl::StatusOr<ConfigEntries> entries = ParseEventbusTable(R"(
[eventbus]
websocket_enabled = true
[eventbus.tls]
cert_file = "/etc/cert.pem"
[[eventbus.routes]]
path = "/a"
[[eventbus.routes]]
path = "/b"
)",
                                                                   "t.toml");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(*entries, ElementsAre(Pair("websocket_enabled", "true"), Pair("tls.cert_file", "/etc/cert.pem"),
                                    Pair("routes", R"([{"path":"/a"},{"path":"/b"}])")));
}

TEST(ParseEventbusTableTest, OtherTablesAreIgnored) {
  const absl::StatusOr<ConfigEntries> entries = ParseEventbusTable(R"(
[matrix]
homeserver = "https://matrix.example.org"
)",
                                                                   "t.toml");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(*entries, IsEmpty());
}

TEST(ParseEventbusTableTest, SyntaxErrorNamesFileAndLine) {
  const absl::StatusOr<ConfigEntries> entries =
      ParseEventbusTable("[eventbus]\nwebsocket_addr = \"unterminated\n", "bridge.toml");
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(entries.status().message(), HasSubstr("bridge.toml:2:"));
}

TEST(ParseEventbusTableTest, EventbusMustBeATable) {
  const absl::StatusOr<ConfigEntries> entries = ParseEventbusTable("eventbus = 3\n", "t.toml");
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(entries.status().message(), HasSubstr("not a table"));
}

TEST(LoadEventbusTableTest, ReadsAFile) {
  const std::string path = ::testing::TempDir() + "/toml_config_test.toml";
  std::ofstream(path) << "[eventbus]\nmax_subscribers = 7\n";
  const absl::StatusOr<ConfigEntries> entries = LoadEventbusTable(path);
  std::remove(path.c_str());
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_THAT(*entries, ElementsAre(Pair("max_subscribers", "7")));
}

TEST(LoadEventbusTableTest, MissingFileNamesIt) {
  const absl::StatusOr<ConfigEntries> entries = LoadEventbusTable("/nonexistent/config.toml");
  EXPECT_EQ(entries.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(entries.status().message(), HasSubstr("/nonexistent/config.toml"));
}

}  // namespace
}  // namespace armorclaw::host
