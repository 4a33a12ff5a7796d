#ifndef ARMORCLAW_HOST_SHIM_DEMO_FEED_H_
#define ARMORCLAW_HOST_SHIM_DEMO_FEED_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <thread>

#include "host-shim/publish_retry.h"
#include "host-shim/shutdown_signal.h"

namespace armorclaw::host {

// Publishes DemoEventGenerator events at a steady rate on a thread of its own until `shutdown`.
// The schedule follows a steady clock; after a stall (a long ACEB_BUSY) it restarts from now
// instead of bursting to catch up.
class DemoFeed {
 public:
  DemoFeed(double events_per_second, uint64_t seed, PublishFn publish,
           const ShutdownSignal& shutdown, std::function<void(std::string_view)> report);
  DemoFeed(const DemoFeed&) = delete;
  DemoFeed& operator=(const DemoFeed&) = delete;
  // Joins the thread; trigger `shutdown` first.
  ~DemoFeed();

 private:
  void Run();
  void Feed();

  const std::chrono::nanoseconds period_;
  const uint64_t seed_;
  const PublishFn publish_;
  const ShutdownSignal& shutdown_;
  const std::function<void(std::string_view)> report_;
  std::thread thread_;  // Last: starts once everything it uses is constructed.
};

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_DEMO_FEED_H_
