#include "plugin/security/address_limit.h"

#include "boost/asio/ip/address.hpp"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

AddressLimit::Key KeyOf(const char* address) { return AddressLimit::KeyOf(boost::asio::ip::make_address(address)); }

TEST(AddressLimitTest, RefusesTheAddressAtItsLimitOnly) {
  AddressLimit limit(2);
  EXPECT_TRUE(limit.TryAdd(KeyOf("192.0.2.1")));
  EXPECT_TRUE(limit.TryAdd(KeyOf("192.0.2.1")));
  EXPECT_FALSE(limit.TryAdd(KeyOf("192.0.2.1")));
  EXPECT_TRUE(limit.TryAdd(KeyOf("192.0.2.2")));
  EXPECT_EQ(limit.CountFor(KeyOf("192.0.2.1")), 2u);
  limit.Remove(KeyOf("192.0.2.1"));
  EXPECT_TRUE(limit.TryAdd(KeyOf("192.0.2.1")));
}

TEST(AddressLimitTest, ZeroMeansNoLimitButStillCounts) {
  AddressLimit limit(0);
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limit.TryAdd(KeyOf("127.0.0.1")));
  EXPECT_EQ(limit.CountFor(KeyOf("127.0.0.1")), 1000u);
}

TEST(AddressLimitTest, RemovingTheLastForgetsTheAddress) {
  AddressLimit limit(1);
  limit.Remove(KeyOf("192.0.2.1"));  // Never added: nothing happens.
  EXPECT_TRUE(limit.TryAdd(KeyOf("192.0.2.1")));
  limit.Remove(KeyOf("192.0.2.1"));
  EXPECT_EQ(limit.CountFor(KeyOf("192.0.2.1")), 0u);
  EXPECT_TRUE(limit.TryAdd(KeyOf("192.0.2.1")));
}

TEST(AddressLimitTest, Ipv6CountsPerSlash64) {
  EXPECT_EQ(KeyOf("2001:db8:1:2::1"), KeyOf("2001:db8:1:2:ffff:ffff:ffff:ffff"));
  EXPECT_NE(KeyOf("2001:db8:1:2::1"), KeyOf("2001:db8:1:3::1"));
  AddressLimit limit(1);
  EXPECT_TRUE(limit.TryAdd(KeyOf("2001:db8:1:2::1")));
  EXPECT_FALSE(limit.TryAdd(KeyOf("2001:db8:1:2::99")));
}

TEST(AddressLimitTest, Ipv4MappedIpv6IsTheIpv4Address) {
  EXPECT_EQ(KeyOf("::ffff:192.0.2.1"), KeyOf("192.0.2.1"));
  // An IPv6 /64 whose first bytes look like an IPv4 address is still another key.
  EXPECT_NE(KeyOf("c000:201::"), KeyOf("192.0.2.1"));
}

}  // namespace
}  // namespace armorclaw::eventbus
