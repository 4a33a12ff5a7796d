#include "plugin/security/token_bucket.h"

#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucketTest, AllowsABurstOfRateThenRefillsOverTime) {
  const TokenBucket::Clock::time_point start{};
  TokenBucket bucket(4, start);
  milliseconds retry_after{0};
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(bucket.TryTake(start, retry_after)) << i;
  EXPECT_FALSE(bucket.TryTake(start, retry_after));
  EXPECT_EQ(retry_after, milliseconds(250));
  EXPECT_FALSE(bucket.TryTake(start + milliseconds(100), retry_after));
  EXPECT_EQ(retry_after, milliseconds(150));
  EXPECT_TRUE(bucket.TryTake(start + milliseconds(250), retry_after));
  // A long quiet time refills no more than the burst.
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(bucket.TryTake(start + std::chrono::hours(1), retry_after)) << i;
  EXPECT_FALSE(bucket.TryTake(start + std::chrono::hours(1), retry_after));
}

}  // namespace
}  // namespace armorclaw::eventbus
