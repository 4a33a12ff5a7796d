// Clients come and go while events flow: some close properly, some drop the connection, some drop it in
// the middle of a frame. Afterwards nothing is left behind: no connection, no subscription, no descriptor
// (and, under the ASan preset, no leaked memory).
#include <dirent.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/write.hpp"
#include "gtest/gtest.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

size_t OpenDescriptors() {
  size_t count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (readdir(dir) != nullptr) ++count;
  closedir(dir);
  return count;
}

TEST(ChurnTest, ComingAndGoingLeavesNothingBehind) {
  RunningPlugin plugin(host::ConfigEntries{{"max_subscribers", "1000"}, {"subscribe_rate", "1000"}});
  const size_t descriptors_before = OpenDescriptors();
  std::atomic<bool> running{true};     // Clients keep coming.
  std::atomic<bool> publishing{true};  // Events keep flowing, until the last client has gone.
  std::atomic<int> sessions{0};

  std::thread publisher([&] {
    for (int i = 0; publishing.load(); ++i) {
      plugin.Publish(absl::StrCat(R"({"type":"m.room.message","room_id":"!r)", i % 3,
                                  R"(:x","sender":"@a:x","content":{"body":"churn )", i, R"("}})"));
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  std::vector<std::thread> clients;
  for (int worker = 0; worker < 4; ++worker) {
    clients.emplace_back([&, worker] {
      // A failure here must reach the test, not terminate the process.
      try {
      for (int round = 0; running.load(); ++round) {
        WsClient client(plugin.url());
        client.Subscribe(round % 2 == 0 ? "{}" : R"({"room_id":"!r1:x"})");
        for (int read = 0; read < 3; ++read) client.Read();
        auto& socket = boost::beast::get_lowest_layer(client.stream()).socket();
        switch ((worker + round) % 3) {
          case 0:  // A proper close handshake.
            client.stream().close(boost::beast::websocket::close_code::normal);
            break;
          case 1:  // The connection dropped, as by a crashed client.
            socket.close();
            break;
          case 2:  // Dropped in the middle of a frame: a masked text frame header announcing 100 bytes, 3 sent.
            boost::asio::write(socket, boost::asio::buffer(std::string("\x81\xe4\x01\x02\x03\x04{\"t", 9)));
            socket.close();
            break;
        }
        ++sessions;
      }
      } catch (const std::exception& error) {
        ADD_FAILURE() << "client " << worker << ": " << error.what();
        running = false;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::seconds(3));
  running = false;
  for (std::thread& client : clients) client.join();
  publishing = false;
  publisher.join();

  EXPECT_GT(sessions.load(), 20);
  plugin.AwaitStat("connections_open", 0);
  plugin.AwaitStat("subscriptions_active", 0);
  EXPECT_EQ(plugin.Stat("slow_consumers_disconnected"), 0u);
  // The server side of every connection is closed once its session has ended.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (OpenDescriptors() != descriptors_before && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(OpenDescriptors(), descriptors_before);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
