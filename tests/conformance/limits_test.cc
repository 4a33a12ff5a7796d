// The limits a client meets on the wire: max_message_bytes (RFC 6455 §7.4.1 gives its close code, 1009)
// and max_connections under a burst of simultaneous upgrades. Each case names the section it checks;
// docs/security.md lists them all.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/ws_frame.h"
#include "boost/beast/http/status.hpp"
#include "gtest/gtest.h"
#include "tests/conformance/conformance_fixture.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace op = bench::opcode;
namespace http = boost::beast::http;

using LimitsTest = UpgradedTest;

// docs/configuration.md (max_message_bytes): the limit itself is allowed.
TEST_F(LimitsTest, MessageOfExactlyMaxMessageBytesIsAnswered) {
  client_.Send(ClientFrame(kFin | op::kText, PingOfSize(kMaxMessageBytes)));
  EXPECT_EQ(client_.ReadText(), kPong);
}

// RFC 6455 §7.4.1: 1009, a message too big to process.
TEST_F(LimitsTest, MessageOneByteOverMaxMessageBytesIsClosedWith1009) {
  client_.Send(ClientFrame(kFin | op::kText, PingOfSize(kMaxMessageBytes + 1)));
  ExpectFailedWith(client_, 1009);
}

// RFC 6455 §5.4, §7.4.1: the limit is on the message, whatever its fragments.
TEST_F(LimitsTest, FragmentsAddingUpOverMaxMessageBytesAreClosedWith1009) {
  const std::string fragment(kMaxMessageBytes / 2, ' ');
  client_.Send(absl::StrCat(ClientFrame(op::kText, "{"), ClientFrame(op::kContinuation, fragment),
                            ClientFrame(op::kContinuation, fragment), ClientFrame(kFin | op::kContinuation, "}")));
  ExpectFailedWith(client_, 1009);
}

// RFC 6455 §5.2, §7.4.1: the length in the header is enough to refuse; the server does not wait for (or
// buffer) a megabyte it will not take.
TEST_F(LimitsTest, OversizeLengthIsClosedWith1009BeforeThePayloadArrives) {
  client_.Send(std::string("\x81\xFF\x00\x00\x00\x00\x00\x10\x00\x00\x01\x02\x03\x04", 14));
  ExpectFailedWith(client_, 1009);
}

// docs/error-catalog.md (503): max_connections holds however many upgrades arrive at once; the others
// are answered 503.
TEST(ConnectionLimitTest, BurstOfSimultaneousUpgradesIsHeldToMaxConnections) {
  constexpr int kMaxConnections = 2;
  constexpr int kBurst = 20;
  RunningPlugin plugin(host::ConfigEntries{{"max_connections", absl::StrCat(kMaxConnections)}});
  std::vector<std::unique_ptr<RawWsClient>> clients;
  for (int i = 0; i < kBurst; ++i) clients.push_back(std::make_unique<RawWsClient>(plugin.url()));
  // Every request is on its way before the first answer is read.
  for (auto& client : clients) client->Send(UpgradeRequest(client->path()));
  int upgraded = 0;
  int refused = 0;
  for (auto& client : clients) {
    const auto response = client->ReadHttpResponse();
    if (response.result() == http::status::switching_protocols) ++upgraded;
    if (response.result() == http::status::service_unavailable) ++refused;
  }
  EXPECT_EQ(upgraded, kMaxConnections);
  EXPECT_EQ(refused, kBurst - kMaxConnections);
  EXPECT_LE(plugin.Stat("connections_open"), static_cast<uint64_t>(kMaxConnections));
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
