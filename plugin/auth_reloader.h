// Re-reads the authentication files when they change, so that revoking a token or rotating the JWT
// secret takes effect without restarting the bridge, and closes the open connections whose token the
// new files no longer accept as it was.
//
// Polls each file's identity (device, inode, size, modification time) once a second on the I/O thread.
// A change is loaded only once it has held still for a whole poll, so that a file caught half-written
// by an editor is not taken for the new list. A file that fails to load leaves the previous tokens in
// force, with a warning.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_AUTH_RELOADER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_AUTH_RELOADER_H_

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "boost/asio/io_context.hpp"
#include "boost/asio/steady_timer.hpp"
#include "plugin/hub.h"

namespace armorclaw::eventbus {

class AuthReloader {
 public:
  static constexpr std::chrono::seconds kPollInterval{1};

  // Watches hub->config's authentication files, which must be configured (hub->authenticator set).
  AuthReloader(boost::asio::io_context& io, std::shared_ptr<Hub> hub);

  // On the I/O thread (or before it runs). Stop cancels the pending poll.
  void Start();
  void Stop();

 private:
  // What identifies one version of a file; nullopt when it cannot be read (a rename in progress).
  struct Stamp {
    uint64_t device, inode, size;
    int64_t modified_ns;
    bool operator==(const Stamp&) const = default;
  };
  using Stamps = std::vector<std::optional<Stamp>>;

  Stamps Read() const;
  void Poll();
  void Reload();

  boost::asio::steady_timer timer_;
  const std::shared_ptr<Hub> hub_;
  std::vector<std::string> paths_;
  Stamps loaded_;  // Of the files the authenticator in force was built from.
  Stamps seen_;    // At the last poll.
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_AUTH_RELOADER_H_
