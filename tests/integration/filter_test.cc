// Filters in Matrix's vocabulary (rooms, not_rooms, senders, not_senders, types, not_types, '*' in types)
// over real sockets against the real .so, fed with the bridge's own events (tests/data/bridge-events.jsonl):
// each filter receives exactly the matching events, in order, and a room-restricted token only narrows.
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "boost/json/parse.hpp"
#include "boost/json/serialize.hpp"
#include "common/string_view_compat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

using boost::json::parse;
using Config = host::ConfigEntries;

// Published after the corpus. No corpus event has its type; every client below also subscribes to it,
// so that reading up to it proves that nothing else was delivered before.
constexpr std::string_view kSentinel =
    R"({"type":"test.sentinel","room_id":"!ops:example.org","sender":"test","content":null,"event_id":"$sentinel"})";
constexpr std::string_view kSentinelFilter = R"({"event_types":["test.sentinel"]})";

struct CorpusEvent {
  std::string type, room_id, sender;
};

std::vector<std::string> Corpus() { return ReadLines(TestDataPath("bridge-events.jsonl")); }

CorpusEvent Fields(const std::string& line) {
  const boost::json::object event = parse(line).as_object();
  return {std::string(event.at("type").as_string()), std::string(event.at("room_id").as_string()),
          std::string(event.at("sender").as_string())};
}

// The sequence numbers of the events `client` receives up to the sentinel, which is left out. A fresh
// plugin numbers the corpus from 1, so line i of the corpus is sequence i + 1.
std::vector<uint64_t> ReadSequencesUntilSentinel(WsClient& client) {
  std::vector<uint64_t> sequences;
  for (;;) {
    const boost::json::value message = client.ReadJson();
    if (message.at("type") != "event") throw std::runtime_error("not an event: " + boost::json::serialize(message));
    if (message.at("data").at("event").at("event_id") == "$sentinel") return sequences;
    sequences.push_back(message.at("data").at("sequence").to_number<uint64_t>());
  }
}

struct MatrixFilter {
  std::string filter;
  std::function<bool(const CorpusEvent&)> wants;  // Written from Matrix's rules, not from the plugin's code.
};

bool IsMatrixType(const CorpusEvent& e) { return absl::StartsWith(e.type, "m."); }

// Subscribes one client per filter (plus the sentinel), publishes the corpus and the sentinel, and checks
// that each client received exactly the corpus lines its filter wants, in order.
void ExpectEachFilterReceivesExactlyItsEvents(RunningPlugin& plugin, const std::vector<MatrixFilter>& filters,
                                              const WsClient::Headers& headers = {}) {
  const std::vector<std::string> corpus = Corpus();
  std::vector<std::unique_ptr<WsClient>> clients;
  for (const MatrixFilter& filter : filters) {
    clients.push_back(std::make_unique<WsClient>(plugin.url(), std::nullopt, headers));
    clients.back()->Subscribe(filter.filter);
    clients.back()->Subscribe(kSentinelFilter);
  }
  for (const std::string& event : corpus) plugin.Publish(event);
  plugin.Publish(kSentinel);
  for (size_t i = 0; i < filters.size(); ++i) {
    std::vector<uint64_t> expected;
    for (size_t line = 0; line < corpus.size(); ++line) {
      if (filters[i].wants(Fields(corpus[line]))) expected.push_back(line + 1);
    }
    EXPECT_EQ(ReadSequencesUntilSentinel(*clients[i]), expected) << filters[i].filter;
  }
}

TEST(MatrixFilterTest, TheBridgesEventsAreAcceptedScrubbedAndDeliveredAsPublished) {
  const std::vector<std::string> corpus = Corpus();
  ASSERT_GE(corpus.size(), 30u);
  RunningPlugin plugin;  // pii_scrubbing is on by default.
  WsClient client(plugin.url());
  client.Subscribe("{}");
  for (const std::string& event : corpus) plugin.Publish(event);
  EXPECT_EQ(plugin.Stat("events_published"), corpus.size());
  for (size_t line = 0; line < corpus.size(); ++line) {
    // The bridge does not scrub its own components' events; the bus does, in every type.
    const std::string scrubbed = absl::StrReplaceAll(
        ToAbsl(corpus[line]), {{"ops@example.com", "[REDACTED_EMAIL]"}, {"+1 415 555 2671", "[REDACTED_PHONE]"}});
    const boost::json::value message = client.ReadJson();
    EXPECT_EQ(message.at("data").at("event"), parse(scrubbed)) << corpus[line];
    EXPECT_EQ(message.at("data").at("sequence").to_number<uint64_t>(), line + 1);
  }
}

TEST(MatrixFilterTest, EachMatrixListAndWildcardReceivesExactlyTheMatchingBridgeEvents) {
  RunningPlugin plugin;
  ExpectEachFilterReceivesExactlyItsEvents(
      plugin,
      {
          {R"({"sender_id":"orchestrator"})", [](const auto& e) { return e.sender == "orchestrator"; }},
          {R"({"senders":["budget-monitor","agent-7"]})",
           [](const auto& e) { return e.sender == "budget-monitor" || e.sender == "agent-7"; }},
          {R"({"not_senders":["orchestrator","bridge"]})",
           [](const auto& e) { return e.sender != "orchestrator" && e.sender != "bridge"; }},
          {R"({"event_types":["workflow.*"]})", [](const auto& e) { return absl::StartsWith(e.type, "workflow."); }},
          {R"({"types":["agent.*","blocker.*"]})",
           [](const auto& e) { return absl::StartsWith(e.type, "agent.") || absl::StartsWith(e.type, "blocker."); }},
          {R"({"types":["com.armorclaw.*"],"not_types":["com.armorclaw.health"]})",
           [](const auto& e) { return absl::StartsWith(e.type, "com.armorclaw.") && e.type != "com.armorclaw.health"; }},
          {R"({"types":["*.started","*.completed"]})",
           [](const auto& e) { return absl::EndsWith(e.type, ".started") || absl::EndsWith(e.type, ".completed"); }},
          {R"({"not_types":["m.*"]})", [](const auto& e) { return !IsMatrixType(e); }},
          {R"({"types":["m.room.message","m.reaction"]})",
           [](const auto& e) { return e.type == "m.room.message" || e.type == "m.reaction"; }},
          {R"({"types":["*"]})", [](const auto&) { return true; }},
          {R"({"rooms":["!ops:example.org","!alerts:example.org"]})",
           [](const auto& e) { return e.room_id == "!ops:example.org" || e.room_id == "!alerts:example.org"; }},
          {R"({"not_rooms":["!lobby:example.org"]})", [](const auto& e) { return e.room_id != "!lobby:example.org"; }},
      });
}

TEST(MatrixFilterTest, EmptyListsAllowNothingNotListsWinAndEveryFieldMustMatch) {
  RunningPlugin plugin;
  ExpectEachFilterReceivesExactlyItsEvents(
      plugin,
      {
          {R"({"rooms":[]})", [](const auto&) { return false; }},
          {R"({"senders":[]})", [](const auto&) { return false; }},
          {R"({"types":[]})", [](const auto&) { return false; }},
          {R"({"not_rooms":[],"not_senders":[],"not_types":[]})", [](const auto&) { return true; }},
          {R"({"senders":["orchestrator"],"not_senders":["orchestrator"]})", [](const auto&) { return false; }},
          {R"({"event_types":["workflow.*"],"not_types":["workflow.step_*"]})",
           [](const auto& e) { return absl::StartsWith(e.type, "workflow.") && !absl::StartsWith(e.type, "workflow.step_"); }},
          {R"({"room_id":"!ops:example.org","rooms":["!ops:example.org","!lobby:example.org"],"types":["workflow.*"]})",
           [](const auto& e) { return e.room_id == "!ops:example.org" && absl::StartsWith(e.type, "workflow."); }},
          {R"({"room_id":"!ops:example.org","rooms":["!lobby:example.org"]})", [](const auto&) { return false; }},
          {R"({"sender_id":"orchestrator","senders":["orchestrator","agent-9"],"event_types":["agent.*"],"not_rooms":["!ops:example.org"]})",
           [](const auto& e) {
             return e.sender == "orchestrator" && absl::StartsWith(e.type, "agent.") && e.room_id != "!ops:example.org";
           }},
          // The guide's fields mean what they meant: exact room, exact sender, exact types.
          {R"({"room_id":"!lobby:example.org","event_types":["m.room.message"]})",
           [](const auto& e) { return e.room_id == "!lobby:example.org" && e.type == "m.room.message"; }},
      });
}

TEST(MatrixFilterTest, AnInvalidMatrixListIsRefusedWithItsMessage) {
  RunningPlugin plugin;
  WsClient client(plugin.url());
  client.Send(R"({"type":"subscribe","data":{"filter":{"rooms":["ops"]}}})");
  EXPECT_EQ(client.ReadJson(),
            parse(R"({"type":"error","data":{"code":"invalid_filter","message":"filter field \"rooms\" entries must start with '!'"}})"));
  client.Send(R"({"type":"subscribe","data":{"filter":{"not_types":"m.*"}}})");
  EXPECT_EQ(client.ReadJson(),
            parse(R"({"type":"error","data":{"code":"invalid_filter","message":"filter field \"not_types\" must be an array of strings"}})"));
  EXPECT_EQ(plugin.Stat("subscriptions_active"), 0u);
}

class RestrictedTokenFilterTest : public ::testing::Test {
 protected:
  static constexpr std::string_view kOpsToken = "ops-and-alerts-token-0123456789";

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("eventbus-filter-", ::getpid(), "-", reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "tokens") << kOpsToken << " !ops:example.org !alerts:example.org\n";
    plugin_ = std::make_unique<RunningPlugin>(Config{{"auth_tokens_file", (dir_ / "tokens").string()}});
  }
  void TearDown() override {
    plugin_.reset();
    std::filesystem::remove_all(dir_);
  }

  static WsClient::Headers Bearer() { return {{"Authorization", absl::StrCat("Bearer ", ToAbsl(kOpsToken))}}; }

  std::filesystem::path dir_;
  std::unique_ptr<RunningPlugin> plugin_;
};

TEST_F(RestrictedTokenFilterTest, ARoomsEntryOutsideTheTokensRoomsIsUnauthorized) {
  WsClient client(plugin_->url(), std::nullopt, Bearer());
  for (std::string_view filter : {R"({"rooms":["!ops:example.org","!lobby:example.org"]})",
                                  R"({"room_id":"!ops:example.org","rooms":["!lobby:example.org"]})"}) {
    client.Send(absl::StrCat(R"({"type":"subscribe","data":{"filter":)", ToAbsl(filter), "}}"));
    EXPECT_EQ(client.ReadJson(), parse(R"({"type":"error","data":{"code":"unauthorized","message":"this token may not receive events of this room"}})"))
        << filter;
  }
  EXPECT_EQ(plugin_->Stat("subscriptions_active"), 0u);
  client.Subscribe(R"({"rooms":["!alerts:example.org"]})");  // The connection stays usable.
  EXPECT_EQ(plugin_->Stat("subscriptions_active"), 1u);
}

TEST_F(RestrictedTokenFilterTest, FiltersWithoutPositiveRoomsReceiveOnlyTheTokensRooms) {
  auto in_token_rooms = [](const CorpusEvent& e) {
    return e.room_id == "!ops:example.org" || e.room_id == "!alerts:example.org";
  };
  ExpectEachFilterReceivesExactlyItsEvents(
      *plugin_,
      {
          {R"({"rooms":["!ops:example.org"]})", [](const auto& e) { return e.room_id == "!ops:example.org"; }},
          {R"({"rooms":[]})", [](const auto&) { return false; }},
          // not_rooms alone is no positive room: the token's rooms still apply, room-less events stay out.
          {R"({"not_rooms":["!alerts:example.org"]})", [](const auto& e) { return e.room_id == "!ops:example.org"; }},
          {R"({"not_rooms":["!lobby:example.org"]})", in_token_rooms},
          {R"({"types":["workflow.*","blocker.*"]})",
           [&](const auto& e) {
             return in_token_rooms(e) && (absl::StartsWith(e.type, "workflow.") || absl::StartsWith(e.type, "blocker."));
           }},
          {R"({"not_senders":["orchestrator"]})",
           [&](const auto& e) { return in_token_rooms(e) && e.sender != "orchestrator"; }},
          {R"({"types":["*"]})", in_token_rooms},
      },
      Bearer());
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
