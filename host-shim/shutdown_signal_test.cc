#include "host-shim/shutdown_signal.h"

#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

TEST(ShutdownSignalTest, WaitsUntilDeadlineOrTrigger) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  EXPECT_FALSE(shutdown->triggered());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(shutdown->WaitFor(std::chrono::milliseconds(20)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(20));
  shutdown->Trigger();
  shutdown->Trigger();
  EXPECT_TRUE(shutdown->triggered());
  EXPECT_TRUE(shutdown->WaitFor(std::chrono::hours(1)));
}

TEST(ShutdownSignalTest, WakesAWaiterInAnotherThread) {
  absl::StatusOr<ShutdownSignal> shutdown = ShutdownSignal::Create();
  ASSERT_TRUE(shutdown.ok());
  bool woke = false;
  std::thread waiter([&] { woke = shutdown->WaitFor(std::chrono::hours(1)); });
  shutdown->Trigger();
  waiter.join();
  EXPECT_TRUE(woke);
}

}  // namespace
}  // namespace armorclaw::host
