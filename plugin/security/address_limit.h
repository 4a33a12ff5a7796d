// max_connections_per_address: how many sockets one client address may hold at once, in any stage
// (TLS or HTTP handshake, open, closing), so that one host cannot take every connection slot. IPv6
// addresses count per /64, the block one subscriber usually controls whole; an IPv4-mapped IPv6
// address counts as the IPv4 address. Touched by the I/O thread only.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_ADDRESS_LIMIT_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_ADDRESS_LIMIT_H_

#include <cstddef>
#include <string>
#include <unordered_map>

#include "boost/asio/ip/address.hpp"

namespace armorclaw::eventbus {

class AddressLimit {
 public:
  // `limit` 0: no limit (every address is still counted, for Remove's sake).
  explicit AddressLimit(size_t limit) : limit_(limit) {}

  // What counts as one client address: the IPv4 address, or the /64 of an IPv6 one.
  using Key = std::string;
  static Key KeyOf(const boost::asio::ip::address& address);

  // Counts one more socket for `key`, unless the key already has `limit` of them: then false.
  bool TryAdd(const Key& key);
  // Forgets one socket counted by TryAdd.
  void Remove(const Key& key);
  size_t CountFor(const Key& key) const;
  size_t limit() const { return limit_; }
  // A new limit (a reconfiguration): addresses already over it keep their sockets and get no new one.
  void set_limit(size_t limit) { limit_ = limit; }

 private:
  size_t limit_;
  std::unordered_map<Key, size_t> counts_;  // Stays whole when an insert runs out of memory.
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_ADDRESS_LIMIT_H_
