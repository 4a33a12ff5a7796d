// Setting up a listening socket on a configured address, as both listeners (websocket_addr, metrics_addr)
// do: one error text, one way of writing the bound address into a URL.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_NET_LISTEN_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_NET_LISTEN_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "plugin/config.h"

namespace armorclaw::eventbus {

// Opens, binds (with SO_REUSEADDR) and listens; Unavailable "cannot listen on HOST:PORT (KEY): <reason>".
absl::Status ListenOn(boost::asio::ip::tcp::acceptor& acceptor, const ListenAddress& address, std::string_view key);

// The address as a URL's host: IPv6 in brackets.
std::string HostForUrl(const boost::asio::ip::address& address);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_NET_LISTEN_H_
