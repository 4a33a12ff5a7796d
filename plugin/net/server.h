// The WebSocket listener: accepts connections into sessions, hands each published event to the
// subscription index, and shuts down in two steps (close frames, then the hard stop).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_SERVER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "plugin/config.h"
#include "plugin/net/corked_socket.h"
#include "plugin/counters.h"
#include "plugin/event.h"
#include "plugin/security/file_watch.h"
#include "plugin/history/log_writer.h"
#include "plugin/host_log.h"
#include "plugin/net/hub.h"

namespace armorclaw::eventbus {

class Server {
 public:
  // Binds and listens on config.websocket_addr. Fails with Unavailable naming the address. Any thread;
  // nothing runs on the I/O thread before Start. `auth_files_loaded` are the versions of the
  // authentication files `authenticator` was built from: a file replaced since is loaded by the watch.
  // `epoch` names the plugin's history of sequence numbers (Hub::epoch). `stats_json` writes the stats
  // JSON for the console (Hub::stats_json). `log_writer` (null: the durable log is off) outlives the
  // server; the numbering continues after its log's last offset.
  static absl::StatusOr<std::unique_ptr<Server>> Listen(boost::asio::io_context& io, const Config& config,
                                                        std::string epoch,
                                                        std::shared_ptr<const Authenticator> authenticator,
                                                        FileWatch::Stamps auth_files_loaded, HostLog log,
                                                        Counters& counters,
                                                        std::function<std::string()> stats_json,
                                                        const LogWriter* log_writer = nullptr);
  // The authentication files in the order Listen's `auth_files_loaded` stamps them.
  static std::vector<std::string> AuthenticationFiles(const Config& config);

  // "ws://HOST:PORT/PATH" with the bound port. Immutable, so any thread may read it.
  const std::string& url() const { return url_; }

  // The rest runs on the I/O thread (Start may also run before it starts).
  // Starts accepting connections and watching the authentication and TLS files, if any.
  void Start();
  // Hands each event, in order, to the connections whose subscriptions match it (queued, not yet sent:
  // see Flush), and retains them for resuming clients.
  void Publish(const std::vector<EventPtr>& events);
  // Sends every connection that was given events its share, one writev each, oldest first, in parts of
  // at most kFlushPart of the I/O thread: what is left is sent by a handler of its own, posted behind the
  // work already ready (socket completions, subscribes, timers). Once all are sent, applies
  // max_total_queue_bytes. While a part waits, flushing() is true; Publish may still be called then (its
  // connections join the same flush).
  void Flush();
  bool flushing() const { return flush_part_posted_; }
  // Live events queued to connections so far, less those a slow-consumer cut dropped (the deliveries
  // statistic). Not a per-batch count: a cut between batches takes back deliveries of earlier ones.
  size_t deliveries() const { return hub_->deliveries; }
  // Stops accepting and watching, and sends every client a close frame; connections still open after
  // `grace` are dropped (with a warning). Afterwards nothing of the server's is left pending on the I/O
  // context, so that its run() returns.
  void Shutdown(absl::Duration grace);
  // A reconfiguration (Plugin::Reconfigure): `next` differs from the running configuration only in keys
  // that apply live (KeysNeedingRestart is empty). `authenticator` and `auth_files_loaded` were built from
  // `next` (and are null/empty when it turns authentication off). Loads a changed TLS pair first: if it
  // does not load, fails with InvalidArgument and nothing changes. Otherwise every limit applies from the
  // next check on, open connections stay (see docs/operations.md, "Reloading the configuration"), and
  // changed authentication is installed as a reload of the files is.
  absl::Status Reconfigure(const Config& next, std::shared_ptr<const Authenticator> authenticator,
                           FileWatch::Stamps auth_files_loaded);

 private:
  Server(boost::asio::io_context& io, std::shared_ptr<Hub> hub);
  void Accept();
  void OnAccept(boost::system::error_code error, CorkedSocket::socket_type socket);
  // Makes a session of an accepted socket, unless its address already holds max_connections_per_address.
  void Admit(CorkedSocket::socket_type socket);
  // The authentication files changed: the new tokens and secret apply to new connections, and every
  // session checks its token again. If they do not load, the previous ones stay.
  void ReloadAuthentication();
  // Puts `authenticator` in force for new connections and has every session check its token again.
  void InstallAuthenticator(std::shared_ptr<const Authenticator> authenticator);
  // The certificate or key changed: new connections get the new pair; open ones keep theirs. If the
  // pair does not load (one file replaced, not yet the other), the previous one stays.
  void ReloadTls();
  // Stops accepting, retrying and watching files.
  void StopServing();
  // Closes every socket that is still open, so that every pending operation ends. Allocates nothing, so
  // that it works when nothing else does.
  void Abort();
  // Publishes what the history holds in the stats.
  void RecordHistory();
  // One part of Flush; posts the next part when sessions are left.
  void FlushPart();
  // While the bytes queued for all connections exceed max_total_queue_bytes, cuts the connection with the
  // largest queue as a slow consumer.
  void BoundTotalQueueBytes();
  // Every position_interval, one walk over the sessions sends a position to each that is behind the head
  // (Session::SendPosition): one timer for the server, none per connection.
  void ArmPositionTimer();

  // How long one part of a flush may hold the I/O thread (docs/benchmarks.md, "Overload").
  static constexpr std::chrono::milliseconds kFlushPart{5};

  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer grace_timer_;  // Shutdown's grace period.
  boost::asio::steady_timer position_timer_;
  const std::shared_ptr<Hub> hub_;
  std::optional<FileWatch> auth_watch_;  // When authentication is on.
  std::optional<FileWatch> tls_watch_;   // When TLS is on.
  std::string url_;
  bool flush_part_posted_ = false;  // The next part of a flush waits in the I/O context.
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_SERVER_H_
