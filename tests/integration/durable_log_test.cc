// The durable log over real sockets against the real .so: a restart with the same directory keeps the epoch
// and the numbering, a client resumes across it from disk with the very frames it would have received
// live, cursors older than the memory's history are replayed from disk, and no client ever holds an event
// the segments lack (write before deliver).
#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/resume_support.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

class DurableLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eventbus-durable-log-it-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  void TearDown() override { fs::remove_all(root_); }

  host::ConfigEntries LogConfig(host::ConfigEntries more = {}) const {
    host::ConfigEntries config{{"enable_durable_log", "true"}, {"durable_log_dir", dir()}};
    config.insert(config.end(), more.begin(), more.end());
    return config;
  }
  std::string dir() const { return (root_ / "log").string(); }

  // Every segment's bytes, oldest first.
  std::string Segments() const {
    std::vector<fs::path> paths;
    for (const auto& entry : fs::directory_iterator(dir())) {
      if (entry.path().extension() == ".log") paths.push_back(entry.path());
    }
    std::sort(paths.begin(), paths.end());
    std::string bytes;
    for (const fs::path& path : paths) {
      std::ifstream in(path, std::ios::binary);
      bytes.append(std::istreambuf_iterator<char>(in), {});
    }
    return bytes;
  }

  fs::path root_;
};

// The event frames a client reads, as text, checking their sequences.
std::vector<std::string> ReadFrames(WsClient& client, uint64_t first, uint64_t last) {
  std::vector<std::string> frames;
  for (uint64_t sequence = first; sequence <= last; ++sequence) {
    frames.push_back(client.Read());
    EXPECT_EQ(SequenceOf(boost::json::parse(frames.back())), sequence) << frames.back();
  }
  return frames;
}

TEST_F(DurableLogTest, ARestartWithTheSameDirectoryKeepsTheEpochAndAClientResumesFromDisk) {
  std::string epoch;
  std::vector<std::string> live;  // What a client connected throughout the first run received.
  {
    RunningPlugin plugin(LogConfig());
    WsClient watcher(plugin.url());
    const boost::json::object subscribed = Subscribe(watcher, "{}", std::nullopt);
    epoch = std::string(subscribed.at("epoch").as_string());
    EXPECT_EQ(subscribed.at("sequence"), 0);
    for (int n = 1; n <= 5; ++n) plugin.Publish(EventIn("!a:example.org", n));
    live = ReadFrames(watcher, 1, 5);
    EXPECT_EQ(plugin.Stat("log_earliest_sequence"), 1u);
    EXPECT_EQ(plugin.Stat("log_segments"), 1u);
    EXPECT_GT(plugin.Stat("log_bytes"), 0u);
  }  // Destroyed: stop, then unload.

  RunningPlugin plugin(LogConfig());
  const std::vector<std::string> lines = plugin.logs().lines();
  const auto recovered = std::find_if(lines.begin(), lines.end(), [](const std::string& line) {
    return line.find("durable log in") != std::string::npos;
  });
  ASSERT_NE(recovered, lines.end());
  EXPECT_THAT(*recovered, HasSubstr(absl::StrCat("epoch ", epoch, " (kept)")));
  EXPECT_THAT(*recovered, HasSubstr("continues after 5"));

  // Its cursor was 2: it gets 3..5 from disk, byte for byte what was sent live, then live events.
  WsClient resumer(plugin.url());
  const boost::json::object resumed = Subscribe(resumer, "{}", epoch, 2);
  EXPECT_EQ(resumed.at("epoch"), epoch.c_str());
  EXPECT_EQ(resumed.at("sequence"), 5);
  EXPECT_EQ(resumed.at("recovered"), true);
  EXPECT_EQ(resumed.at("replayed"), 3);
  EXPECT_EQ(resumed.at("earliest"), 1);
  EXPECT_THAT(ReadFrames(resumer, 3, 5), ElementsAreArray(live.begin() + 2, live.end()));
  plugin.Publish(EventIn("!a:example.org", 6));
  EXPECT_EQ(SequenceOf(resumer.ReadJson()), 6u);
  EXPECT_EQ(plugin.Stat("replayed_from_disk_events"), 3u);
  EXPECT_EQ(plugin.Stat("replays_recovered"), 1u);
  EXPECT_EQ(plugin.Stat("last_sequence"), 6u);
  EXPECT_EQ(plugin.Stat("log_recovery_truncated_bytes"), 0u);
}

// Memory keeps 2 events; the log has all: an old cursor is replayed from disk, then from memory, filtered.
TEST_F(DurableLogTest, ACursorOlderThanTheMemorysHistoryIsReplayedFromDisk) {
  RunningPlugin plugin(LogConfig({{"history_size", "2"}}));
  WsClient watcher(plugin.url());
  const std::string epoch(Subscribe(watcher, "{}", std::nullopt).at("epoch").as_string());
  for (int n = 1; n <= 10; ++n) plugin.Publish(EventIn(n % 2 == 1 ? "!a:example.org" : "!b:example.org", n));
  ReadFrames(watcher, 1, 10);
  EXPECT_EQ(plugin.Stat("history_earliest_sequence"), 9u);

  WsClient resumer(plugin.url());
  const boost::json::object resumed = Subscribe(resumer, R"({"room_id":"!a:example.org"})", epoch, 1);
  EXPECT_EQ(resumed.at("recovered"), true);
  EXPECT_EQ(resumed.at("earliest"), 1);
  EXPECT_EQ(resumed.at("replayed"), 4);
  EXPECT_THAT(ReadSequences(resumer, 4), ElementsAreArray(std::vector<uint64_t>{3, 5, 7, 9}));
  EXPECT_EQ(plugin.Stat("replayed_from_disk_events"), 3u);  // 3, 5, 7; 9 is in memory.

  // Too many counts matching events over disk and memory alike.
  WsClient greedy(plugin.url());
  EXPECT_EQ(Subscribe(greedy, "{}", epoch, 0).at("replayed"), 10);
}

// A redaction reaches replays from disk too: after a restart, with nothing in memory, the target comes back
// redacted, and the log itself still holds what was published (the bridge's reader sees it as it was).
TEST_F(DurableLogTest, AReplayFromDiskCarriesTheRedactedFormOfARedactedEvent) {
  std::string epoch;
  {
    RunningPlugin plugin(LogConfig());
    WsClient watcher(plugin.url());
    epoch = std::string(Subscribe(watcher, "{}", std::nullopt).at("epoch").as_string());
    plugin.Publish(R"({"type":"m.room.message","room_id":"!a:example.org","sender":"@a:example.org",)"
                   R"("event_id":"$secret","content":{"body":"the launch code","msgtype":"m.text"}})");
    plugin.Publish(R"({"type":"m.room.redaction","room_id":"!a:example.org","sender":"@a:example.org",)"
                   R"("event_id":"$redaction","redacts":"$secret","content":{"reason":"oops"}})");
    ReadFrames(watcher, 1, 2);
  }
  RunningPlugin plugin(LogConfig());
  WsClient resumer(plugin.url());
  const boost::json::object resumed = Subscribe(resumer, R"({"event_types":["m.room.message"]})", epoch, 0);
  EXPECT_EQ(resumed.at("recovered"), true);
  EXPECT_EQ(resumed.at("replayed"), 1);
  const boost::json::value replayed = resumer.ReadJson();
  EXPECT_EQ(SequenceOf(replayed), 1u);
  const boost::json::object& event = replayed.at("data").at("event").as_object();
  EXPECT_EQ(event.at("event_id"), "$secret");
  EXPECT_EQ(event.at("content"), boost::json::object());
  EXPECT_EQ(event.at("unsigned").at("redacted_because").at("event_id"), "$redaction");
  EXPECT_EQ(plugin.Stat("replayed_from_disk_events"), 1u);
  EXPECT_THAT(Segments(), HasSubstr("the launch code"));
}

TEST_F(DurableLogTest, ADirectoryThatCannotBeCreatedFailsCreateNamingIt) {
  std::ofstream(root_ / "file") << "not a directory";
  const std::string uncreatable = (root_ / "file" / "log").string();
  LogCapture logs;
  auto library = host::PluginLibrary::Open(PluginPath());
  ASSERT_TRUE(library.ok());
  auto plugin = host::PluginInstance::Create(*library, logs.Host(),
                                             {{"websocket_addr", "127.0.0.1:0"},
                                              {"enable_durable_log", "true"},
                                              {"durable_log_dir", uncreatable}});
  ASSERT_FALSE(plugin.ok());
  EXPECT_EQ(host::AcebStatusOf(plugin.status()), ACEB_CONFIG_ERROR);
  EXPECT_THAT(plugin.status().message(), HasSubstr(uncreatable));
}

// Write before deliver: the moment a client holds an event, its record is in a segment file.
TEST_F(DurableLogTest, EveryEventAClientReceivedIsAlreadyInTheSegments) {
  RunningPlugin plugin(LogConfig({{"durable_log_fsync", "never"}, {"max_log_file_size", "4096"}}));
  WsClient client(plugin.url());
  Subscribe(client, "{}", std::nullopt);
  std::thread publisher([&plugin] {
    for (int n = 1; n <= 300; ++n) plugin.Publish(EventIn("!a:example.org", n));
  });
  for (uint64_t sequence = 1; sequence <= 300; ++sequence) {
    EXPECT_EQ(SequenceOf(client.ReadJson()), sequence);
    ASSERT_THAT(Segments(), HasSubstr(absl::StrCat(R"({"offset":)", sequence, R"(,"timestamp":)")))
        << "event " << sequence << " reached a client before the log";
  }
  publisher.join();
  EXPECT_GT(plugin.Stat("log_segments"), 1u);  // Rotated at max_log_file_size.
  EXPECT_EQ(plugin.Stat("log_fsyncs"), 0u);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
