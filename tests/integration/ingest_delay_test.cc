// max_ingest_delay, as the bridge and a client see it: while the I/O thread is behind, publish answers
// BUSY with a text naming the bound, the refused events take no sequence number, and once the thread
// catches up a subscriber receives every accepted event, in order, with no gap.
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "boost/json/value.hpp"
#include "gtest/gtest.h"
#include "host-shim/plugin_loader.h"
#include "tests/support/running_plugin.h"
#include "tests/support/stalling_host.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

std::string Event(int n) {
  return absl::StrCat(R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","event_id":"$)", n,
                      R"(","content":{"body":"hi"}})");
}

TEST(IngestDelayTest, PublishIsBusyWhileTheIoThreadIsBehindAndNoAcceptedEventIsLost) {
  StallingHost host_state;
  auto library = host::PluginLibrary::Open(PluginPath());
  ASSERT_TRUE(library.ok()) << library.status();
  auto instance = host::PluginInstance::Create(
      *library, host_state.Host(),
      {{"websocket_addr", "127.0.0.1:0"}, {"ping_interval", "0s"}, {"max_ingest_delay", "100ms"}});
  ASSERT_TRUE(instance.ok()) << instance.status();
  ASSERT_TRUE(instance->Start().ok());
  const std::string url = *instance->ListenUrl();
  WsClient subscriber(url);
  subscriber.Subscribe("{}");

  // The next upgrade blocks the I/O thread in the host's log callback, as a stuck host would.
  host_state.stall.store(true);
  std::thread blocker([&url] { WsClient connected(url); });
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20); !host_state.stalled.load();) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "the I/O thread never logged the upgrade";
    std::this_thread::yield();
  }
  // Accepted until the first waiting event is more than 100 ms old; far fewer than ingest_queue_events.
  int accepted = 0;
  std::string error;
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);;) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "publish never answered BUSY";
    const aceb_status status = instance->Publish(Event(accepted + 1), &error);
    if (status == ACEB_BUSY) break;
    ASSERT_EQ(status, ACEB_OK) << error;
    ++accepted;
  }
  EXPECT_EQ(error,
            "the plugin's thread is behind: the oldest waiting event was accepted more than max_ingest_delay = "
            "100ms ago");
  ASSERT_GT(accepted, 0);
  EXPECT_LT(accepted, 65536);
  const boost::json::value stats = boost::json::parse(*instance->Stats());
  EXPECT_EQ(stats.at("events_rejected_busy").to_number<int>(), 1);
  EXPECT_EQ(stats.at("ingest_queue_depth").to_number<int>(), accepted);

  host_state.release.store(true);
  blocker.join();
  // The thread catches up; the same event is taken again (the bridge retries a BUSY event).
  for (const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);;) {
    ASSERT_LT(std::chrono::steady_clock::now(), give_up) << "publish still BUSY after the stall";
    const aceb_status status = instance->Publish(Event(accepted + 1), &error);
    if (status == ACEB_OK) break;
    ASSERT_EQ(status, ACEB_BUSY) << error;
    std::this_thread::yield();
  }
  for (int n = 1; n <= accepted + 1; ++n) {
    const boost::json::value message = subscriber.ReadJson();
    ASSERT_EQ(message.at("type"), "event") << message;
    EXPECT_EQ(message.at("data").at("event").at("event_id").as_string(), absl::StrCat("$", n));
    EXPECT_EQ(message.at("data").at("sequence").to_number<int>(), n);
  }
  EXPECT_TRUE(instance->Stop(0).ok());
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
