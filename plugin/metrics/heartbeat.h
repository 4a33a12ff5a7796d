// Proof of life of the I/O thread for /healthz: a timer on that thread stamps an atomic every kInterval;
// any thread can ask how old the stamp is. A handler that blocks the thread (a slow log callback, say)
// stops the stamps, so the age grows past kStalledAfter.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HEARTBEAT_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HEARTBEAT_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"

namespace armorclaw::eventbus {

class Heartbeat {
 public:
  static constexpr std::chrono::milliseconds kInterval{250};
  // Eight missed beats: long enough that a busy but healthy thread never looks stalled.
  static constexpr std::chrono::seconds kStalledAfter{2};

  explicit Heartbeat(boost::asio::io_context& io) : timer_(io) {}

  // Host thread, before the I/O thread serves anything: stamps now and posts the first beat, which arms
  // the next. Stop, on the I/O thread, ends them for good (the timer would otherwise keep the thread's
  // run() from returning).
  void Start();
  void Stop();

  // Any thread: whether Stop was called, and how long ago the last beat was.
  bool stopped() const { return stopped_.load(std::memory_order_relaxed); }
  std::chrono::steady_clock::duration SinceLastBeat() const;

 private:
  void Beat();

  boost::asio::steady_timer timer_;
  std::atomic<int64_t> last_beat_ns_{0};  // steady_clock's time since its epoch.
  std::atomic<bool> stopped_{false};
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HEARTBEAT_H_
