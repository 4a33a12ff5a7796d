// A log-linear latency histogram from 1 µs to 60 s: each power-of-two octave is split into 64 linear
// buckets, so a reported percentile is within 1/128 (< 0.8 %) of a recorded value. Recording is one
// array increment; nothing allocates after construction.
#ifndef ARMORCLAW_EVENTBUS_BENCH_LATENCY_HISTOGRAM_H_
#define ARMORCLAW_EVENTBUS_BENCH_LATENCY_HISTOGRAM_H_

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace armorclaw::eventbus::bench {

class LatencyHistogram {
 public:
  static constexpr int64_t kMinNs = 1'000;           // Values below count as 1 µs.
  static constexpr int64_t kMaxNs = 60'000'000'000;  // Values above count as 60 s (max stays exact).

  void Record(int64_t ns) {
    if (count_ == 0 || ns < min_) min_ = ns;
    if (count_ == 0 || ns > max_) max_ = ns;
    ++count_;
    if (ns < kMinNs) {
      ++below_min_;
      ns = kMinNs;
    } else if (ns > kMaxNs) {
      ++above_max_;
      ns = kMaxNs;
    }
    ++counts_[Index(static_cast<uint64_t>(ns))];
  }

  // Adds every record of `other`, as if recorded here.
  void Merge(const LatencyHistogram& other) {
    if (other.count_ == 0) return;
    if (count_ == 0 || other.min_ < min_) min_ = other.min_;
    if (count_ == 0 || other.max_ > max_) max_ = other.max_;
    count_ += other.count_;
    below_min_ += other.below_min_;
    above_max_ += other.above_max_;
    for (int i = 0; i < kBuckets; ++i) counts_[i] += other.counts_[i];
  }

  uint64_t count() const { return count_; }
  int64_t max() const { return max_; }
  int64_t min() const { return min_; }
  uint64_t below_min() const { return below_min_; }
  uint64_t above_max() const { return above_max_; }

  // The smallest recorded value v such that at least fraction p of the records are <= v, to bucket
  // precision (the bucket's midpoint, clamped to the exact min and max). 0 when empty.
  int64_t Percentile(double p) const {
    if (count_ == 0) return 0;
    const uint64_t rank = std::clamp<uint64_t>(static_cast<uint64_t>(std::ceil(p * static_cast<double>(count_))), 1,
                                               count_);
    uint64_t seen = 0;
    for (int i = 0; i < kBuckets; ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::clamp<int64_t>(Midpoint(i), min_, max_);
    }
    return max_;
  }

  static int Index(uint64_t v) {
    const int msb = 63 - __builtin_clzll(v);
    const int shift = msb - kSubBits;  // >= 3 because v >= kMinNs.
    return shift * kSub + static_cast<int>((v >> shift) - kSub);
  }
  static int64_t Midpoint(int index) {
    const int shift = index / kSub;
    const int64_t lower = static_cast<int64_t>(index % kSub + kSub) << shift;
    return lower + ((int64_t{1} << shift) >> 1);
  }

 private:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;
  // kMaxNs (6e10) has its most significant bit at 35: shift 29, so 30 octaves of 64 buckets.
  static constexpr int kBuckets = 30 * kSub;

  std::array<uint64_t, kBuckets> counts_{};
  uint64_t count_ = 0;
  uint64_t below_min_ = 0;
  uint64_t above_max_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
};

}  // namespace armorclaw::eventbus::bench

#endif  // ARMORCLAW_EVENTBUS_BENCH_LATENCY_HISTOGRAM_H_
