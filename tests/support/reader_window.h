// Keeps a publisher within a few events of a reader, so that on a loaded machine a reader merely slowed
// down is never mistaken for a stalled client (and cut as one).
#ifndef ARMORCLAW_EVENTBUS_TESTS_SUPPORT_READER_WINDOW_H_
#define ARMORCLAW_EVENTBUS_TESTS_SUPPORT_READER_WINDOW_H_

#include <atomic>
#include <chrono>
#include <thread>

#include "gtest/gtest.h"

namespace armorclaw::eventbus::testing {

// Waits until `read` (the messages a reader has read) is at least `least`; fails the test if the reader
// makes no progress for 60 s. Call through ASSERT_NO_FATAL_FAILURE.
inline void AwaitReaderAt(const std::atomic<int>& read, int least) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (read.load(std::memory_order_acquire) < least) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the reader stopped reading";
    std::this_thread::yield();
  }
}

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_SUPPORT_READER_WINDOW_H_
