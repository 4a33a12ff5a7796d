#ifndef ARMORCLAW_HOST_SHIM_SHUTDOWN_SIGNAL_H_
#define ARMORCLAW_HOST_SHIM_SHUTDOWN_SIGNAL_H_

#include <chrono>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace armorclaw::host {

// A one-shot "we are stopping" flag that feed threads can wait on together with their input: an
// eventfd that becomes readable, and stays readable, once Trigger is called. A condition variable
// would not do, because a reader blocked in poll() on its input must wake up too.
class ShutdownSignal {
 public:
  static absl::StatusOr<ShutdownSignal> Create();

  ShutdownSignal(ShutdownSignal&&) noexcept = default;
  ShutdownSignal& operator=(ShutdownSignal&&) noexcept = default;

  // Idempotent; any thread.
  void Trigger();
  bool triggered() const;

  // For poll(): readable once triggered.
  int fd() const { return fd_.get(); }

  // Sleeps until `deadline` or until triggered, whichever comes first; true when triggered.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline) const;
  bool WaitFor(std::chrono::nanoseconds timeout) const {
    return WaitUntil(std::chrono::steady_clock::now() + timeout);
  }

 private:
  explicit ShutdownSignal(UniqueFd fd) : fd_(std::move(fd)) {}

  UniqueFd fd_;
};

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_SHUTDOWN_SIGNAL_H_
