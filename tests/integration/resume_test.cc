// Resuming after a disconnect (subscribe's "since") over real sockets against the real .so: what a client
// that reconnects with its cursor receives, in every outcome, and the seam between replay and live events
// under a continuous publisher.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/beast/websocket/rfc6455.hpp"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "common/string_view_compat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/running_plugin.h"
#include "tests/integration/resume_support.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

using Config = host::ConfigEntries;
using ::testing::ElementsAreArray;

std::string RoomOf(const boost::json::value& message) {
  return std::string(message.at("data").at("event").at("room_id").as_string());
}

// A client subscribed to everything from the start: once it has read sequence `n`, the I/O thread has
// dispatched (and retained) every event up to n.
class Observer {
 public:
  explicit Observer(RunningPlugin& plugin, const WsClient::Headers& headers = {})
      : client_(plugin.url(), std::nullopt, headers) {
    epoch_ = std::string(Subscribe(client_, "{}", std::nullopt).at("epoch").as_string());
  }
  void AwaitDispatched(uint64_t n) {
    while (last_ < n) last_ = SequenceOf(client_.ReadJson());
  }
  const std::string& epoch() const { return epoch_; }

 private:
  WsClient client_;
  std::string epoch_;
  uint64_t last_ = 0;
};

void PublishN(RunningPlugin& plugin, int count, int first_id = 1) {
  for (int i = 0; i < count; ++i) plugin.Publish(EventIn("!a:example.org", first_id + i));
}

TEST(ResumeTest, InRangeReplaysExactlyTheMissedEventsThenLive) {
  RunningPlugin plugin;
  Observer observer(plugin);
  std::string epoch;
  {
    WsClient first(plugin.url());
    const boost::json::object subscribed = Subscribe(first, "{}", std::nullopt);
    // A subscribe without "since" gets no resume fields.
    EXPECT_FALSE(subscribed.contains("recovered"));
    EXPECT_EQ(subscribed.at("sequence"), 0);
    epoch = std::string(subscribed.at("epoch").as_string());
    EXPECT_EQ(epoch, observer.epoch());
    PublishN(plugin, 3);
    EXPECT_THAT(ReadSequences(first, 3), ElementsAreArray(Range(1, 3)));
  }
  PublishN(plugin, 4, 4);  // Missed while disconnected.
  observer.AwaitDispatched(7);

  WsClient again(plugin.url());
  const boost::json::object resumed = Subscribe(again, "{}", epoch, 3);
  EXPECT_EQ(resumed.at("epoch"), epoch.c_str());
  EXPECT_EQ(resumed.at("sequence"), 7);
  EXPECT_EQ(resumed.at("recovered"), true);
  EXPECT_EQ(resumed.at("replayed"), 4);
  EXPECT_EQ(resumed.at("earliest"), 1);
  EXPECT_FALSE(resumed.contains("reason"));
  EXPECT_THAT(ReadSequences(again, 4), ElementsAreArray(Range(4, 7)));
  plugin.Publish(EventIn("!a:example.org", 8));
  EXPECT_EQ(SequenceOf(again.ReadJson()), 8u);
  EXPECT_EQ(plugin.Stat("replays_recovered"), 1u);
  EXPECT_EQ(plugin.Stat("replayed_events"), 4u);
  EXPECT_EQ(plugin.Stat("history_events"), 8u);
  EXPECT_EQ(plugin.Stat("history_earliest_sequence"), 1u);
  EXPECT_GT(plugin.Stat("history_bytes"), 0u);
}

// Not recovered: "subscribed" says why, nothing is replayed, and the next message is the next live event.
void ExpectNotRecovered(RunningPlugin& plugin, const std::string& epoch, uint64_t since, std::string_view reason,
                        uint64_t head, uint64_t earliest, std::string_view counter) {
  WsClient client(plugin.url());
  const boost::json::object subscribed = Subscribe(client, "{}", epoch, since);
  EXPECT_EQ(subscribed.at("recovered"), false);
  EXPECT_EQ(subscribed.at("reason"), ToAbsl(reason).data());
  EXPECT_EQ(subscribed.at("replayed"), 0);
  EXPECT_EQ(subscribed.at("sequence"), head);
  EXPECT_EQ(subscribed.at("earliest"), earliest);
  plugin.Publish(EventIn("!a:example.org", 1000));
  EXPECT_EQ(SequenceOf(client.ReadJson()), head + 1);
  EXPECT_EQ(plugin.Stat(counter), 1u);
  EXPECT_EQ(plugin.Stat("replays_recovered"), 0u);
}

TEST(ResumeTest, TooOldWhenTheHistoryNoLongerHoldsTheCursor) {
  RunningPlugin plugin(Config{{"history_size", "3"}});
  Observer observer(plugin);
  PublishN(plugin, 6);
  observer.AwaitDispatched(6);
  EXPECT_EQ(plugin.Stat("history_events"), 3u);
  EXPECT_EQ(plugin.Stat("history_earliest_sequence"), 4u);
  ExpectNotRecovered(plugin, observer.epoch(), 2, "too_old", 6, 4, "replays_too_old");
}

TEST(ResumeTest, AnotherEpochIsNotRecovered) {
  RunningPlugin plugin;
  Observer observer(plugin);
  PublishN(plugin, 2);
  observer.AwaitDispatched(2);
  ExpectNotRecovered(plugin, "ffffffffffffffffffffffffffffffff", 1, "epoch_mismatch", 2, 1, "replays_epoch_mismatch");
}

TEST(ResumeTest, ACursorAheadOfTheBusIsFuture) {
  RunningPlugin plugin;
  Observer observer(plugin);
  PublishN(plugin, 2);
  observer.AwaitDispatched(2);
  ExpectNotRecovered(plugin, observer.epoch(), 3, "future", 2, 1, "replays_future");
}

TEST(ResumeTest, MoreThanMaxReplayEventsReplaysNone) {
  RunningPlugin plugin(Config{{"max_replay_events", "2"}});
  Observer observer(plugin);
  PublishN(plugin, 5);
  observer.AwaitDispatched(5);
  ExpectNotRecovered(plugin, observer.epoch(), 2, "too_many", 5, 1, "replays_too_many");
}

TEST(ResumeTest, ReplayHoldsOnlyTheEventsTheFilterMatches) {
  RunningPlugin plugin;
  Observer observer(plugin);
  for (int i = 1; i <= 8; ++i) plugin.Publish(EventIn(i % 2 == 1 ? "!a:example.org" : "!b:example.org", i));
  observer.AwaitDispatched(8);
  WsClient client(plugin.url());
  const boost::json::object subscribed = Subscribe(client, R"({"room_id":"!b:example.org"})", observer.epoch(), 3);
  EXPECT_EQ(subscribed.at("recovered"), true);
  EXPECT_EQ(subscribed.at("replayed"), 3);
  EXPECT_THAT(ReadSequences(client, 3), ElementsAreArray({4u, 6u, 8u}));
}

TEST(ResumeTest, ARoomRestrictedTokenIsReplayedOnlyItsRooms) {
  const auto dir = std::filesystem::temp_directory_path() / absl::StrCat("eventbus-resume-", ::getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokens") << "all-rooms-token-0123456789\n"
                                << "ops-only-token-0123456789 !ops:example.org !alerts:example.org\n";
  {
    RunningPlugin plugin(Config{{"auth_tokens_file", (dir / "tokens").string()}});
    Observer observer(plugin, {{"Authorization", "Bearer all-rooms-token-0123456789"}});
    int n = 0;
    for (int round = 0; round < 2; ++round) {
      for (std::string_view room : {"!ops:example.org", "!lobby:example.org", "!alerts:example.org"}) {
        plugin.Publish(EventIn(room, ++n));
      }
    }
    observer.AwaitDispatched(6);
    WsClient ops(plugin.url(), std::nullopt, {{"Authorization", "Bearer ops-only-token-0123456789"}});
    const boost::json::object subscribed = Subscribe(ops, "{}", observer.epoch(), 0);
    EXPECT_EQ(subscribed.at("recovered"), true);
    EXPECT_EQ(subscribed.at("replayed"), 4);
    std::vector<std::string> rooms;
    for (int i = 0; i < 4; ++i) rooms.push_back(RoomOf(ops.ReadJson()));
    EXPECT_THAT(rooms, ElementsAreArray({"!ops:example.org", "!alerts:example.org", "!ops:example.org",
                                         "!alerts:example.org"}));
  }
  std::filesystem::remove_all(dir);
}

TEST(ResumeTest, MalformedSinceIsRefusedAsInvalidFilterAndSubscribesNothing) {
  RunningPlugin plugin;
  WsClient client(plugin.url());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"sequence":1})", R"(since.epoch must be a non-empty string (the epoch of a \"subscribed\" reply))"},
      {R"({"sequence":1,"epoch":""})", R"(since.epoch must be a non-empty string (the epoch of a \"subscribed\" reply))"},
      {R"({"sequence":-1,"epoch":"e"})", "since.sequence must be a non-negative integer (the last sequence received)"},
      {R"({"sequence":"1","epoch":"e"})", "since.sequence must be a non-negative integer (the last sequence received)"},
      {R"({"sequence":1,"epoch":"e","offset":2})", R"(since has an unknown field \"offset\" (expected sequence and epoch))"},
      {"7", R"(since must be an object {\"sequence\": N, \"epoch\": \"E\"} from a \"subscribed\" reply)"},
  };
  for (const auto& [since, message] : cases) {
    SCOPED_TRACE(since);
    client.Send(absl::StrCat(R"({"type":"subscribe","data":{"since":)", since, "}}"));
    EXPECT_EQ(client.ReadJson(), boost::json::parse(absl::StrCat(
                                     R"({"type":"error","data":{"code":"invalid_filter","message":")", message, R"("}})")));
  }
  EXPECT_EQ(plugin.Stat("subscriptions_active"), 0u);
  EXPECT_EQ(plugin.Stat("replays_recovered") + plugin.Stat("replays_too_old") + plugin.Stat("replays_future"), 0u);
}

// The seam: while one thread publishes without pause, 50 clients resume at random cursors, each with a
// filter. Each must receive exactly the events after its cursor that its filter matches: no gap between
// replay and live, no duplicate.
TEST(ResumeTest, AQuietFilterThatAskedForPositionsIsToldTheHeadAndMayResumeFromIt) {
  RunningPlugin plugin(Config{{"position_interval", "200ms"}});
  Observer observer(plugin);
  WsClient quiet(plugin.url());
  quiet.Send(R"({"type":"subscribe","data":{"filter":{"room_id":"!quiet:example.org"},"positions":true}})");
  const boost::json::value subscribed = quiet.ReadJson();
  ASSERT_EQ(subscribed.at("type"), "subscribed");
  const std::string epoch(subscribed.at("data").at("epoch").as_string());
  // A client that did not ask (no "positions", no "since") gets none.
  WsClient plain(plugin.url());
  Subscribe(plain, R"({"room_id":"!quiet:example.org"})", std::nullopt);

  PublishN(plugin, 3);  // In !a: nothing for either client.
  // Each tick tells the quiet client the head as it is then; it reaches 3 and carries nothing else.
  uint64_t position = 0;
  while (position < 3) {
    const boost::json::value message = quiet.ReadJson(std::chrono::seconds(10));
    ASSERT_EQ(message.at("type"), "position") << boost::json::serialize(message);
    ASSERT_EQ(message.at("data").as_object().size(), 1u) << boost::json::serialize(message);
    const auto sequence = message.at("data").at("sequence").to_number<uint64_t>();
    EXPECT_GT(sequence, position);
    position = sequence;
  }
  EXPECT_EQ(position, 3u);
  // The tick that told the quiet client walked the plain one too: its next message is the next event.
  plugin.Publish(EventIn("!quiet:example.org", 4));
  EXPECT_EQ(SequenceOf(plain.ReadJson()), 4u);
  EXPECT_EQ(SequenceOf(quiet.ReadJson()), 4u);

  // The position is a cursor: resuming from it replays nothing missed, nothing twice.
  WsClient again(plugin.url());
  const boost::json::object resumed = Subscribe(again, R"({"room_id":"!quiet:example.org"})", epoch, position);
  EXPECT_EQ(resumed.at("recovered"), true);
  EXPECT_EQ(resumed.at("replayed"), 1);
  EXPECT_EQ(SequenceOf(again.ReadJson()), 4u);
}

TEST(ResumeTest, ACutSlowConsumerLearnsWhereToResumeAndLosesNothing) {
  RunningPlugin plugin(Config{{"max_queue_bytes", "131072"}, {"handshake_timeout", "60s"}});
  WsClient stalled(plugin.url());
  const std::string epoch(Subscribe(stalled, "{}", std::nullopt).at("epoch").as_string());
  // Events until the client that does not read is cut, then a few it can only get by resuming.
  const int published = plugin.PublishUntilSlowConsumerCut(5);
  ASSERT_EQ(plugin.Stat("slow_consumers_disconnected"), 1u);

  // Reading again, the client gets what the kernel held, then at once the reason with its cursor, then
  // the close.
  std::vector<uint64_t> received;
  boost::json::value error;
  for (;;) {
    const boost::json::value message = stalled.ReadJson(std::chrono::seconds(30));
    if (message.at("type") != "event") {
      error = message;
      break;
    }
    received.push_back(SequenceOf(message));
  }
  ASSERT_EQ(error.at("type"), "error") << boost::json::serialize(error);
  EXPECT_EQ(error.at("data").at("code"), "slow_consumer");
  ASSERT_FALSE(received.empty());
  EXPECT_THAT(received, ElementsAreArray(Range(1, received.size())));
  const uint64_t cursor = error.at("data").at("sequence").to_number<uint64_t>();
  EXPECT_EQ(cursor, received.back());
  EXPECT_LT(cursor, static_cast<uint64_t>(published));
  // Nothing but the close follows (the server resets the socket once the close is answered).
  EXPECT_THROW(stalled.Read(std::chrono::seconds(30)), boost::system::system_error);
  EXPECT_EQ(stalled.stream().reason().code, boost::beast::websocket::close_code::policy_error);

  WsClient again(plugin.url());
  const boost::json::object resumed = Subscribe(again, "{}", epoch, cursor);
  EXPECT_EQ(resumed.at("recovered"), true);
  EXPECT_EQ(resumed.at("replayed"), published - static_cast<int>(cursor));
  for (const uint64_t sequence : ReadSequences(again, published - cursor)) received.push_back(sequence);
  EXPECT_THAT(received, ElementsAreArray(Range(1, published)));
}

TEST(ResumeTest, AReplayCarriesTheRedactedFormOfARedactedEvent) {
  RunningPlugin plugin;
  WsClient live(plugin.url());
  const std::string epoch(Subscribe(live, "{}", std::nullopt).at("epoch").as_string());
  plugin.Publish(R"({"type":"m.room.message","room_id":"!a:example.org","sender":"@a:example.org",)"
                 R"("event_id":"$secret","content":{"body":"the launch code","msgtype":"m.text"}})");
  const std::string redaction_json =
      R"({"type":"m.room.redaction","room_id":"!a:example.org","sender":"@a:example.org",)"
      R"("event_id":"$redaction","content":{"redacts":"$secret","reason":"oops"}})";
  plugin.Publish(redaction_json);
  // Live, the original went out as published: clients apply the redactions they receive themselves.
  const boost::json::value original = live.ReadJson();
  EXPECT_EQ(original.at("data").at("event").at("content").at("body"), "the launch code");
  const boost::json::value redaction = live.ReadJson();
  EXPECT_EQ(SequenceOf(redaction), 2u);

  // Resumed from before both, with a filter that the redaction does not match: the target is replayed
  // redacted all the same.
  WsClient messages_only(plugin.url());
  const boost::json::object resumed =
      Subscribe(messages_only, R"({"event_types":["m.room.message"]})", epoch, 0);
  EXPECT_EQ(resumed.at("replayed"), 1);
  const boost::json::value replayed = messages_only.ReadJson();
  EXPECT_EQ(SequenceOf(replayed), 1u);
  const boost::json::object& event = replayed.at("data").at("event").as_object();
  EXPECT_EQ(event.at("event_id"), "$secret");
  EXPECT_EQ(event.at("content"), boost::json::object());
  EXPECT_EQ(event.at("unsigned").at("redacted_because"), redaction.at("data").at("event"));
  EXPECT_EQ(replayed.at("data").at("received"), original.at("data").at("received"));

  // Everything: the redacted target, then the redaction itself, as it was.
  WsClient everything(plugin.url());
  Subscribe(everything, "{}", epoch, 0);
  EXPECT_EQ(everything.ReadJson().at("data").at("event").at("content"), boost::json::object());
  EXPECT_EQ(everything.ReadJson(), redaction);
}

TEST(ResumeTest, FiftyClientsResumingUnderLoadEachGetAGapFreeDuplicateFreeRun) {
  constexpr int kClients = 50;
  constexpr int kRooms = 4;
  // The publisher keeps a window of kWindow events ahead of the resumes: each resume is sent as its
  // window opens, so events are being published while the server handles it, and the total stays within
  // the history (every cursor stays in range) and within each client's queue (they read only at the end).
  constexpr uint64_t kWindow = 50;
  RunningPlugin plugin(Config{{"history_size", "20000"}});
  Observer observer(plugin);
  auto room = [](uint64_t sequence) { return absl::StrCat("!r", sequence % kRooms, ":example.org"); };
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> resumes_sent{0};
  std::atomic<uint64_t> published{0};
  // One publisher: event n gets sequence n (refused events take no number, and Publish retries BUSY).
  std::thread publisher([&] {
    for (uint64_t n = 1;; ++n) {
      while (!stop.load() && n > kWindow * (resumes_sent.load() + 1)) std::this_thread::yield();
      if (stop.load()) return;
      plugin.Publish(EventIn(room(n), static_cast<int>(n)));
      published.store(n);
    }
  });

  while (published.load() < kWindow / 2) std::this_thread::yield();  // Under load from the first resume.
  std::mt19937_64 random(20260208);
  struct Resumed {
    std::unique_ptr<WsClient> client;
    std::optional<int> room;  // The filter's room, or all.
    uint64_t cursor;
  };
  std::vector<Resumed> resumed;
  for (int i = 0; i < kClients; ++i) {
    // history_events is the head while nothing has left the history: a cursor at or below it is valid.
    const uint64_t head = plugin.Stat("history_events");
    Resumed r{std::make_unique<WsClient>(plugin.url()), std::nullopt, random() % (head + 1)};
    if (i % 3 != 0) r.room = i % kRooms;
    const std::string filter = r.room ? absl::StrCat(R"({"room_id":"!r)", *r.room, R"(:example.org"})") : "{}";
    resumes_sent.fetch_add(1);
    const boost::json::object subscribed = Subscribe(*r.client, filter, observer.epoch(), r.cursor);
    EXPECT_EQ(subscribed.at("recovered"), true) << boost::json::serialize(subscribed);
    resumed.push_back(std::move(r));
  }
  stop.store(true);
  publisher.join();
  const uint64_t last = published.load();
  std::cout << "published " << last << " events while " << kClients << " clients resumed\n";

  for (size_t i = 0; i < resumed.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("client ", i, " cursor ", resumed[i].cursor));
    std::vector<uint64_t> expected;
    for (uint64_t s = resumed[i].cursor + 1; s <= last; ++s) {
      if (!resumed[i].room || static_cast<int>(s % kRooms) == *resumed[i].room) expected.push_back(s);
    }
    EXPECT_THAT(ReadSequences(*resumed[i].client, expected.size()), ElementsAreArray(expected));
  }
  EXPECT_EQ(plugin.Stat("replays_recovered"), static_cast<uint64_t>(kClients));
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
