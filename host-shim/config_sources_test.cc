#include "host-shim/config_sources.h"

#include <string>
#include <utility>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

TEST(EnvironmentEntriesTest, TakesPrefixedVariablesLowerCased) {
  const char* environment[] = {"PATH=/usr/bin",
                               "ARMORCLAW_EVENTBUS_WEBSOCKET_ADDR=127.0.0.1:0",
                               "ARMORCLAW_EVENTBUS_MAX_SUBSCRIBERS=5",
                               "ARMORCLAW_EVENTBUS_EMPTY=",
                               "ARMORCLAW_EVENTBUS_=no key",
                               "ARMORCLAW_EVENTBUSX=wrong prefix",
                               "armorclaw_eventbus_lower=wrong case",
                               "ARMORCLAW_EVENTBUS_WITH_EQUALS=a=b",
                               nullptr};
  EXPECT_THAT(EnvironmentEntries(environment),
              ElementsAre(Pair("empty", ""), Pair("max_subscribers", "5"),
                          Pair("websocket_addr", "127.0.0.1:0"), Pair("with_equals", "a=b")));
}

TEST(EnvironmentEntriesTest, NullEnvironment) { EXPECT_TRUE(EnvironmentEntries(nullptr).empty()); }

TEST(ParseSettingTest, SplitsAtFirstEquals) {
  EXPECT_EQ(*ParseSetting("websocket_addr=127.0.0.1:0"),
            std::make_pair(std::string("websocket_addr"), std::string("127.0.0.1:0")));
  EXPECT_EQ(*ParseSetting("a=b=c"), std::make_pair(std::string("a"), std::string("b=c")));
  EXPECT_EQ(*ParseSetting("a="), std::make_pair(std::string("a"), std::string()));
  EXPECT_EQ(ParseSetting("novalue").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseSetting("=x").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MergeConfigTest, LaterSourcesWinKeyByKey) {
  const ConfigEntries file = {{"websocket_addr", "0.0.0.0:8444"},
                              {"max_subscribers", "100"},
                              {"websocket_path", "/events"}};
  const ConfigEntries environment = {{"max_subscribers", "5"}, {"inactivity_timeout", "1m"}};
  const ConfigEntries settings = {{"websocket_addr", "127.0.0.1:0"},
                                  {"inactivity_timeout", "2m"},
                                  {"websocket_addr", "127.0.0.1:9"}};
  EXPECT_THAT(MergeConfig(MergeConfig(file, environment), settings),
              ElementsAre(Pair("websocket_addr", "127.0.0.1:9"), Pair("max_subscribers", "5"),
                          Pair("websocket_path", "/events"), Pair("inactivity_timeout", "2m")));
}

TEST(MergeConfigTest, EmptySources) {
  EXPECT_TRUE(MergeConfig({}, {}).empty());
  EXPECT_THAT(MergeConfig({}, {{"a", "1"}}), ElementsAre(Pair("a", "1")));
}

}  // namespace
}  // namespace armorclaw::host
