#include "plugin/security/token_bucket.h"

#include <algorithm>
#include <cmath>

namespace armorclaw::eventbus {

bool TokenBucket::TryTake(Clock::time_point now, std::chrono::milliseconds& retry_after) {
  const double elapsed = std::chrono::duration<double>(now - updated_).count();
  tokens_ = std::min(rate_, tokens_ + std::max(0.0, elapsed) * rate_);
  updated_ = now;
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  retry_after = std::chrono::milliseconds(static_cast<int64_t>(std::ceil((1.0 - tokens_) / rate_ * 1000.0)));
  return false;
}

}  // namespace armorclaw::eventbus
