#include "host-shim/event_feed.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <exception>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/string_view_compat.h"
#include "host-shim/line_splitter.h"
#include "host-shim/plugin_loader.h"

namespace armorclaw::host {
namespace {

constexpr size_t kReadChunk = 64 * 1024;

}  // namespace

EventFeed::EventFeed(int fd, std::string name, PublishFn publish, const ShutdownSignal& shutdown,
                     std::function<void(std::string_view)> report)
    : fd_(fd),
      name_(std::move(name)),
      publish_(std::move(publish)),
      shutdown_(shutdown),
      report_(std::move(report)),
      thread_([this] { Run(); }) {}

EventFeed::~EventFeed() { thread_.join(); }

void EventFeed::Run() {
  // Nothing may escape a thread function; a failure ends this feed, not the server.
  try {
    Feed();
  } catch (const std::exception& e) {
    report_(absl::StrCat(name_, " failed: ", e.what()));
  }
}

void EventFeed::Feed() {
  LineSplitter splitter;
  uint64_t accepted = 0;
  uint64_t rejected = 0;
  std::string error;
  const auto publish_line = [&](const Line& line) {
    if (line.too_long) {
      ++rejected;
      report_(absl::StrCat("line ", line.number, ": longer than ",
                           LineSplitter::kDefaultMaxLineBytes, " bytes, skipped"));
      return true;
    }
    const std::optional<aceb_status> status =
        PublishRetryingBusy(publish_, line.text, shutdown_, &error);
    if (!status.has_value()) return false;  // Stopping.
    if (*status == ACEB_OK) {
      ++accepted;
      return true;
    }
    if (*status == ACEB_INVALID) {
      ++rejected;
      report_(absl::StrCat("line ", line.number, ": ", error.empty() ? "rejected" : error));
      return true;
    }
    report_(absl::StrCat("line ", line.number, ": the plugin refused the event with ",
                         ToAbsl(StatusName(*status)), error.empty() ? "" : ": ", error,
                         "; no more events from ", name_));
    return false;
  };

  std::vector<char> buffer(kReadChunk);
  pollfd fds[2] = {{fd_, POLLIN, 0}, {shutdown_.fd(), POLLIN, 0}};
  while (true) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      report_(absl::StrCat(name_, ": poll failed: ", std::strerror(errno)));
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents & POLLNVAL) {
      report_(absl::StrCat(name_, ": not an open file descriptor"));
      return;
    }
    if (fds[0].revents == 0) continue;
    // POLLHUP and POLLERR land here too: read() then says what happened.
    const ssize_t n = ::read(fd_, buffer.data(), buffer.size());
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      report_(absl::StrCat(name_, ": read failed: ", std::strerror(errno)));
      return;
    }
    if (n == 0) break;
    if (!splitter.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), publish_line)) {
      return;
    }
  }
  if (!splitter.Finish(publish_line)) return;
  report_(absl::StrCat(name_, ": end of input; ", accepted, " events published, ", rejected,
                       " rejected"));
}

}  // namespace armorclaw::host
