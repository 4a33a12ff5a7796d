#include "plugin/config.h"

#include <algorithm>
#include <array>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/asio/ip/address.hpp"
#include "common/string_view_compat.h"

namespace armorclaw::eventbus {
namespace {

using Setter = absl::Status (*)(std::string_view value, Config& config);
// For a key that needs a restart: whether two configurations agree on it (as far as a restart matters).
using Same = bool (*)(const Config& running, const Config& next);

// One configuration key: how its value is read, and what a reconfiguration may do with it. A key added
// without a reload class is kUnclassified, which config_test refuses.
struct KeyRow {
  std::string_view name;
  Setter set;
  Reload reload = Reload::kUnclassified;
  Same same = nullptr;  // For kRestart and kRestartOnOff only.
};

absl::Status Invalid(std::string_view key, std::string_view value, std::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrFormat("invalid value \"%s\" for %s: expected %s", absl::CEscape(ToAbsl(value)), key, expected));
}

absl::Status SetBool(std::string_view key, std::string_view value, bool& out) {
  if (value == "true") {
    out = true;
  } else if (value == "false") {
    out = false;
  } else {
    return Invalid(key, value, "true or false");
  }
  return absl::OkStatus();
}

absl::Status SetInt(std::string_view key, std::string_view value, int64_t min, int64_t max,
                    int64_t& out) {
  int64_t parsed = 0;
  // SimpleAtoi accepts surrounding blanks and a '+'; a config value must be the bare number.
  const bool bare = !value.empty() && (absl::ascii_isdigit(value.front()) || value.front() == '-') &&
                    absl::ascii_isdigit(value.back());
  if (!bare || !absl::SimpleAtoi(ToAbsl(value), &parsed) || parsed < min || parsed > max) {
    return Invalid(key, value, absl::StrCat("an integer from ", min, " to ", max));
  }
  out = parsed;
  return absl::OkStatus();
}

// Go duration syntax ("30m", "1h30m", "250ms", "0s"), as the bridge's own config uses.
absl::Status SetDuration(std::string_view key, std::string_view value, absl::Duration min,
                         absl::Duration max, absl::Duration& out) {
  absl::Duration parsed;
  if (!absl::ParseDuration(ToAbsl(value), &parsed) || parsed == absl::InfiniteDuration() || parsed < min ||
      parsed > max) {
    return Invalid(key, value,
                   absl::StrCat("a duration such as \"30s\" or \"5m\" from ", absl::FormatDuration(min),
                                " to ", absl::FormatDuration(max)));
  }
  out = parsed;
  return absl::OkStatus();
}

// A period of something the server does on its own: 0s (off), or 100ms to 24h (a shorter one would keep
// the I/O thread busy for nothing).
absl::Status SetPeriod(std::string_view key, std::string_view value, absl::Duration& out) {
  absl::Status status = SetDuration(key, value, absl::ZeroDuration(), absl::Hours(24), out);
  if (status.ok() && out != absl::ZeroDuration() && out < absl::Milliseconds(100)) {
    return Invalid(key, value, "0s (off) or a duration from 100ms to 24h");
  }
  return status;
}

// A JWT claim value to compare byte for byte: printable, since an operator types it and logs show it.
absl::Status SetClaim(std::string_view key, std::string_view value, std::string& out) {
  const bool ok = !value.empty() && value.size() <= 1024 &&
                  std::none_of(value.begin(), value.end(), [](char c) { return absl::ascii_iscntrl(c); });
  if (!ok) return Invalid(key, value, "a non-empty string of at most 1024 bytes without control characters");
  out = std::string(value);
  return absl::OkStatus();
}

// An empty path would silently turn authentication off.
absl::Status SetPath(std::string_view key, std::string_view value, std::string& out) {
  if (value.empty() || value.find('\0') != std::string_view::npos) return Invalid(key, value, "the path of a file");
  out = std::string(value);
  return absl::OkStatus();
}

constexpr int64_t kMaxCount = 1'000'000;
// What an "event" message adds around the Matrix event, with room to spare.
constexpr int64_t kEnvelopeBytes = 1024;

// One row per documented key (docs/configuration.md); the order is the documentation's.
const std::array<KeyRow, 38> kKeys = {{
    {"websocket_enabled",
     [](std::string_view v, Config& c) { return SetBool("websocket_enabled", v, c.websocket_enabled); },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.websocket_enabled == b.websocket_enabled; }},
    {"websocket_addr",
     [](std::string_view v, Config& c) {
       auto address = ParseListenAddress(v);
       if (!address.ok()) {
         return Invalid("websocket_addr", v, "HOST:PORT with an IP address or localhost, e.g. 0.0.0.0:8444");
       }
       c.websocket_addr = *std::move(address);
       return absl::OkStatus();
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.websocket_addr == b.websocket_addr; }},
    {"websocket_path",
     [](std::string_view v, Config& c) {
       const bool ok = !v.empty() && v.front() == '/' && v.size() <= 256 &&
                       v.find_first_of("?# \t\r\n") == std::string_view::npos;
       if (!ok) {
         return Invalid("websocket_path", v, "a path of at most 256 bytes starting with '/', without '?', '#' or blanks");
       }
       c.websocket_path = std::string(v);
       return absl::OkStatus();
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.websocket_path == b.websocket_path; }},
    {"max_subscribers",
     [](std::string_view v, Config& c) {
       return SetInt("max_subscribers", v, 1, kMaxCount, c.max_subscribers);
     },
     Reload::kLive},
    {"inactivity_timeout",
     [](std::string_view v, Config& c) {
       return SetDuration("inactivity_timeout", v, absl::ZeroDuration(), absl::Hours(24 * 7),
                          c.inactivity_timeout);
     },
     Reload::kLive},
    {"max_connections",
     [](std::string_view v, Config& c) {
       return SetInt("max_connections", v, 1, kMaxCount, c.max_connections);
     },
     Reload::kLive},
    {"max_connections_per_address",
     [](std::string_view v, Config& c) {
       return SetInt("max_connections_per_address", v, 0, kMaxCount, c.max_connections_per_address);
     },
     Reload::kLive},
    {"max_subscriptions_per_connection",
     [](std::string_view v, Config& c) {
       return SetInt("max_subscriptions_per_connection", v, 1, 10'000, c.max_subscriptions_per_connection);
     },
     Reload::kLive},
    {"max_message_bytes",
     [](std::string_view v, Config& c) {
       return SetInt("max_message_bytes", v, 256, 16 << 20, c.max_message_bytes);
     },
     Reload::kLive},
    {"handshake_timeout",
     [](std::string_view v, Config& c) {
       return SetDuration("handshake_timeout", v, absl::Milliseconds(100), absl::Minutes(10),
                          c.handshake_timeout);
     },
     Reload::kLive},
    {"ping_interval",
     [](std::string_view v, Config& c) { return SetPeriod("ping_interval", v, c.ping_interval); },
     Reload::kLive},
    {"max_queue_bytes",
     [](std::string_view v, Config& c) {
       return SetInt("max_queue_bytes", v, 64 << 10, int64_t{1} << 32, c.max_queue_bytes);
     },
     Reload::kLive},
    {"ingest_queue_events",
     [](std::string_view v, Config& c) {
       return SetInt("ingest_queue_events", v, 1, 10'000'000, c.ingest_queue_events);
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.ingest_queue_events == b.ingest_queue_events; }},
    {"max_ingest_delay",
     [](std::string_view v, Config& c) {
       return SetDuration("max_ingest_delay", v, absl::ZeroDuration(), absl::Hours(1), c.max_ingest_delay);
     },
     Reload::kLive},
    {"pii_scrubbing",
     [](std::string_view v, Config& c) { return SetBool("pii_scrubbing", v, c.pii_scrubbing); },
     Reload::kLive},
    {"subscribe_rate",
     [](std::string_view v, Config& c) { return SetInt("subscribe_rate", v, 1, 10'000, c.subscribe_rate); },
     Reload::kLive},
    {"max_event_bytes",
     [](std::string_view v, Config& c) {
       return SetInt("max_event_bytes", v, 1024, 16 << 20, c.max_event_bytes);
     },
     Reload::kLive},
    {"auth_tokens_file",
     [](std::string_view v, Config& c) { return SetPath("auth_tokens_file", v, c.auth_tokens_file); },
     Reload::kLive},
    {"auth_jwt_secret_file",
     [](std::string_view v, Config& c) { return SetPath("auth_jwt_secret_file", v, c.auth_jwt_secret_file); },
     Reload::kLive},
    {"auth_jwt_audience",
     [](std::string_view v, Config& c) { return SetClaim("auth_jwt_audience", v, c.auth_jwt_audience); },
     Reload::kLive},
    {"auth_jwt_issuer",
     [](std::string_view v, Config& c) { return SetClaim("auth_jwt_issuer", v, c.auth_jwt_issuer); },
     Reload::kLive},
    {"tls_cert_file", [](std::string_view v, Config& c) { return SetPath("tls_cert_file", v, c.tls_cert_file); },
     Reload::kRestartOnOff,
     [](const Config& a, const Config& b) { return a.tls_cert_file.empty() == b.tls_cert_file.empty(); }},
    {"tls_key_file", [](std::string_view v, Config& c) { return SetPath("tls_key_file", v, c.tls_key_file); },
     Reload::kRestartOnOff,
     [](const Config& a, const Config& b) { return a.tls_key_file.empty() == b.tls_key_file.empty(); }},
    {"allowed_origins",
     [](std::string_view v, Config& c) {
       auto policy = OriginPolicy::Parse(v);
       if (!policy.ok()) {
         return Invalid("allowed_origins", v,
                        absl::StrCat("a JSON array of origins such as [\"https://dash.example.org\"] (",
                                     policy.status().message(), ")"));
       }
       c.allowed_origins = *std::move(policy);
       return absl::OkStatus();
     },
     Reload::kLive},
    {"history_size",
     [](std::string_view v, Config& c) { return SetInt("history_size", v, 0, kMaxCount, c.history_size); },
     Reload::kLive},
    {"history_max_bytes",
     [](std::string_view v, Config& c) {
       return SetInt("history_max_bytes", v, 0, int64_t{1} << 34, c.history_max_bytes);
     },
     Reload::kLive},
    {"max_replay_events",
     [](std::string_view v, Config& c) {
       return SetInt("max_replay_events", v, 0, kMaxCount, c.max_replay_events);
     },
     Reload::kLive},
    {"metrics_addr",
     [](std::string_view v, Config& c) {
       if (v.empty()) {
         c.metrics_addr.reset();
         return absl::OkStatus();
       }
       auto address = ParseListenAddress(v);
       if (!address.ok()) {
         return Invalid("metrics_addr", v,
                        "HOST:PORT with an IP address or localhost, e.g. 127.0.0.1:9464, or empty (off)");
       }
       c.metrics_addr = *std::move(address);
       return absl::OkStatus();
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.metrics_addr == b.metrics_addr; }},
    {"enable_durable_log",
     [](std::string_view v, Config& c) { return SetBool("enable_durable_log", v, c.enable_durable_log); },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.enable_durable_log == b.enable_durable_log; }},
    {"durable_log_dir",
     [](std::string_view v, Config& c) {
       if (v.empty() || v.find('\0') != std::string_view::npos) return Invalid("durable_log_dir", v, "the path of a directory");
       c.durable_log_dir = std::string(v);
       return absl::OkStatus();
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.durable_log_dir == b.durable_log_dir; }},
    {"max_log_file_size",
     [](std::string_view v, Config& c) {
       // 0 is the bridge's "default" (64 MiB); otherwise at least one largest record fits in a segment.
       absl::Status status = SetInt("max_log_file_size", v, 0, int64_t{1} << 40, c.max_log_file_size);
       if (status.ok() && c.max_log_file_size != 0 && c.max_log_file_size < 4096) {
         return Invalid("max_log_file_size", v, "0 (64 MiB) or a size in bytes from 4096 to 1099511627776");
       }
       return status;
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.max_log_file_size == b.max_log_file_size; }},
    {"durable_log_retention_bytes",
     [](std::string_view v, Config& c) {
       return SetInt("durable_log_retention_bytes", v, 0, int64_t{1} << 50, c.durable_log_retention_bytes);
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.durable_log_retention_bytes == b.durable_log_retention_bytes; }},
    {"durable_log_fsync",
     [](std::string_view v, Config& c) {
       if (v == "always") {
         c.durable_log_fsync = LogFsync::kAlways;
       } else if (v == "interval") {
         c.durable_log_fsync = LogFsync::kInterval;
       } else if (v == "never") {
         c.durable_log_fsync = LogFsync::kNever;
       } else {
         return Invalid("durable_log_fsync", v, "always, interval or never");
       }
       return absl::OkStatus();
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.durable_log_fsync == b.durable_log_fsync; }},
    {"durable_log_fsync_interval",
     [](std::string_view v, Config& c) {
       return SetDuration("durable_log_fsync_interval", v, absl::Milliseconds(1), absl::Hours(1),
                          c.durable_log_fsync_interval);
     },
     Reload::kRestart,
     [](const Config& a, const Config& b) { return a.durable_log_fsync_interval == b.durable_log_fsync_interval; }},
    {"position_interval",
     [](std::string_view v, Config& c) { return SetPeriod("position_interval", v, c.position_interval); },
     Reload::kLive},
    {"console_enabled",
     [](std::string_view v, Config& c) { return SetBool("console_enabled", v, c.console_enabled); },
     Reload::kLive},
    {"compression",
     [](std::string_view v, Config& c) { return SetBool("compression", v, c.compression); },
     Reload::kLive},
    {"max_total_queue_bytes",
     [](std::string_view v, Config& c) {
       absl::Status status = SetInt("max_total_queue_bytes", v, 0, int64_t{1} << 40, c.max_total_queue_bytes);
       if (status.ok() && c.max_total_queue_bytes != 0 && c.max_total_queue_bytes < (64 << 10)) {
         return Invalid("max_total_queue_bytes", v, "0 (off) or a size in bytes from 65536 to 1099511627776");
       }
       return status;
     },
     Reload::kLive},
}};

// An address that listens on every interface, and so on any port of the same number.
bool IsWildcard(const std::string& host) { return boost::asio::ip::make_address(host).is_unspecified(); }

}  // namespace

absl::StatusOr<ListenAddress> ParseListenAddress(std::string_view text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return absl::InvalidArgumentError("missing :PORT");
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return absl::InvalidArgumentError("an IPv6 address must be in brackets");
  }
  int64_t port = -1;
  const bool digits = !port_text.empty() && port_text.size() <= 5 &&
                      std::all_of(port_text.begin(), port_text.end(), [](char c) { return absl::ascii_isdigit(c); });
  if (!digits || !absl::SimpleAtoi(ToAbsl(port_text), &port) || port > 65535) {
    return absl::InvalidArgumentError("bad port");
  }
  ListenAddress address;
  address.port = static_cast<uint16_t>(port);
  if (host.empty()) {
    address.host = "0.0.0.0";
  } else if (host == "localhost") {
    address.host = "127.0.0.1";
  } else {
    boost::system::error_code error;
    const auto ip = boost::asio::ip::make_address(std::string(host), error);
    if (error) return absl::InvalidArgumentError("not an IP address");
    address.host = ip.to_string();
  }
  return address;
}

std::vector<std::string_view> ConfigKeys() {
  std::vector<std::string_view> keys;
  for (const KeyRow& row : kKeys) keys.push_back(row.name);
  return keys;
}

Reload ReloadOf(std::string_view key) {
  for (const KeyRow& row : kKeys) {
    if (row.name == key) return row.reload;
  }
  return Reload::kUnclassified;
}

std::string_view ReloadName(Reload reload) {
  switch (reload) {
    case Reload::kLive:
      return "live";
    case Reload::kRestart:
      return "restart";
    case Reload::kRestartOnOff:
      return "live; on/off: restart";
    case Reload::kUnclassified:
      break;
  }
  return "unclassified";
}

std::vector<std::string_view> KeysNeedingRestart(const Config& running, const Config& next) {
  std::vector<std::string_view> keys;
  for (const KeyRow& row : kKeys) {
    if (row.same != nullptr && !row.same(running, next)) keys.push_back(row.name);
  }
  return keys;
}

absl::StatusOr<Config> ParseConfig(const ConfigEntries& entries,
                                   const std::function<void(std::string_view)>& warn) {
  Config config;
  for (const auto& [key, value] : entries) {
    Setter setter = nullptr;
    for (const KeyRow& row : kKeys) {
      if (row.name == key) setter = row.set;
    }
    if (setter == nullptr) {
      warn(absl::StrCat("unknown configuration key \"", absl::CEscape(key), "\" ignored"));
      continue;
    }
    if (absl::Status status = setter(value, config); !status.ok()) return status;
  }
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "tls_cert_file and tls_key_file go together: set both for wss://, or neither for ws://");
  }
  // Without a secret no JWT is accepted, so an expectation about JWTs is a mistake in the configuration.
  for (const auto& [key, value] : {std::pair{"auth_jwt_audience", &config.auth_jwt_audience},
                                   std::pair{"auth_jwt_issuer", &config.auth_jwt_issuer}}) {
    if (!value->empty() && config.auth_jwt_secret_file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(key, " is set but auth_jwt_secret_file is not: JWTs are only accepted with a secret"));
    }
  }
  // A connection's queue must hold at least one largest event in its envelope.
  if (config.max_queue_bytes < config.max_event_bytes + kEnvelopeBytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_queue_bytes (", config.max_queue_bytes, ") must be at least max_event_bytes (", config.max_event_bytes,
        ") + ", kEnvelopeBytes, ": raise max_queue_bytes or lower max_event_bytes"));
  }
  // Operators and clients never share a port: the operator endpoints are not for clients to reach.
  if (config.metrics_addr && config.websocket_enabled && config.metrics_addr->port != 0 &&
      config.metrics_addr->port == config.websocket_addr.port &&
      (config.metrics_addr->host == config.websocket_addr.host || IsWildcard(config.metrics_addr->host) ||
       IsWildcard(config.websocket_addr.host))) {
    return absl::InvalidArgumentError(
        absl::StrCat("metrics_addr and websocket_addr name the same port (", config.metrics_addr->port,
                     "): the operator listener never shares a port with clients"));
  }
  // Without a directory there is nowhere to write: a log silently off would lose what it promises to keep.
  if (config.enable_durable_log && config.durable_log_dir.empty()) {
    return absl::InvalidArgumentError("enable_durable_log is true but durable_log_dir is not set: name the log's directory");
  }
  return config;
}

}  // namespace armorclaw::eventbus
