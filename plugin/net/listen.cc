#include "plugin/net/listen.h"

#include "absl/strings/str_cat.h"
#include "common/string_view_compat.h"

namespace armorclaw::eventbus {

namespace asio = boost::asio;

absl::Status ListenOn(asio::ip::tcp::acceptor& acceptor, const ListenAddress& address, std::string_view key) {
  boost::system::error_code error;
  const asio::ip::tcp::endpoint endpoint(asio::ip::make_address(address.host, error), address.port);
  if (!error) acceptor.open(endpoint.protocol(), error);
  if (!error) acceptor.set_option(asio::socket_base::reuse_address(true), error);
  if (!error) acceptor.bind(endpoint, error);
  if (!error) acceptor.listen(asio::socket_base::max_listen_connections, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", address.host, ":", address.port, " (",
                                               ToAbsl(key), "): ", error.message()));
  }
  return absl::OkStatus();
}

std::string HostForUrl(const asio::ip::address& address) {
  return address.is_v6() ? absl::StrCat("[", address.to_string(), "]") : address.to_string();
}

}  // namespace armorclaw::eventbus
