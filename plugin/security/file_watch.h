// Tells when files that were read at start have changed, so that what was built from them (the tokens,
// the JWT secret, the TLS certificate) can be rebuilt while the plugin runs.
//
// Polls each file's identity (device, inode, size, modification time) once a second on the I/O thread.
// A change is reported once it has held still for a whole poll, so that a file caught half-written is
// not taken for the new version; several files changed together (a certificate and its key) are
// reported once.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_FILE_WATCH_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_FILE_WATCH_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"

namespace armorclaw::eventbus {

class FileWatch {
 public:
  static constexpr std::chrono::seconds kPollInterval{1};

  // What identifies one version of a file; nullopt while it cannot be read (being replaced, say).
  struct Stamp {
    uint64_t device, inode, size;
    int64_t modified_ns;
    bool operator==(const Stamp&) const = default;
  };
  using Stamps = std::vector<std::optional<Stamp>>;

  // The current versions of `paths`. Taken just before the files are read, they name what was loaded: a
  // file replaced after that differs from them, whenever the watch starts.
  static Stamps Read(const std::vector<std::string>& paths);

  // `on_change` runs on the I/O thread after a change to any of `paths` since `loaded` (their versions
  // when they were read) has held still.
  FileWatch(boost::asio::io_context& io, std::vector<std::string> paths, Stamps loaded,
            std::function<void()> on_change);

  // On the I/O thread (or before it runs). Stop ends the polling for good, including a poll whose wait
  // has already completed and is queued: a watch left polling would keep the I/O thread from finishing.
  void Start();
  void Stop();
  // I/O thread: watches `paths` instead from now on (a reconfiguration named other files); `loaded` are
  // their versions when they were read. Replaces the watched list rather than the watch, so that no poll
  // already queued can outlive what it polls.
  void Rewatch(std::vector<std::string> paths, Stamps loaded);

 private:
  void Poll();

  boost::asio::steady_timer timer_;
  std::vector<std::string> paths_;
  const std::function<void()> on_change_;
  Stamps reported_;  // The versions last reported (at first: those loaded).
  Stamps seen_;      // The versions at the last poll.
  bool stopped_ = false;
};
}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_FILE_WATCH_H_
