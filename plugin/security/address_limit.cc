#include "plugin/security/address_limit.h"

namespace armorclaw::eventbus {

AddressLimit::Key AddressLimit::KeyOf(const boost::asio::ip::address& address) {
  if (address.is_v4()) {
    const auto bytes = address.to_v4().to_bytes();
    return Key(bytes.begin(), bytes.end());
  }
  const boost::asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return KeyOf(boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6));
  const auto bytes = v6.to_bytes();
  // 8 bytes: one /64. A 4-byte key is IPv4, so the two never collide.
  return Key(bytes.begin(), bytes.begin() + 8);
}

bool AddressLimit::TryAdd(const Key& key) {
  if (limit_ != 0 && CountFor(key) >= limit_) return false;
  ++counts_[key];
  return true;
}

void AddressLimit::Remove(const Key& key) {
  const auto it = counts_.find(key);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

size_t AddressLimit::CountFor(const Key& key) const {
  const auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace armorclaw::eventbus
