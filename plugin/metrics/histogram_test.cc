#include "plugin/metrics/histogram.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::ElementsAre;

TEST(HistogramTest, BucketsAreCumulativeAndBoundsInclusive) {
  Histogram histogram({10, 100});
  for (uint64_t value : {0, 10, 11, 100, 101, 5000}) histogram.Observe(value);
  const Histogram::Reading reading = histogram.Read();
  EXPECT_THAT(reading.upper_bounds, ElementsAre(10, 100));
  EXPECT_THAT(reading.cumulative, ElementsAre(2, 4, 6));
  EXPECT_EQ(reading.count, 6);
  EXPECT_EQ(reading.sum, 0 + 10 + 11 + 100 + 101 + 5000);
}

TEST(HistogramTest, EmptyReadsZero) {
  const Histogram::Reading reading = Histogram({1, 2, 3}).Read();
  EXPECT_THAT(reading.cumulative, ElementsAre(0, 0, 0, 0));
  EXPECT_EQ(reading.count, 0);
  EXPECT_EQ(reading.sum, 0);
}

}  // namespace
}  // namespace armorclaw::eventbus
