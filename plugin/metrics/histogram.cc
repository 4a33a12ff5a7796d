#include "plugin/metrics/histogram.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace armorclaw::eventbus {

Histogram::Histogram(std::vector<uint64_t> upper_bounds) : upper_bounds_(std::move(upper_bounds)) {
  assert(upper_bounds_.size() <= kMaxBuckets && std::is_sorted(upper_bounds_.begin(), upper_bounds_.end()));
}

Histogram::Reading Histogram::Read() const {
  Reading reading;
  reading.upper_bounds = upper_bounds_;
  uint64_t running = 0;
  for (size_t bucket = 0; bucket <= upper_bounds_.size(); ++bucket) {
    running += counts_[bucket].load(std::memory_order_relaxed);
    reading.cumulative.push_back(running);
  }
  reading.count = running;
  reading.sum = sum_.load(std::memory_order_relaxed);
  return reading;
}

}  // namespace armorclaw::eventbus
