// The operator listener (metrics_addr): plain HTTP for /metrics, /healthz and /readyz, on its own port and
// its own thread with its own io_context, so that it answers while the I/O thread is stalled. It reads
// only what is safe from any thread (atomics, the ingest queue's locked figures) and never calls the
// host's log callback.
//
// Bounded: one request per connection (answered with Connection: close), request headers up to
// kHeaderLimit, no body, kReadTimeout for the request, at most kMaxConnections at once (more are closed
// at accept, unanswered).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_METRICS_OPERATOR_SERVER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_METRICS_OPERATOR_SERVER_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "plugin/config.h"
#include "plugin/metrics/heartbeat.h"

namespace armorclaw::eventbus {

class OperatorServer {
 public:
  static constexpr size_t kHeaderLimit = 8 * 1024;
  static constexpr std::chrono::seconds kReadTimeout{5};
  static constexpr size_t kMaxConnections = 8;

  // What the endpoints report; each callable is called on the operator thread.
  struct Probes {
    std::function<std::string()> metrics;  // The exposition text.
    std::function<bool()> ready;           // Serving clients and not stopping.
    const Heartbeat* heartbeat;            // Of the I/O thread.
  };

  // Binds on the calling thread, so that a failure reaches start (Unavailable, naming metrics_addr).
  static absl::StatusOr<std::unique_ptr<OperatorServer>> Listen(const ListenAddress& address, Probes probes);
  ~OperatorServer();

  // "http://HOST:PORT" with the port actually bound.
  const std::string& url() const { return url_; }

  // The operator thread's body: serves until Stop. Swallows a handler's failure (that connection is lost)
  // and goes on.
  void Serve();
  // Any thread: Serve returns soon; connections still open are dropped when this object is destroyed.
  void Stop();

 private:
  class Connection;

  explicit OperatorServer(Probes probes);
  void Accept();

  const Probes probes_;
  size_t connections_ = 0;  // Operator thread only; declared before io_, whose pending handlers count here.
  boost::asio::io_context io_{1};
  boost::asio::ip::tcp::acceptor acceptor_;
  std::string url_;  // Set by Listen.
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_METRICS_OPERATOR_SERVER_H_
