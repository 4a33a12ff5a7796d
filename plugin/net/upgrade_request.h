// What the server checks in an HTTP upgrade request beyond what Beast's websocket accept checks: the
// request-target's forms (RFC 7230 §5.3) and the Sec-WebSocket-Key's shape (RFC 6455 §4.2.1).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_UPGRADE_REQUEST_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_UPGRADE_REQUEST_H_

#include <string_view>

#include "boost/beast/http/fields.hpp"

namespace armorclaw::eventbus {

// The path of a request-target in origin form ("/events?q") or absolute form ("http://host/events?q"),
// which a server must accept too (RFC 7230 §5.3.2); "/" for an absolute form without a path.
std::string_view TargetPath(std::string_view target);

// Whether the request has exactly one Sec-WebSocket-Key, and it is the base64 of 16 bytes. Beast only
// checks that one is present.
bool HasValidWebSocketKey(const boost::beast::http::fields& fields);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_UPGRADE_REQUEST_H_
