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

struct SubscribeRequest {
  Filter filter;
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

std::string SubscribedMessage(std::string_view subscriber_id);
std::string UnsubscribedMessage();
std::string PongMessage();
// {"type":"error","data":{"code":…,"message":…}}, with "retry_after_ms" when given.
std::string ErrorMessage(std::string_view code, std::string_view message,
                         std::optional<int64_t> retry_after_ms = std::nullopt);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_PROTOCOL_H_
