// The permessage-deflate handshake (RFC 7692 section 7), server side: which of a client's offers is
// accepted, and the answer that goes in the 101. Pure logic, no socket.
//
// We always take no context takeover, in both directions. Server-side it makes each compressed message
// independent of the ones before it, hence the same bytes for every receiver that negotiated the same
// window: an event is compressed once per window size and shared (plugin/compressed_frames.h), with no
// compressor per connection. Client-side it lets the inflater forget each message once read.
//
// Beast's own negotiation (beast/websocket/detail/pmd_extension.ipp) is not used: it looks at the first
// permessage-deflate offer only (a declined first offer declines them all, where RFC 7692 section 5 says
// to try the next), and answers server_max_window_bits=8 with 9, a larger window than the client allows.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_PERMESSAGE_DEFLATE_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_PERMESSAGE_DEFLATE_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "boost/beast/http/fields.hpp"

namespace armorclaw::eventbus {

struct DeflateAgreement {
  // The LZ77 window our messages may use (server_max_window_bits): 15 unless the client asked for less.
  int server_window_bits = 15;
  // The Sec-WebSocket-Extensions value of the 101.
  std::string response;
};

// `headers`: the values of every Sec-WebSocket-Extensions field of the upgrade request, in order. The
// first acceptable permessage-deflate offer is taken; none: nullopt, and the 101 names no extension.
std::optional<DeflateAgreement> NegotiatePermessageDeflate(std::span<const std::string_view> headers);
// The same, for the offers of an upgrade request.
std::optional<DeflateAgreement> NegotiatePermessageDeflate(const boost::beast::http::fields& request);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_PERMESSAGE_DEFLATE_H_
