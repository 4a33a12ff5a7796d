// Proof of life of the I/O thread for /healthz, and the measure of how long it keeps work waiting: a timer
// on that thread stamps an atomic every kInterval; any thread can ask how old the stamp is. A handler that
// blocks the thread (a slow log callback, say) stops the stamps, so the age grows past kStalledAfter.
//
// Each beat also records its lateness, the time from when its timer expired to when the thread ran it:
// anything that became ready then (a socket, a published event, a subscribe) waited as long. A handler
// that holds the thread for H shows as a beat at least H - kInterval late, so kInterval is short enough
// to catch a hold of a few tens of milliseconds (the target of docs/benchmarks.md "Overload") at the cost
// of 40 timer wake-ups a second.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HEARTBEAT_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HEARTBEAT_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "plugin/metrics/histogram.h"

namespace armorclaw::eventbus {

class Heartbeat {
 public:
  static constexpr std::chrono::milliseconds kInterval{25};
  // Eighty missed beats: long enough that a busy but healthy thread never looks stalled.
  static constexpr std::chrono::seconds kStalledAfter{2};

  // `lateness_ns` observes each beat's lateness in nanoseconds.
  Heartbeat(boost::asio::io_context& io, Histogram& lateness_ns) : timer_(io), lateness_ns_(lateness_ns) {}

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
  Histogram& lateness_ns_;
  std::atomic<int64_t> last_beat_ns_{0};  // steady_clock's time since its epoch.
  std::atomic<bool> stopped_{false};
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_METRICS_HEARTBEAT_H_
