#include "host-shim/demo_feed.h"

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

TEST(DemoFeedTest, PublishesDistinctEventsUntilShutdown) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  constexpr size_t kStopAfter = 10;
  std::mutex mutex;
  std::vector<std::string> events;
  std::vector<std::string> reports;
  const PublishFn publish = [&](std::string_view event, std::string*) {
    std::lock_guard<std::mutex> lock(mutex);
    events.emplace_back(event);
    if (events.size() == kStopAfter) shutdown->Trigger();
    return ACEB_OK;
  };
  {
    DemoFeed feed(1000.0, 1, publish, *shutdown, [&](std::string_view line) {
      std::lock_guard<std::mutex> lock(mutex);
      reports.emplace_back(line);
    });
  }  // Joins the feed, which ends once shutdown is triggered.
  EXPECT_EQ(events.size(), kStopAfter);
  EXPECT_TRUE(reports.empty());
  const std::set<std::string> distinct(events.begin(), events.end());
  EXPECT_EQ(distinct.size(), events.size());
}

}  // namespace
}  // namespace armorclaw::host
