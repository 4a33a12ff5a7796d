// A Prometheus-style histogram of integer observations (nanoseconds, bytes) with fixed bucket bounds.
// Observed by one thread (the I/O thread), read by any: relaxed atomics, no lock. A reading taken while
// observations go on may be a few observations behind in one bucket or the sum; the count it reports is
// always the sum of the buckets it read, so the +Inf bucket and the count agree.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HISTOGRAM_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HISTOGRAM_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace armorclaw::eventbus {

class Histogram {
 public:
  static constexpr size_t kMaxBuckets = 16;

  // `upper_bounds` ascending, at most kMaxBuckets, in the unit observed; +Inf is implied.
  explicit Histogram(std::vector<uint64_t> upper_bounds);

  // The observing thread only.
  void Observe(uint64_t value) {
    size_t bucket = 0;
    while (bucket < upper_bounds_.size() && value > upper_bounds_[bucket]) ++bucket;
    Bump(counts_[bucket], 1);
    Bump(sum_, value);
  }

  struct Reading {
    std::vector<uint64_t> upper_bounds;
    std::vector<uint64_t> cumulative;  // One per bound, then the +Inf bucket (= count).
    uint64_t sum = 0;
    uint64_t count = 0;
  };
  // Any thread.
  Reading Read() const;

 private:
  // One writer: a load and a store, no read-modify-write on the hot path.
  static void Bump(std::atomic<uint64_t>& counter, uint64_t by) {
    counter.store(counter.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
  }

  const std::vector<uint64_t> upper_bounds_;
  std::array<std::atomic<uint64_t>, kMaxBuckets + 1> counts_{};
  std::atomic<uint64_t> sum_{0};
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HISTOGRAM_H_
