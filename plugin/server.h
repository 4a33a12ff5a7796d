// The WebSocket listener: accepts connections into sessions, hands each published event to the
// subscription index, and shuts down in two steps (close frames, then the hard stop).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SERVER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "plugin/config.h"
#include "plugin/counters.h"
#include "plugin/event.h"
#include "plugin/host_log.h"
#include "plugin/hub.h"

namespace armorclaw::eventbus {

class Server {
 public:
  // Binds and listens on config.websocket_addr. Fails with Unavailable naming the address. Call before
  // the I/O thread runs.
  static absl::StatusOr<std::unique_ptr<Server>> Listen(boost::asio::io_context& io, const Config& config,
                                                        HostLog log, Counters& counters);

  // "ws://HOST:PORT/PATH" with the bound port. Immutable, so any thread may read it.
  const std::string& url() const { return url_; }

  // The rest runs on the I/O thread (Accept may also run before it starts).
  void Accept();
  // Returns the number of connections the event was queued for.
  size_t Dispatch(const EventPtr& event);
  // Stops accepting and sends every client a close frame; `all_closed` runs when the last connection has
  // gone (at once if there is none).
  void BeginShutdown(std::function<void()> all_closed);
  // Closes every socket that is still open, so that every pending operation ends.
  void Abort();

 private:
  Server(boost::asio::io_context& io, std::shared_ptr<Hub> hub);
  void OnAccept(boost::system::error_code error, boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  const std::shared_ptr<Hub> hub_;
  std::string url_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SERVER_H_
