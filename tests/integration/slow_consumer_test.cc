// A client that stops reading is cut once max_queue_bytes of frames wait for it; everyone else keeps
// receiving every event, in order, the publisher never waits, and the bytes queued on the server never
// exceed what the limit allows.
#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/socket_base.hpp"
#include "boost/beast/websocket/rfc6455.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gtest/gtest.h"
#include "tests/support/running_plugin.h"
#include "tests/support/slow_consumer_goodbye.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace websocket = boost::beast::websocket;

TEST(SlowConsumerTest, OneStalledClientIsCutAndTheOthersReceiveEverythingInOrder) {
  constexpr int kReaders = 99;
  constexpr int kMaxEvents = 20000;
  constexpr uint64_t kMaxQueueBytes = 131072;
  RunningPlugin plugin(host::ConfigEntries{{"max_queue_bytes", absl::StrCat(kMaxQueueBytes)},
                                           {"max_subscribers", "1000"},
                                           {"max_connections", "1000"},
                                           {"handshake_timeout", "60s"}});
  WsClient stalled(plugin.url());
  stalled.Subscribe("{}");

  std::vector<std::unique_ptr<WsClient>> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.push_back(std::make_unique<WsClient>(plugin.url()));
    readers.back()->Subscribe("{}");
  }
  std::vector<std::vector<uint64_t>> received(kReaders);
  std::vector<std::atomic<int>> counts(kReaders);
  std::atomic<size_t> largest_message{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kReaders; ++i) {
    threads.emplace_back([&, i] {
      for (;;) {
        const std::string text = readers[i]->Read(std::chrono::seconds(60));
        for (size_t seen = largest_message.load(); text.size() > seen;) {
          if (largest_message.compare_exchange_weak(seen, text.size())) break;
        }
        const boost::json::value message = boost::json::parse(text);
        if (message.at("type") != "event") {
          ADD_FAILURE() << "reader " << i << " got " << boost::json::serialize(message);
          return;
        }
        const auto& data = message.at("data");
        received[i].push_back(data.at("sequence").to_number<uint64_t>());
        counts[i].fetch_add(1, std::memory_order_release);
        if (data.at("event").at("event_id") == "$last") return;
      }
    });
  }

  // Publish 8 KiB events until the stalled client has been cut (the kernel's socket buffers take a few
  // megabytes first), then one last event. The readers are kept within a few events of the publisher, so
  // that on a loaded machine a reader merely slowed down is not mistaken for the stalled one.
  const std::string padding(8192, 'x');
  constexpr int kWindow = 4;
  auto slowest = [&] {
    int least = kMaxEvents;
    for (const auto& count : counts) least = std::min(least, count.load(std::memory_order_acquire));
    return least;
  };
  int published = 0;
  while (plugin.Stat("slow_consumers_disconnected") == 0 && published < kMaxEvents) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (slowest() < published - kWindow) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "readers stopped reading";
      std::this_thread::yield();
    }
    plugin.Publish(absl::StrCat(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$e)",
                                published, R"(","content":{"body":")", padding, R"("}})"));
    ++published;
  }
  ASSERT_EQ(plugin.Stat("slow_consumers_disconnected"), 1u) << "after " << published << " events";
  plugin.Publish(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$last","content":{}})");
  ++published;
  for (std::thread& thread : threads) thread.join();

  for (int i = 0; i < kReaders; ++i) {
    ASSERT_EQ(received[i].size(), static_cast<size_t>(published)) << "reader " << i;
    for (int k = 0; k < published; ++k) ASSERT_EQ(received[i][k], static_cast<uint64_t>(k + 1)) << "reader " << i;
  }
  EXPECT_EQ(plugin.Stat("subscriptions_active"), static_cast<uint64_t>(kReaders));

  // The stalled client finds, behind what the kernel had buffered, the reason and a close 1008.
  EXPECT_TRUE(ReadUntilClosedSeeingSlowConsumerError([&] { return stalled.Read(std::chrono::seconds(30)); }));
  EXPECT_EQ(stalled.stream().reason().code, websocket::close_code::policy_error);

  // Memory: the stalled connection held at most max_queue_bytes (plus the error and close frames), and
  // each reader, never more than kWindow + 1 events behind, at most that many frames. Without the limit
  // the stalled connection alone would have queued every event published after the kernel's buffers
  // filled.
  const uint64_t frame_bytes = largest_message.load() + 4;  // 4: the header of a 126..65535-byte frame.
  const uint64_t bound = kMaxQueueBytes + kReaders * (kWindow + 1) * frame_bytes + 4096;
  const uint64_t peak = plugin.Stat("queued_bytes_peak");
  EXPECT_LE(peak, bound) << "after " << published << " events";
  ::testing::Test::RecordProperty("queued_bytes_peak", absl::StrCat(peak));
  ::testing::Test::RecordProperty("queued_bytes_bound", absl::StrCat(bound));
  // Once the stalled connection is gone and the readers have read everything, nothing is held.
  plugin.AwaitStat("connections_open", kReaders);
  plugin.AwaitStat("queued_bytes", 0);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
