// The audit's findings on the transport (issue 9), each over real sockets against the real .so: what a
// hostile or sloppy client can make the server hold, admit or misread.
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/error.hpp"
#include "boost/beast/websocket/rfc6455.hpp"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/raw_connection.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace websocket = boost::beast::websocket;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Config = host::ConfigEntries;

constexpr std::string_view kSentinel =
    R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$sentinel","content":{}})";

// The bystander still receives events and answers: what one client does harms no other.
void ExpectServes(RunningPlugin& plugin, WsClient& bystander) {
  plugin.Publish(kSentinel);
  EXPECT_EQ(bystander.ReadJson().at("data").at("event").at("event_id"), "$sentinel");
  bystander.Send(R"({"type":"ping"})");
  EXPECT_EQ(bystander.Read(), R"({"type":"pong"})");
}

bool Logged(const RunningPlugin& plugin, std::string_view text) {
  for (const std::string& line : plugin.logs().lines()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

// Every pong Beast answers is queued for the client like any event: a client that floods pings and
// reads nothing is cut once max_queue_bytes wait for it, instead of growing the server without bound.
TEST(HardeningTest, PingFloodThatNeverReadsIsCutAtMaxQueueBytes) {
  constexpr uint64_t kMaxQueueBytes = 64 << 10;
  constexpr uint64_t kBudget = 32 << 20;  // Pings to send at most; the cut must come long before.
  RunningPlugin plugin(Config{{"max_queue_bytes", absl::StrCat(kMaxQueueBytes)},
                              {"max_event_bytes", "16384"},
                              {"handshake_timeout", "60s"}});
  WsClient bystander(plugin.url());
  bystander.Subscribe("{}");
  RawConnection flooder(plugin.url());
  flooder.Send(UpgradeRequest());
  ASSERT_THAT(flooder.ReadHttpHeader(), StartsWith("HTTP/1.1 101"));

  std::string burst;
  for (int i = 0; i < 512; ++i) burst += ClientFrame(0x9, std::string(125, 'p'));
  uint64_t sent = 0;
  while (sent < kBudget && plugin.Stat("slow_consumers_disconnected") == 0) {
    if (flooder.TrySend(burst)) break;  // The server has ended the connection.
    sent += burst.size();
  }
  ::testing::Test::RecordProperty("ping_bytes_sent", absl::StrCat(sent));
  const uint64_t peak = plugin.Stat("queued_bytes_peak");
  ::testing::Test::RecordProperty("queued_bytes_peak", absl::StrCat(peak));
  // The bystander's subscribed reply and the cut connection's goodbye are the only bytes beyond the bound.
  EXPECT_LE(peak, kMaxQueueBytes + 1024) << "after " << sent << " bytes of pings";
  plugin.AwaitStat("slow_consumers_disconnected", 1, std::chrono::seconds(5));
  EXPECT_TRUE(Logged(plugin, "disconnecting slow consumer"));
  // The server lets go of the socket without waiting for the client to read (with a reset, so that the
  // kernel does not keep what the client did not take); the client finds the connection ended.
  plugin.AwaitStat("sockets_open", 1, std::chrono::seconds(5));
  std::string received;
  const boost::beast::error_code ended = flooder.ReadToEnd(received);
  EXPECT_TRUE(ended == boost::asio::error::eof || ended == boost::asio::error::connection_reset) << ended.message();
  ExpectServes(plugin, bystander);
  plugin.AwaitStat("connections_open", 1);
  plugin.AwaitStat("queued_bytes", 0);
}

// The limit counts upgrades in progress: a burst of upgrade requests on open sockets cannot get past it.
TEST(HardeningTest, ABurstOfUpgradesAdmitsExactlyMaxConnections) {
  constexpr int kClients = 100;
  constexpr int kMaxConnections = 2;
  RunningPlugin plugin(Config{{"max_connections", absl::StrCat(kMaxConnections)}, {"handshake_timeout", "60s"}});
  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < kClients; ++i) clients.push_back(std::make_unique<RawConnection>(plugin.url()));
  plugin.AwaitStat("sockets_open", kClients);
  const std::string request = UpgradeRequest();
  for (auto& client : clients) client->Send(request);
  int switched = 0;
  int unavailable = 0;
  for (auto& client : clients) {
    const std::string header = client->ReadHttpHeader();
    if (absl::StartsWith(header, "HTTP/1.1 101")) {
      ++switched;
    } else if (absl::StartsWith(header, "HTTP/1.1 503")) {
      ++unavailable;
    } else {
      ADD_FAILURE() << header;
    }
  }
  EXPECT_EQ(switched, kMaxConnections);
  EXPECT_EQ(unavailable, kClients - kMaxConnections);
  EXPECT_EQ(plugin.Stat("connections_open"), static_cast<uint64_t>(kMaxConnections));
}

// A place taken by an upgrade that then fails is given back.
TEST(HardeningTest, AFailedUpgradeGivesItsPlaceBack) {
  RunningPlugin plugin(Config{{"max_connections", "1"}});
  RawConnection old_version(plugin.url());
  // Beast refuses version 12 with 426 after the server's own checks have admitted the request.
  std::string request = UpgradeRequest();
  request.replace(request.find("Version: 13"), 11, "Version: 12");
  old_version.Send(request);
  std::string received;
  old_version.ReadToEnd(received);
  EXPECT_THAT(received, StartsWith("HTTP/1.1 426"));
  WsClient client(plugin.url());
  client.Subscribe("{}");
}

// RFC 6455 §4.1: a client sends nothing before the 101. Such bytes are refused, never taken for (part of)
// the client's first message.
TEST(HardeningTest, BytesSentBeforeThe101AreRefusedWith400) {
  RunningPlugin plugin;
  RawConnection eager(plugin.url());
  eager.Send(UpgradeRequest() + ClientFrame(0x1, R"({"type":"ping"})"));
  std::string received;
  eager.ReadToEnd(received);
  EXPECT_THAT(received, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(received, HasSubstr("before the 101"));
  EXPECT_EQ(plugin.Stat("connections_accepted"), 0u);
}

TEST(HardeningTest, AnUpgradeRequestWithABodyGets400) {
  RunningPlugin plugin;
  RawConnection with_body(plugin.url());
  with_body.Send(UpgradeRequest("/events", "Content-Length: 5\r\n") + "hello");
  std::string received;
  with_body.ReadToEnd(received);
  EXPECT_THAT(received, StartsWith("HTTP/1.1 400"));
  EXPECT_THAT(received, HasSubstr("body"));
}

// RFC 6455 §4.2.1: the key is one header, the base64 of 16 bytes.
TEST(HardeningTest, AnInvalidOrRepeatedSecWebSocketKeyGets400) {
  RunningPlugin plugin;
  const std::string valid = "dGhlIHNhbXBsZSBub25jZQ==";
  const std::vector<std::string> keys = {"dGhlIHNhbXBsZSBub25j",            // 15 bytes
                                         "dGhlIHNhbXBsZSBub25jZQ",          // 16 bytes, unpadded
                                         "dGhlIHNhbXBsZSBub25jZSE=",        // 17 bytes
                                         "dGhlIHNhbXBsZSBub25jZQ=!",        // not base64
                                         valid + "\r\nSec-WebSocket-Key: " + valid};  // twice
  for (const std::string& key : keys) {
    std::string request = UpgradeRequest();
    request.replace(request.find(valid), valid.size(), key);
    RawConnection client(plugin.url());
    client.Send(request);
    std::string received;
    client.ReadToEnd(received);
    EXPECT_THAT(received, StartsWith("HTTP/1.1 400")) << key;
    EXPECT_THAT(received, HasSubstr("Sec-WebSocket-Key")) << key;
  }
  EXPECT_EQ(plugin.Stat("connections_accepted"), 0u);
}

// RFC 7230 §3.3: a response to HEAD has no body, whatever its status.
TEST(HardeningTest, HeadIsAnsweredWithoutABody) {
  RunningPlugin plugin;
  for (const std::string_view target : {"/events", "/elsewhere"}) {
    RawConnection client(plugin.url());
    client.Send("HEAD " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    std::string received;
    client.ReadToEnd(received);
    EXPECT_THAT(received, StartsWith(target == "/events" ? "HTTP/1.1 405" : "HTTP/1.1 404"));
    EXPECT_TRUE(absl::EndsWith(received, "\r\n\r\n")) << received;
    EXPECT_THAT(received, Not(HasSubstr("Content-Length: ")));
  }
}

// RFC 7230 §5.3.2: a server accepts the absolute form of a target, and matches its path.
TEST(HardeningTest, AnAbsoluteFormTargetIsUpgraded) {
  RunningPlugin plugin;
  const Endpoint endpoint = ParseWsUrl(plugin.url());
  RawConnection client(plugin.url());
  client.Send(UpgradeRequest(absl::StrCat("http://", endpoint.host, ":", endpoint.port, "/events?x=1")));
  EXPECT_THAT(client.ReadHttpHeader(), StartsWith("HTTP/1.1 101"));
  RawConnection elsewhere(plugin.url());
  elsewhere.Send(UpgradeRequest(absl::StrCat("http://", endpoint.host, "/elsewhere")));
  EXPECT_THAT(elsewhere.ReadHttpHeader(), StartsWith("HTTP/1.1 404"));
}

// The deliveries statistic counts events queued to a connection, never one dropped because the
// connection is being cut: here, the event that overflows the stalled client's queue is not counted.
TEST(HardeningTest, DeliveriesCountOnlyWhatWasQueued) {
  constexpr int kMaxEvents = 20000;
  constexpr int kBurst = 16;
  RunningPlugin plugin(Config{{"max_queue_bytes", absl::StrCat(1 << 20)}, {"handshake_timeout", "60s"}});
  WsClient stalled(plugin.url());
  stalled.Subscribe("{}");
  WsClient reader(plugin.url());
  reader.Subscribe("{}");
  std::atomic<int> read_count{0};
  std::thread reading([&] {
    for (;;) {
      const boost::json::value message = boost::json::parse(reader.Read(std::chrono::seconds(60)));
      read_count.fetch_add(1, std::memory_order_release);
      if (message.at("data").at("event").at("event_id") == "$last") return;
    }
  });
  const std::string padding(8192, 'x');
  int published = 0;
  while (plugin.Stat("slow_consumers_disconnected") == 0 && published < kMaxEvents) {
    for (int i = 0; i < kBurst; ++i, ++published) {
      plugin.Publish(absl::StrCat(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$e)",
                                  published, R"(","content":{"body":")", padding, R"("}})"));
    }
    // The reader keeps up, so that it is never the one cut.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (read_count.load(std::memory_order_acquire) < published) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the reader stopped reading";
      std::this_thread::yield();
    }
  }
  ASSERT_EQ(plugin.Stat("slow_consumers_disconnected"), 1u);
  plugin.Publish(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$last","content":{}})");
  ++published;
  reading.join();
  // The stalled client now reads what was queued for it: the events up to the cut, then the reason.
  int queued_to_stalled = 0;
  for (;;) {
    std::string text;
    try {
      text = stalled.Read(std::chrono::seconds(30));
    } catch (const boost::system::system_error&) {
      break;
    }
    if (boost::json::parse(text).at("type") == "event") ++queued_to_stalled;
  }
  EXPECT_EQ(stalled.stream().reason().code, websocket::close_code::policy_error);
  EXPECT_EQ(read_count.load(), published);
  plugin.AwaitStat("deliveries", static_cast<uint64_t>(published + queued_to_stalled), std::chrono::seconds(5));
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
