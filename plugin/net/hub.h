// What every connection of one server shares: the configuration, the subscription index, the counters
// and the set of live sessions. Touched by the I/O thread only (the counters are atomics for stats readers).
// Sessions hold it by shared_ptr, so it outlives the last of them however shutdown goes.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_HUB_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_HUB_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "boost/asio/ssl/context.hpp"
#include "plugin/security/address_limit.h"
#include "plugin/security/auth.h"
#include "plugin/compressed_frames.h"
#include "plugin/config.h"
#include "plugin/counters.h"
#include "plugin/history/log_writer.h"
#include "plugin/history/retained_events.h"
#include "plugin/host_log.h"
#include "plugin/subscription_index.h"

namespace armorclaw::eventbus {

class Session;

struct Hub {
  Hub(const Config& config, std::string epoch, std::shared_ptr<const Authenticator> authenticator, HostLog log,
      Counters& counters)
      : config(config),
        epoch(std::move(epoch)),
        authenticator(std::move(authenticator)),
        log(log),
        counters(counters),
        sockets_by_address(static_cast<size_t>(config.max_connections_per_address)),
        history(static_cast<size_t>(config.history_size), static_cast<size_t>(config.history_max_bytes)) {}

  // Replaced whole by a reconfiguration (Server::Reconfigure) between two handlers, so every check reads
  // the values in force; what a session fixed at its start it adjusts then (Session::Reconfigured).
  Config config;
  // Names the unbroken history of sequence numbers this plugin instance dispatches (subscribe's "since").
  const std::string epoch;
  // Null: authentication is off. Replaced when the files change (Server::ReloadAuthentication).
  std::shared_ptr<const Authenticator> authenticator;
  // Null: plain ws://. Replaced when the certificate is reloaded; each connection keeps the one it began
  // with.
  std::shared_ptr<boost::asio::ssl::context> tls;
  const HostLog log;
  Counters& counters;
  SubscriptionIndex index;
  // Every session from accept to teardown, handshaking or open. A standard set, like the index's tables: it
  // must stay whole when an insert runs out of memory.
  std::unordered_set<Session*> sessions;
  // The same sessions counted by client address: a session holds its place from accept to destruction.
  AddressLimit sockets_by_address;
  // Of the sessions, the ones admitted under max_connections: upgrading (from the check of the request to
  // the 101) or open. Counted at the check, so that a burst of requests cannot pass it together.
  size_t admitted_connections = 0;
  // Sessions given events and not sent them yet (Server::Flush), oldest first. A session leaves it when
  // flushed or destroyed.
  std::vector<Session*> dirty;
  // The last sequence dispatched (0: none yet): where a subscription made now takes effect. Events
  // after it reach the index later, as live events.
  uint64_t head = 0;
  // The last events dispatched, up to head, for subscribes with "since".
  RetainedEvents history;
  // The durable log's writer (null: the log is off): older events are replayed from its log while it is
  // healthy.
  const LogWriter* log_writer = nullptr;
  // Live events queued to connections so far (one dropped for a connection being cut, refused by its full
  // queue or dropped from it at the cut, is not one).
  size_t deliveries = 0;
  // Set by a server shutdown: called once the last session has gone.
  std::function<void()> on_all_closed;
  // The stats JSON, for the console's counters (console_enabled); callable from this thread.
  std::function<std::string()> stats_json;
  // Compresses events for the connections that negotiated permessage-deflate, once per event and window.
  MessageDeflater deflater;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_HUB_H_
