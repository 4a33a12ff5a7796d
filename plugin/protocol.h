// The wire protocol of docs/websocket-client-guide.md: what a client frame means, and the exact bytes of
// every server message other than "event" (which ingest serializes once for all receivers).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_PROTOCOL_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_PROTOCOL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "plugin/filter.h"

namespace armorclaw::eventbus {

// Error codes sent in {"type":"error","data":{"code":...}}. The first four are the guide's; the rest are
// documented extensions (docs/error-catalog.md).
namespace error_code {
inline constexpr std::string_view kInvalidFilter = "invalid_filter";
inline constexpr std::string_view kMaxSubscribers = "max_subscribers";
inline constexpr std::string_view kUnauthorized = "unauthorized";
inline constexpr std::string_view kServerError = "server_error";
inline constexpr std::string_view kInvalidMessage = "invalid_message";
inline constexpr std::string_view kNotFound = "not_found";
inline constexpr std::string_view kTooManySubscriptions = "too_many_subscriptions";
inline constexpr std::string_view kSlowConsumer = "slow_consumer";
inline constexpr std::string_view kRateLimited = "rate_limited";
}  // namespace error_code

// A place in the bus's stream: "every event up to `sequence` of the history named `epoch`". Plain data, so
// that it can travel between processes as it travels to and from clients.
struct StreamPosition {
  std::string epoch;
  uint64_t sequence = 0;
};

struct SubscribeRequest {
  Filter filter;
  // data.since: the client has every event matching the filter up to here and asks for the rest.
  std::optional<StreamPosition> since;
  // data.positions: the client asks for "position" messages (so does any "since").
  bool positions = false;
};
struct UnsubscribeRequest {
  std::string subscriber_id;
};
struct PingRequest {};
struct ProtocolError {
  std::string_view code;  // One of error_code.
  std::string message;
  std::optional<int64_t> retry_after_ms = std::nullopt;  // For rate_limited: when to try again.
};

using ClientMessage = std::variant<SubscribeRequest, UnsubscribeRequest, PingRequest, ProtocolError>;

// Interprets one text frame. Anything that is not a known, well-formed request comes back as a
// ProtocolError to send to the client.
ClientMessage ParseClientMessage(std::string_view frame);

// Why a subscribe with "since" replayed nothing (data.reason of "subscribed").
namespace resume_reason {
inline constexpr std::string_view kTooOld = "too_old";
inline constexpr std::string_view kEpochMismatch = "epoch_mismatch";
inline constexpr std::string_view kFuture = "future";
inline constexpr std::string_view kTooMany = "too_many";
}  // namespace resume_reason

// What "subscribed" says about a subscribe with "since".
struct ResumeOutcome {
  bool recovered = false;
  size_t replayed = 0;
  uint64_t earliest = 0;     // Oldest retained sequence (the head + 1 with nothing retained).
  std::string_view reason;  // One of resume_reason when not recovered.
};

// `position` is where the subscription took effect: the epoch and the last sequence dispatched.
std::string SubscribedMessage(std::string_view subscriber_id, const StreamPosition& position,
                              const std::optional<ResumeOutcome>& resume = std::nullopt);
std::string UnsubscribedMessage();
// {"type":"position","data":{"sequence":H}}: every event up to H that matched the connection's
// subscriptions has been sent before this message.
std::string PositionMessage(uint64_t sequence);
// The slow_consumer error; "sequence" is the last event whose frame the connection's socket took whole
// (absent when none was).
std::string SlowConsumerMessage(std::optional<uint64_t> last_written);
std::string PongMessage();
// {"type":"error","data":{"code":…,"message":…}}, with "retry_after_ms" when given.
std::string ErrorMessage(std::string_view code, std::string_view message,
                         std::optional<int64_t> retry_after_ms = std::nullopt);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_PROTOCOL_H_
