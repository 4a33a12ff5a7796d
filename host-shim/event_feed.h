#ifndef ARMORCLAW_HOST_SHIM_EVENT_FEED_H_
#define ARMORCLAW_HOST_SHIM_EVENT_FEED_H_

#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "host-shim/publish_retry.h"
#include "host-shim/shutdown_signal.h"

namespace armorclaw::host {

// Publishes newline-delimited JSON events read from a file descriptor, in order, on a thread of
// its own. A rejected event (ACEB_INVALID) is reported as "line N: <reason>" and reading goes on;
// any other refusal stops the feed, since the plugin would refuse every later event as well. End
// of input ends the feed, nothing else.
class EventFeed {
 public:
  // `fd` is borrowed and must stay open until the feed is destroyed; `name` names the input in
  // reports; `report` receives one line per problem, from the feed's thread.
  EventFeed(int fd, std::string name, PublishFn publish, const ShutdownSignal& shutdown,
            std::function<void(std::string_view)> report);
  EventFeed(const EventFeed&) = delete;
  EventFeed& operator=(const EventFeed&) = delete;
  // Joins the thread. It returns promptly once `shutdown` is triggered; without that it waits for
  // the end of the input.
  ~EventFeed();

 private:
  void Run();
  void Feed();

  const int fd_;
  const std::string name_;
  const PublishFn publish_;
  const ShutdownSignal& shutdown_;
  const std::function<void(std::string_view)> report_;
  std::thread thread_;  // Last: starts once everything it uses is constructed.
};

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_EVENT_FEED_H_
