// What every conformance case shares: the real plugin on a loopback port, a subscribed bystander (a Beast
// client) that must keep receiving events whatever another client does, and the checks that read what a
// raw client observes.
#ifndef ARMORCLAW_EVENTBUS_TESTS_CONFORMANCE_CONFORMANCE_FIXTURE_H_
#define ARMORCLAW_EVENTBUS_TESTS_CONFORMANCE_CONFORMANCE_FIXTURE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "tests/conformance/raw_ws_client.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {

inline constexpr std::string_view kPing = R"({"type":"ping"})";
inline constexpr std::string_view kPong = R"({"type":"pong"})";

// An application ping of exactly `size` bytes (at least kPing's): whitespace inside the object is still
// the same JSON.
std::string PingOfSize(size_t size);

class ConformanceTest : public ::testing::Test {
 protected:
  // Above 65535, so that a message can need the 64-bit length (RFC 6455 §5.2) and still be accepted.
  static constexpr size_t kMaxMessageBytes = 100000;

  ConformanceTest();

  // An event published now reaches the bystander.
  void ExpectBystanderServed();
  // `client` sends an application ping and gets the pong: its connection is still usable.
  static void ExpectUsable(RawWsClient& client);
  // The server answered nothing but a close frame with `code`, then closed the TCP connection; the
  // bystander is still served.
  void ExpectFailedWith(RawWsClient& client, int code);
  // The next message is an error with `code` (the catalog's code).
  static void ExpectError(RawWsClient& client, std::string_view code);

  RunningPlugin plugin_;
  WsClient bystander_;

 private:
  int bystander_events_ = 0;
};

// A conformance case on an upgraded raw connection.
class UpgradedTest : public ConformanceTest {
 protected:
  UpgradedTest();

  RawWsClient client_;
};

}  // namespace armorclaw::eventbus::testing

#endif  // ARMORCLAW_EVENTBUS_TESTS_CONFORMANCE_CONFORMANCE_FIXTURE_H_
