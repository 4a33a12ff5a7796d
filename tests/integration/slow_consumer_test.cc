// A client that stops reading is cut once max_queue_bytes of frames wait for it; everyone else keeps
// receiving every event, in order, the publisher never waits, and the bytes queued on the server never
// exceed what the limit allows.
#include <algorithm>
#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/socket_base.hpp"
#include "boost/beast/websocket/rfc6455.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "gtest/gtest.h"
#include "tests/support/reader_window.h"
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

// Reads events until the one with event_id `last`, returning their sequences; fails on any other message.
std::vector<uint64_t> ReadEventsUntil(WsClient& client, std::string_view last, std::atomic<int>* count = nullptr,
                                      std::atomic<size_t>* largest = nullptr) {
  std::vector<uint64_t> sequences;
  for (;;) {
    const std::string text = client.Read(std::chrono::seconds(60));
    if (largest != nullptr) {
      for (size_t seen = largest->load(); text.size() > seen;) {
        if (largest->compare_exchange_weak(seen, text.size())) break;
      }
    }
    const boost::json::value message = boost::json::parse(text);
    if (message.at("type") != "event") {
      ADD_FAILURE() << "got " << boost::json::serialize(message);
      return sequences;
    }
    const auto& data = message.at("data");
    sequences.push_back(data.at("sequence").to_number<uint64_t>());
    if (count != nullptr) count->fetch_add(1, std::memory_order_release);
    const boost::json::string& id = data.at("event").at("event_id").as_string();
    if (std::string_view(id.data(), id.size()) == last) return sequences;
  }
}

// Two clients stop reading, each still far under max_queue_bytes: once all queues together pass
// max_total_queue_bytes, the one with the larger queue is cut, the other is not, and a reader gets
// everything in order.
TEST(SlowConsumerTest, OverMaxTotalQueueBytesTheLargestQueueIsCutFirst) {
  constexpr uint64_t kMaxTotalQueueBytes = 256 << 10;
  RunningPlugin plugin(host::ConfigEntries{{"max_queue_bytes", absl::StrCat(64 << 20)},
                                           {"max_total_queue_bytes", absl::StrCat(kMaxTotalQueueBytes)}});
  WsClient larger(plugin.url());  // Every event.
  larger.Subscribe("{}");
  WsClient smaller(plugin.url());  // Every other event: room !b:x.
  smaller.Subscribe(R"({"room_id":"!b:x"})");
  WsClient reader(plugin.url());
  reader.Subscribe("{}");
  std::atomic<int> read{0};
  std::atomic<size_t> largest_message{0};
  std::vector<uint64_t> received;
  std::thread reading([&] { received = ReadEventsUntil(reader, "$last", &read, &largest_message); });

  // 8 KiB events, the reader kept within kWindow events of the publisher, until the first cut (the
  // kernel's socket buffers of the stalled clients take a few megabytes first).
  const std::string padding(8192, 'x');
  constexpr int kWindow = 4;
  constexpr int kMaxEvents = 20000;
  auto event = [&](const std::string& room, const std::string& id) {
    return absl::StrCat(R"({"type":"m.room.message","room_id":")", room, R"(","sender":"@a:x","event_id":")", id,
                        R"(","content":{"body":")", padding, R"("}})");
  };
  int published = 0;
  while (plugin.Stat("slow_consumers_disconnected") == 0 && published < kMaxEvents) {
    ASSERT_NO_FATAL_FAILURE(AwaitReaderAt(read, published - kWindow));
    plugin.Publish(event(published % 2 == 0 ? "!a:x" : "!b:x", absl::StrCat("$e", published)));
    ++published;
  }
  ASSERT_EQ(plugin.Stat("slow_consumers_disconnected"), 1u) << "after " << published << " events";
  plugin.Publish(event("!b:x", "$last"));
  ++published;
  reading.join();
  ASSERT_EQ(received.size(), static_cast<size_t>(published));
  for (int k = 0; k < published; ++k) ASSERT_EQ(received[k], static_cast<uint64_t>(k + 1));

  // The larger queue was cut: it finds the reason and a close 1008 behind what the kernel held.
  EXPECT_TRUE(ReadUntilClosedSeeingSlowConsumerError([&] { return larger.Read(std::chrono::seconds(30)); }));
  EXPECT_EQ(larger.stream().reason().code, websocket::close_code::policy_error);
  // The smaller one was not: reading again, it gets every event of its room, the last one included.
  const std::vector<uint64_t> smaller_received = ReadEventsUntil(smaller, "$last");
  ASSERT_FALSE(smaller_received.empty());
  EXPECT_EQ(smaller_received.back(), static_cast<uint64_t>(published));
  for (size_t k = 0; k + 1 < smaller_received.size(); ++k) {
    ASSERT_EQ(smaller_received[k], 2 * k + 2) << "the odd events, room !b:x, in order";
  }
  EXPECT_EQ(plugin.Stat("slow_consumers_disconnected"), 1u);

  // The total passed the bound by at most what one slice added before the check: with the publisher
  // never more than kWindow + 1 events ahead of the reader, a slice holds at most that many events, each
  // queued for at most the three connections; plus the goodbye of the cut connection.
  const uint64_t frame_bytes = largest_message.load() + 4;  // 4: the header of a 126..65535-byte frame.
  const uint64_t bound = kMaxTotalQueueBytes + 3 * (kWindow + 1) * frame_bytes + 4096;
  const uint64_t peak = plugin.Stat("queued_bytes_peak");
  EXPECT_LE(peak, bound) << "after " << published << " events";
  ::testing::Test::RecordProperty("queued_bytes_peak", absl::StrCat(peak));
}

// A burst published at once is dispatched in slices, each posted behind the socket completions: a reader
// still receives every event, in order.
TEST(SlowConsumerTest, ABurstOfTwentyThousandEventsArrivesWholeAndInOrder) {
  constexpr int kEvents = 20000;
  RunningPlugin plugin(host::ConfigEntries{{"ingest_queue_events", absl::StrCat(kEvents)}});
  WsClient reader(plugin.url());
  reader.Subscribe("{}");
  std::vector<uint64_t> received;
  std::thread reading([&] { received = ReadEventsUntil(reader, absl::StrCat("$e", kEvents - 1)); });
  for (int i = 0; i < kEvents; ++i) {
    plugin.Publish(absl::StrCat(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$e)", i,
                                R"(","content":{"body":"burst"}})"));
  }
  reading.join();
  ASSERT_EQ(received.size(), static_cast<size_t>(kEvents));
  for (int k = 0; k < kEvents; ++k) ASSERT_EQ(received[k], static_cast<uint64_t>(k + 1));
  EXPECT_EQ(plugin.Stat("slow_consumers_disconnected"), 0u);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
