#include "host-shim/shutdown_signal.h"

#include <poll.h>
#include <sys/eventfd.h>

#include <cerrno>
#include <cstdint>
#include <ctime>

#include "absl/status/status.h"

namespace armorclaw::host {

absl::StatusOr<ShutdownSignal> ShutdownSignal::Create() {
  const int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return absl::ErrnoToStatus(errno, "eventfd");
  return ShutdownSignal(UniqueFd(fd));
}

void ShutdownSignal::Trigger() {
  const uint64_t one = 1;
  // The counter is never read, so it only saturates after 2^64-2 triggers; EAGAIN then still
  // leaves the fd readable, which is all that matters.
  while (::write(fd_.get(), &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

bool ShutdownSignal::triggered() const {
  pollfd pfd{fd_.get(), POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0;
}

bool ShutdownSignal::WaitUntil(std::chrono::steady_clock::time_point deadline) const {
  pollfd pfd{fd_.get(), POLLIN, 0};
  while (true) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) return triggered();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                           static_cast<long>(ns % 1'000'000'000)};
    const int ready = ::ppoll(&pfd, 1, &timeout, nullptr);
    if (ready > 0) return true;
    if (ready < 0 && errno != EINTR) return triggered();
  }
}

}  // namespace armorclaw::host
