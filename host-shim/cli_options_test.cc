#include "host-shim/cli_options.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::Pair;

TEST(ParseCommandLineTest, Defaults) {
  const absl::StatusOr<CliOptions> options = ParseCommandLine({});
  ASSERT_TRUE(options.ok());
  EXPECT_FALSE(options->help);
  EXPECT_EQ(options->config_path, std::nullopt);
  EXPECT_EQ(options->plugin_path, std::nullopt);
  EXPECT_EQ(options->events_path, std::nullopt);
  EXPECT_EQ(options->demo_events_per_second, std::nullopt);
  EXPECT_EQ(options->grace_ms, 5000u);
}

TEST(ParseCommandLineTest, EveryOptionInBothSpellings) {
  const absl::StatusOr<CliOptions> options = ParseCommandLine(
      {"--config", "bridge.toml", "--set", "websocket_addr=127.0.0.1:0", "--set=max_subscribers=3",
       "--plugin=./x.so", "--events", "-", "--demo=5.5", "--grace-ms=250"});
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_THAT(options->config_path, Optional(std::string("bridge.toml")));
  EXPECT_THAT(options->settings,
              ElementsAre(Pair("websocket_addr", "127.0.0.1:0"), Pair("max_subscribers", "3")));
  EXPECT_THAT(options->plugin_path, Optional(std::string("./x.so")));
  EXPECT_THAT(options->events_path, Optional(std::string("-")));
  EXPECT_THAT(options->demo_events_per_second, Optional(5.5));
  EXPECT_EQ(options->grace_ms, 250u);
}

TEST(ParseCommandLineTest, DemoWithoutRate) {
  EXPECT_THAT(ParseCommandLine({"--demo"})->demo_events_per_second, Optional(kDefaultDemoRate));
}

TEST(ParseCommandLineTest, Help) {
  EXPECT_TRUE(ParseCommandLine({"--help"})->help);
  EXPECT_TRUE(ParseCommandLine({"--demo", "-h", "--bogus"})->help);
}

TEST(ParseCommandLineTest, Errors) {
  const auto error = [](std::vector<std::string_view> args) {
    const absl::StatusOr<CliOptions> options = ParseCommandLine(args);
    EXPECT_FALSE(options.ok());
    return std::string(options.status().message());
  };
  EXPECT_THAT(error({"--bogus"}), HasSubstr("unknown option \"--bogus\""));
  EXPECT_THAT(error({"-x"}), HasSubstr("unknown option"));
  EXPECT_THAT(error({"stray"}), HasSubstr("unexpected argument"));
  EXPECT_THAT(error({"--demo", "5"}), HasSubstr("unexpected argument \"5\""));
  EXPECT_THAT(error({"--config"}), HasSubstr("--config needs a value"));
  EXPECT_THAT(error({"--set", "novalue"}), HasSubstr("key=value"));
  EXPECT_THAT(error({"--demo=0"}), HasSubstr("--demo"));
  EXPECT_THAT(error({"--demo=fast"}), HasSubstr("--demo"));
  EXPECT_THAT(error({"--demo=1e9"}), HasSubstr("--demo"));
  EXPECT_THAT(error({"--grace-ms=-1"}), HasSubstr("--grace-ms"));
  EXPECT_THAT(error({"--grace-ms", "99999999999"}), HasSubstr("--grace-ms"));
  EXPECT_THAT(error({"--events", "a", "--events", "b"}), HasSubstr("more than once"));
}

TEST(UsageTest, MentionsEveryOption) {
  const std::string usage = Usage("armorclaw-eventbus-host");
  for (const char* option : {"--config", "--set", "--plugin", "--events", "--demo", "--grace-ms",
                             "--help", "ARMORCLAW_EVENTBUS_"}) {
    EXPECT_THAT(usage, HasSubstr(option));
  }
}

}  // namespace
}  // namespace armorclaw::host
