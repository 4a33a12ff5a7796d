#include "plugin/metrics/heartbeat.h"

#include <algorithm>

#include "boost/asio/post.hpp"

namespace armorclaw::eventbus {
namespace {

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Heartbeat::Start() {
  last_beat_ns_.store(NowNs(), std::memory_order_relaxed);
  boost::asio::post(timer_.get_executor(), [this] { Beat(); });
}

void Heartbeat::Stop() {
  stopped_.store(true, std::memory_order_relaxed);
  timer_.cancel();
}

void Heartbeat::Beat() {
  if (stopped()) return;
  last_beat_ns_.store(NowNs(), std::memory_order_relaxed);
  timer_.expires_after(kInterval);
  timer_.async_wait([this](boost::system::error_code error) {
    if (error) return;
    const auto late = std::chrono::steady_clock::now() - timer_.expiry();
    lateness_ns_.Observe(static_cast<uint64_t>(
        std::max<int64_t>(0, std::chrono::duration_cast<std::chrono::nanoseconds>(late).count())));
    Beat();
  });
}

std::chrono::steady_clock::duration Heartbeat::SinceLastBeat() const {
  return std::chrono::nanoseconds(NowNs() - last_beat_ns_.load(std::memory_order_relaxed));
}

}  // namespace armorclaw::eventbus
