// The typed, validated [eventbus] configuration, built from the host's key/value strings.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_CONFIG_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "plugin/security/origin_policy.h"

namespace armorclaw::eventbus {

struct ListenAddress {
  std::string host;  // An IP literal ("0.0.0.0", "::1"); "localhost" is stored as "127.0.0.1".
  uint16_t port = 0;
  bool operator==(const ListenAddress&) const = default;
};

// When the durable log's segment is made durable (fdatasync), on the log writer thread.
enum class LogFsync { kAlways, kInterval, kNever };

struct Config {
  bool websocket_enabled = true;
  ListenAddress websocket_addr{"0.0.0.0", 8444};
  std::string websocket_path = "/events";
  // Active subscriptions across all connections.
  int64_t max_subscribers = 100;
  // No message and no protocol ping from a client for this long closes it; zero disables.
  absl::Duration inactivity_timeout = absl::Minutes(30);
  int64_t max_connections = 10000;
  // Sockets one client address (an IPv6 /64) may hold in any stage; zero: no limit. See address_limit.h.
  int64_t max_connections_per_address = 0;
  int64_t max_subscriptions_per_connection = 16;
  // Largest client frame; a larger one closes the connection with 1009.
  int64_t max_message_bytes = 64 * 1024;
  // HTTP request and WebSocket upgrade, and later the close handshake, must finish within this.
  absl::Duration handshake_timeout = absl::Seconds(10);
  // Protocol-level keep-alive pings; a peer that answers none within one interval is closed. Zero disables.
  absl::Duration ping_interval = absl::Seconds(30);
  // Bytes of event frames queued for one connection; a client that lets more pile up is cut.
  int64_t max_queue_bytes = 8 * 1024 * 1024;
  // Published events waiting for the I/O thread; a full queue makes publish return BUSY.
  int64_t ingest_queue_events = 65536;
  // Publish also returns BUSY while the oldest waiting event was accepted longer ago than this, so that
  // under sustained overload an accepted event waits about this long, not behind a full queue. Zero: off.
  absl::Duration max_ingest_delay = absl::Milliseconds(250);
  // Personal data in event content is replaced at ingest (see plugin/security/scrubber.h).
  bool pii_scrubbing = true;
  // Subscribe requests one connection may make per second (and at once, after a quiet second).
  int64_t subscribe_rate = 10;
  // Largest published event (Matrix's own limit is 65536 bytes).
  int64_t max_event_bytes = 64 * 1024;
  // Authentication (off while both are empty): a file of "TOKEN [ROOM_ID ...]" lines, and a file holding
  // the HS256 secret of accepted JWTs. See plugin/security/auth.h.
  std::string auth_tokens_file;
  std::string auth_jwt_secret_file;
  // What JWTs must carry in aud and iss; empty: not checked (but see JwtExpectations about aud).
  std::string auth_jwt_audience;
  std::string auth_jwt_issuer;
  // TLS (wss://) when both are set: a PEM certificate chain and its PEM private key, loaded by start.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Browser origins allowed to connect; not configured: all.
  OriginPolicy allowed_origins;
  // Resuming after a disconnect (subscribe's "since"): the last history_size dispatched events (0: none)
  // are retained in memory, their frames totalling at most history_max_bytes; one resume replays at most
  // max_replay_events of them, or none.
  int64_t history_size = 10000;
  int64_t history_max_bytes = 64 * 1024 * 1024;
  int64_t max_replay_events = 10000;
  // The operator listener (/metrics, /healthz, /readyz; plugin/metrics/operator_server.h); empty: off.
  std::optional<ListenAddress> metrics_addr;
  // The durable log (plugin/history/durable_log.h), in durable_log_dir: segments of max_log_file_size
  // bytes (0: 64 MiB), the oldest deleted while they total more than durable_log_retention_bytes (0: all
  // kept), made durable after every batch (always), at most every durable_log_fsync_interval (interval)
  // or when the kernel chooses (never).
  bool enable_durable_log = false;
  std::string durable_log_dir;
  int64_t max_log_file_size = 0;
  int64_t durable_log_retention_bytes = 0;
  LogFsync durable_log_fsync = LogFsync::kInterval;
  absl::Duration durable_log_fsync_interval = absl::Seconds(1);

  // max_log_file_size with its 0 read as the default.
  uint64_t log_segment_bytes() const {
    return max_log_file_size == 0 ? uint64_t{64} << 20 : static_cast<uint64_t>(max_log_file_size);
  }
  // How often a subscribed connection that asked for positions (and is behind the bus's head) is told the
  // head, so that a quiet filter's cursor stays within the history; 0: never.
  absl::Duration position_interval = absl::Seconds(30);
  // The console page at / and its counters at /console/stats on the clients' listener
  // (plugin/console/console_page.h).
  bool console_enabled = false;
  // permessage-deflate (RFC 7692) with clients that offer it; see plugin/compressed_frames.h.
  bool compression = true;
  // Bound on the bytes waiting in all connections' queues together (the queued_bytes statistic); beyond
  // it the connection with the largest queue is cut as a slow consumer. 0: no bound.
  int64_t max_total_queue_bytes = int64_t{256} << 20;
};

using ConfigEntries = std::vector<std::pair<std::string, std::string>>;

// Validates every entry into a Config. An invalid value fails with InvalidArgument naming the key and
// the value; an unknown key is passed to `warn` and otherwise ignored.
absl::StatusOr<Config> ParseConfig(const ConfigEntries& entries,
                                   const std::function<void(std::string_view)>& warn);

// Every key ParseConfig knows, in the order of docs/configuration.md.
std::vector<std::string_view> ConfigKeys();

// What a reconfiguration of a running plugin (Plugin::Reconfigure) may do with a key's new value.
enum class Reload {
  kUnclassified,  // No key may stay so: config_test checks every key has a class.
  kLive,          // Applied while running.
  kRestart,       // A different value is refused: it takes a restart.
  kRestartOnOff,  // Applied while running, but setting or clearing it (turning TLS on or off) is refused.
};
// The class of `key`; kUnclassified for a key ParseConfig does not know.
Reload ReloadOf(std::string_view key);
// As docs/configuration.md's reload table writes it: "live", "restart", "live; on/off: restart".
std::string_view ReloadName(Reload reload);
// The keys whose change from `running` to `next` a running plugin cannot apply, in the order of
// ConfigKeys(); empty when it can apply all of `next`.
std::vector<std::string_view> KeysNeedingRestart(const Config& running, const Config& next);

// "HOST:PORT", "[IPV6]:PORT" or ":PORT".
absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_CONFIG_H_
