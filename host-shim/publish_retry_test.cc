#include "host-shim/publish_retry.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

TEST(PublishRetryingBusyTest, RetriesBusyUntilAccepted) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  int calls = 0;
  const PublishFn publish = [&](std::string_view event, std::string*) {
    EXPECT_EQ(event, "{}");  // The same event every time: nothing is dropped.
    return ++calls < 4 ? ACEB_BUSY : ACEB_OK;
  };
  std::string error;
  EXPECT_EQ(PublishRetryingBusy(publish, "{}", *shutdown, &error), ACEB_OK);
  EXPECT_EQ(calls, 4);
}

TEST(PublishRetryingBusyTest, ReturnsOtherStatusesAtOnce) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  int calls = 0;
  const PublishFn publish = [&](std::string_view, std::string* error) {
    ++calls;
    *error = "missing sender";
    return ACEB_INVALID;
  };
  std::string error;
  EXPECT_EQ(PublishRetryingBusy(publish, "{}", *shutdown, &error), ACEB_INVALID);
  EXPECT_EQ(error, "missing sender");
  EXPECT_EQ(calls, 1);
}

TEST(PublishRetryingBusyTest, ShutdownEndsTheRetries) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  std::atomic<int> calls = 0;
  const PublishFn always_busy = [&](std::string_view, std::string*) {
    ++calls;
    return ACEB_BUSY;
  };
  std::thread stopper([&] {
    while (calls < 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    shutdown->Trigger();
  });
  std::string error;
  EXPECT_EQ(PublishRetryingBusy(always_busy, "{}", *shutdown, &error), std::nullopt);
  stopper.join();
}

}  // namespace
}  // namespace armorclaw::host
