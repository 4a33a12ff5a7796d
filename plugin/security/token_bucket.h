// A token bucket: `rate` actions per second on average, up to `rate` at once after a quiet second.
// Limits how fast one connection may subscribe, so that a client cannot churn the index.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_TOKEN_BUCKET_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_TOKEN_BUCKET_H_

#include <chrono>

namespace armorclaw::eventbus {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;

  TokenBucket(double rate, Clock::time_point now) : rate_(rate), tokens_(rate), updated_(now) {}

  // Takes a token at `now`. When there is none, returns false and sets `retry_after` to the wait until
  // the next one.
  bool TryTake(Clock::time_point now, std::chrono::milliseconds& retry_after);
  // A new rate (a reconfiguration): the tokens saved up so far are kept, up to the new burst.
  void SetRate(double rate) {
    rate_ = rate;
    if (tokens_ > rate_) tokens_ = rate_;
  }

 private:
  double rate_;
  double tokens_;
  Clock::time_point updated_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_TOKEN_BUCKET_H_
