#include "plugin/metrics/exposition.h"

#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/counters.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::HasSubstr;

// Sample lines (not comments) of an exposition, by series (name and labels) to value text.
std::map<std::string, std::string> Samples(const std::string& text) {
  std::map<std::string, std::string> samples;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (line.front() == '#') continue;
    const size_t space = line.rfind(' ');
    samples.emplace(std::string(line.substr(0, space)), std::string(line.substr(space + 1)));
  }
  return samples;
}

TEST(ExpositionTest, EveryStatsFigureIsOneSeriesWithItsValue) {
  // Distinct values, so that a series showing another field's figure is caught.
  StatsSnapshot snapshot = Counters().Snapshot(0, 0, 0, true);
  for (size_t i = 0; i < snapshot.size(); ++i) snapshot[i].value = 1000 + i;
  const Histogram latency({1'000'000});
  const Histogram batch({64});
  const Histogram lateness({25'000'000});
  const std::map<std::string, std::string> samples =
      Samples(WriteExposition(snapshot, latency.Read(), batch.Read(), lateness.Read()));
  for (const StatsFigure& figure : snapshot) {
    if (figure.name == "active_subscribers") continue;  // subscriptions_active under the bridge's name.
    int shown = 0;
    for (const auto& [series, value] : samples) shown += value == std::to_string(figure.value);
    EXPECT_EQ(shown, 1) << figure.name;
  }
  // The stats figures, and four samples for each histogram (its one bucket, +Inf, sum, count).
  EXPECT_EQ(samples.size(), snapshot.size() - 1 + 3 * 4);
}

TEST(ExpositionTest, HistogramsInBaseUnits) {
  Histogram latency({1'000'000, 250'000'000});  // 1 ms, 250 ms
  latency.Observe(500'000);
  latency.Observe(2'000'000'000);
  Histogram batch({64});
  batch.Observe(100);
  Histogram lateness({25'000'000, 50'000'000});  // 25 ms, 50 ms
  lateness.Observe(30'000'000);
  const std::map<std::string, std::string> samples = Samples(
      WriteExposition(Counters().Snapshot(0, 0, 0, true), latency.Read(), batch.Read(), lateness.Read()));
  EXPECT_EQ(samples.at(R"(armorclaw_eventbus_publish_to_socket_seconds_bucket{le="0.001"})"), "1");
  EXPECT_EQ(samples.at(R"(armorclaw_eventbus_publish_to_socket_seconds_bucket{le="0.25"})"), "1");
  EXPECT_EQ(samples.at(R"(armorclaw_eventbus_publish_to_socket_seconds_bucket{le="+Inf"})"), "2");
  EXPECT_EQ(samples.at("armorclaw_eventbus_publish_to_socket_seconds_count"), "2");
  double sum = 0;
  ASSERT_TRUE(absl::SimpleAtod(samples.at("armorclaw_eventbus_publish_to_socket_seconds_sum"), &sum));
  EXPECT_DOUBLE_EQ(sum, 2.0005);
  EXPECT_EQ(samples.at(R"(armorclaw_eventbus_write_batch_bytes_bucket{le="64"})"), "0");
  EXPECT_EQ(samples.at("armorclaw_eventbus_write_batch_bytes_sum"), "100");
  EXPECT_EQ(samples.at(R"(armorclaw_eventbus_io_thread_lateness_seconds_bucket{le="0.025"})"), "0");
  EXPECT_EQ(samples.at(R"(armorclaw_eventbus_io_thread_lateness_seconds_bucket{le="0.05"})"), "1");
  EXPECT_EQ(samples.at("armorclaw_eventbus_io_thread_lateness_seconds_sum"), "0.03");
}

TEST(ExpositionTest, OneHelpAndTypePerFamily) {
  const std::string text = WriteExposition(Counters().Snapshot(0, 0, 0, true), Histogram({1}).Read(),
                                           Histogram({1}).Read(), Histogram({1}).Read());
  std::map<std::string, int> types;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (absl::StartsWith(line, "# TYPE ")) {
      const std::vector<std::string> words = absl::StrSplit(line, ' ');
      ++types[words.at(2)];
    }
  }
  for (const auto& [family, count] : types) EXPECT_EQ(count, 1) << family;
  EXPECT_THAT(text, HasSubstr("# TYPE armorclaw_eventbus_disconnects_total counter\n"));
  EXPECT_THAT(text, HasSubstr(R"(armorclaw_eventbus_disconnects_total{reason="slow_consumer"} 0)"));
}

}  // namespace
}  // namespace armorclaw::eventbus
