#include "plugin/metrics/heartbeat.h"

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
    if (!error) Beat();
  });
}

std::chrono::steady_clock::duration Heartbeat::SinceLastBeat() const {
  return std::chrono::nanoseconds(NowNs() - last_beat_ns_.load(std::memory_order_relaxed));
}

}  // namespace armorclaw::eventbus
