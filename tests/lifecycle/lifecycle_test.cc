// The plugin's lifecycle as a host drives it through the real ABI, under the faults a host process meets:
// a thread that cannot be created, a log callback that is slow, allocations that fail at any point of any
// call or on the plugin's own thread, files replaced between create and start. Every call must return a
// status and leave the plugin usable or cleanly destroyable; stop must always return.
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read_until.hpp"
#include "boost/asio/streambuf.hpp"
#include "boost/asio/write.hpp"
#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host-shim/plugin_loader.h"
#include "tests/lifecycle/fault_points.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

constexpr std::string_view kEvent =
    R"({"type":"m.room.message","room_id":"!r:example.org","sender":"@a:example.org","content":{"body":"hi"}})";
constexpr char kToken[] = "lifecycle-token-0123456789";
// A bound for calls that must return: far beyond anything they need, so that only a hang reaches it.
constexpr auto kHang = std::chrono::seconds(60);

aceb_string Str(std::string_view text) { return {text.data(), text.size()}; }

// Config entries that own their text, in the ABI's form.
class Entries {
 public:
  Entries(std::initializer_list<std::pair<std::string, std::string>> texts) : texts_(texts) {
    for (const auto& [key, value] : texts_) entries_.push_back({Str(key), Str(value)});
  }
  const aceb_config_entry* data() const { return entries_.data(); }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> texts_;
  std::vector<aceb_config_entry> entries_;
};

// A port nothing listens on right now, so that a second bind of it shows whether the first was released.
std::string FreeLoopbackAddress() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return absl::StrCat("127.0.0.1:", acceptor.local_endpoint().port());
}

std::string BlockedSignals() {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  std::string blocked;
  for (int signal = 1; signal < NSIG; ++signal) blocked += sigismember(&mask, signal) == 1 ? '1' : '0';
  return blocked;
}

// Runs `call` on another thread and returns its result; a call that does not return within kHang ends
// the test binary, since a hung plugin thread cannot be taken back.
template <typename Call>
auto ReturnsOrHangs(std::string_view what, Call call) {
  auto result = std::async(std::launch::async, std::move(call));
  if (result.wait_for(kHang) != std::future_status::ready) {
    std::fprintf(stderr, "FAILED: %.*s did not return within %lld s\n", static_cast<int>(what.size()), what.data(),
                 static_cast<long long>(kHang.count()));
    std::_Exit(1);
  }
  return result.get();
}

// The host's log lines, captured by host code that the faults aimed at the plugin spare.
class HostLogs {
 public:
  aceb_host Host() {
    capture_host_ = capture_.Host();
    return {sizeof(aceb_host), 0, this, &HostLogs::Log};
  }
  std::vector<std::string> lines() const { return capture_.lines(); }

 private:
  static void Log(void* context, int32_t level, aceb_string message) {
    const fault::Spared spared;
    auto* self = static_cast<HostLogs*>(context);
    self->capture_host_.log(self->capture_host_.host_context, level, message);
  }
  LogCapture capture_;
  aceb_host capture_host_{};
};

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto library = host::PluginLibrary::Open(PluginPath());
    ASSERT_TRUE(library.ok()) << library.status();
    library_.emplace(*std::move(library));
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("eventbus-lifecycle-", ::getpid(), "-", reinterpret_cast<uintptr_t>(this));
    std::filesystem::create_directories(dir_);
    WriteTokens(kToken);
  }
  void TearDown() override {
    fault::FailThreadCreation(false);
    fault::FailNthAllocationOnThisThread(0);
    fault::FailNthAllocationOnOtherThreads(0);
    std::filesystem::remove_all(dir_);
  }

  const aceb_api& api() const { return library_->api(); }

  // A new tokens file renamed over the old one, as an operator replaces it.
  void WriteTokens(std::string_view token) {
    const auto temporary = dir_ / "tokens.new";
    std::ofstream(temporary) << token << "\n";
    std::filesystem::rename(temporary, dir_ / "tokens");
  }
  std::string TokensPath() const { return (dir_ / "tokens").string(); }

  aceb_plugin* Create(const Entries& entries, aceb_host host) {
    aceb_plugin* plugin = nullptr;
    EXPECT_EQ(api().create(&host, entries.data(), entries.size(), &plugin, nullptr), ACEB_OK);
    return plugin;
  }

  uint64_t Stat(aceb_plugin* plugin, std::string_view name) {
    char text[8192];
    aceb_buffer out{text, sizeof text, 0};
    EXPECT_EQ(api().stats(plugin, &out), ACEB_OK);
    return boost::json::parse(std::string_view(text, out.size)).at(name).to_number<uint64_t>();
  }
  // For what the plugin's thread does on its own, which no message announces: polls, bounded.
  void AwaitStat(aceb_plugin* plugin, std::string_view name, uint64_t value) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (Stat(plugin, name) != value) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << name << " never reached " << value;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  std::string ListenUrl(aceb_plugin* plugin) {
    char url[256];
    aceb_buffer out{url, sizeof url, 0};
    EXPECT_EQ(api().listen_url(plugin, &out), ACEB_OK);
    return std::string(url, out.size);
  }

  // Subscribes a client, publishes `count` events and expects to receive them all, in sequence order with
  // no gap: what a host that recovered from a fault must still give its clients.
  void ExpectServesEvents(aceb_plugin* plugin, int count = 3) {
    WsClient client(ListenUrl(plugin), std::nullopt, {{"Authorization", absl::StrCat("Bearer ", kToken)}});
    client.Subscribe("{}");
    for (int i = 0; i < count; ++i) {
      aceb_status status;
      while ((status = api().publish(plugin, kEvent.data(), kEvent.size(), nullptr)) == ACEB_BUSY) {
        std::this_thread::yield();
      }
      ASSERT_EQ(status, ACEB_OK);
    }
    uint64_t previous = 0;
    for (int i = 0; i < count; ++i) {
      const uint64_t sequence = client.ReadJson().at("data").at("sequence").to_number<uint64_t>();
      if (previous != 0) EXPECT_EQ(sequence, previous + 1);
      previous = sequence;
    }
  }

  std::optional<host::PluginLibrary> library_;
  std::filesystem::path dir_;
};

TEST_F(LifecycleTest, StartThatCannotCreateItsThreadFailsCleanlyAndCanBeRetried) {
  HostLogs logs;
  const Entries entries{{"websocket_addr", FreeLoopbackAddress()}, {"auth_tokens_file", TokensPath()}};
  aceb_plugin* plugin = Create(entries, logs.Host());
  const std::string signals_before = BlockedSignals();

  fault::FailThreadCreation(true);
  char text[512];
  aceb_buffer error{text, sizeof text, 0};
  EXPECT_EQ(api().start(plugin, &error), ACEB_INTERNAL);
  fault::FailThreadCreation(false);
  EXPECT_THAT(std::string(text, std::min(error.size, sizeof text)), ::testing::HasSubstr("thread"));
  // The host's thread gets its signals back (SIGINT included), and nothing is left listening.
  EXPECT_EQ(BlockedSignals(), signals_before);
  EXPECT_EQ(api().publish(plugin, kEvent.data(), kEvent.size(), nullptr), ACEB_BAD_STATE);

  // The same address binds on the retry, which serves clients.
  error.size = 0;
  ASSERT_EQ(api().start(plugin, &error), ACEB_OK) << std::string(text, std::min(error.size, sizeof text));
  ExpectServesEvents(plugin);
  EXPECT_EQ(api().stop(plugin, 1000), ACEB_OK);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

// The log callback runs on the plugin's thread; one that is slow while stop is called must delay stop, not
// hang it, although the file watch's poll comes due meanwhile.
TEST_F(LifecycleTest, StopReturnsWhenTheLogCallbackIsSlowAtShutdown) {
  struct SlowLog {
    std::promise<void> entered;
    std::atomic<bool> armed{true};
    static void Log(void* context, int32_t, aceb_string message) {
      auto* self = static_cast<SlowLog*>(context);
      if (absl::StrContains(absl::string_view(message.data, message.size), " opened") && self->armed.exchange(false)) {
        self->entered.set_value();
        std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // The slow host, not a wait for an event.
      }
    }
  } slow_log;
  aceb_host host{sizeof(aceb_host), 0, &slow_log, &SlowLog::Log};
  const Entries entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()}};
  aceb_plugin* plugin = Create(entries, host);
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  const std::string url = ListenUrl(plugin);

  // The client's upgrade makes the plugin's thread log "... opened" and sit in the callback.
  std::thread client([&url] {
    try {
      WsClient connected(url, std::nullopt, {{"Authorization", absl::StrCat("Bearer ", kToken)}});
      connected.ReadUntilClosed(true);
    } catch (const std::exception&) {
      // Closed by the stop, one way or another: what this test checks is that stop returns.
    }
  });
  slow_log.entered.get_future().wait();
  EXPECT_EQ(ReturnsOrHangs("stop(0)", [&] { return api().stop(plugin, 0); }), ACEB_OK);
  client.join();
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

TEST_F(LifecycleTest, StopWithoutConnectionsDoesNotWarnAboutDroppingThem) {
  HostLogs logs;
  aceb_plugin* plugin = Create(Entries{{"websocket_addr", "127.0.0.1:0"}}, logs.Host());
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  EXPECT_EQ(api().stop(plugin, 0), ACEB_OK);
  EXPECT_THAT(logs.lines(), ::testing::Not(::testing::Contains(::testing::HasSubstr("grace period over"))));
  EXPECT_THAT(logs.lines(), ::testing::Contains("stopped"));
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

TEST_F(LifecycleTest, StopAfterTheGracePeriodDropsTheConnectionsStillOpenAndSaysSo) {
  HostLogs logs;
  aceb_plugin* plugin = Create(Entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()}},
                               logs.Host());
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  // A client that never answers the close frame keeps its connection through the grace period.
  boost::asio::io_context io;
  boost::asio::ip::tcp::socket silent(io);
  const Endpoint endpoint = ParseWsUrl(ListenUrl(plugin));
  silent.connect({boost::asio::ip::make_address(endpoint.host), static_cast<unsigned short>(std::stoi(endpoint.port))});
  const std::string upgrade = absl::StrCat(
      "GET /events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer ",
      kToken, "\r\n\r\n");
  boost::asio::write(silent, boost::asio::buffer(upgrade));
  boost::asio::streambuf response;
  boost::asio::read_until(silent, response, "\r\n\r\n");
  AwaitStat(plugin, "connections_open", 1);
  EXPECT_EQ(ReturnsOrHangs("stop(200)", [&] { return api().stop(plugin, 200); }), ACEB_OK);
  EXPECT_THAT(logs.lines(), ::testing::Contains(::testing::HasSubstr("grace period over")));
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

// The tokens in force are the ones in the file when the plugin starts serving, even when the file was
// replaced after create read it.
TEST_F(LifecycleTest, TokensReplacedBetweenCreateAndStartAreTheOnesInForce) {
  HostLogs logs;
  aceb_plugin* plugin = Create(Entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()}},
                               logs.Host());
  constexpr char kNewToken[] = "replacement-token-0123456789";
  WriteTokens(kNewToken);  // The old token is revoked before start.
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  const std::string url = ListenUrl(plugin);
  // The replacement is loaded by the file watch: await its reload, announced by the log line.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!absl::c_any_of(logs.lines(), [](const std::string& line) { return absl::StartsWith(line, "authentication reloaded"); })) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "the replaced tokens file was never loaded";
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  WsClient revoked(url, std::nullopt, {{"Authorization", absl::StrCat("Bearer ", kToken)}});
  EXPECT_EQ(revoked.ReadJson(), boost::json::parse(R"({"type":"error","data":{"code":"unauthorized","message":"invalid token"}})"));
  WsClient admitted(url, std::nullopt, {{"Authorization", absl::StrCat("Bearer ", kNewToken)}});
  admitted.Subscribe("{}");
  EXPECT_EQ(api().stop(plugin, 1000), ACEB_OK);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

// For each call, an allocation fails at its 1st, 2nd, 3rd ... point until the call gets through without
// meeting one: at every point the call returns a status and the plugin stays usable or destroyable.
TEST_F(LifecycleTest, CreateSurvivesAnAllocationFailureAtEveryPoint) {
  const Entries entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()},
                         {"pii_scrubbing", "false"}, {"allowed_origins", R"(["https://a.example.org"])"}};
  HostLogs logs;
  const aceb_host host = logs.Host();
  char text[512];
  for (uint64_t point = 1;; ++point) {
    ASSERT_LT(point, 100000u);
    aceb_plugin* plugin = nullptr;
    aceb_buffer error{text, sizeof text, 0};
    fault::FailNthAllocationOnThisThread(point);
    const aceb_status status = api().create(&host, entries.data(), entries.size(), &plugin, &error);
    const bool failed = fault::AllocationFailed();
    fault::FailNthAllocationOnThisThread(0);
    if (status != ACEB_OK) {
      ASSERT_TRUE(failed) << "create failed without a fault: " << std::string(text, std::min(error.size, sizeof text));
      EXPECT_EQ(plugin, nullptr);
      continue;
    }
    ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK) << "after a fault at allocation " << point;
    ExpectServesEvents(plugin, 1);
    ASSERT_EQ(api().destroy(plugin), ACEB_OK);
    if (!failed) break;
  }
}

TEST_F(LifecycleTest, StartSurvivesAnAllocationFailureAtEveryPoint) {
  const Entries entries{{"websocket_addr", FreeLoopbackAddress()}, {"auth_tokens_file", TokensPath()}};
  HostLogs logs;
  for (uint64_t point = 1;; ++point) {
    ASSERT_LT(point, 100000u);
    aceb_plugin* plugin = Create(entries, logs.Host());
    const std::string signals_before = BlockedSignals();
    fault::FailNthAllocationOnThisThread(point);
    const aceb_status status = api().start(plugin, nullptr);
    const bool failed = fault::AllocationFailed();
    fault::FailNthAllocationOnThisThread(0);
    EXPECT_EQ(BlockedSignals(), signals_before) << "after a fault at allocation " << point;
    if (status != ACEB_OK) {
      ASSERT_TRUE(failed);
      // Nothing half-done: the retry binds the same address and serves.
      ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK) << "retry after a fault at allocation " << point;
    }
    ExpectServesEvents(plugin, 1);
    ASSERT_EQ(api().destroy(plugin), ACEB_OK);
    if (!failed) break;
  }
}

TEST_F(LifecycleTest, PublishSurvivesAnAllocationFailureAtEveryPointWithoutLosingASequenceNumber) {
  HostLogs logs;
  // Scrubbing off: RE2 (libre2, as Debian builds it) leaks what it had allocated when an allocation inside a
  // match fails, which LeakSanitizer would report; security.md lists it under what is not done.
  aceb_plugin* plugin = Create(Entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()},
                                       {"pii_scrubbing", "false"}},
                               logs.Host());
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  WsClient client(ListenUrl(plugin), std::nullopt, {{"Authorization", absl::StrCat("Bearer ", kToken)}});
  client.Subscribe("{}");
  int accepted = 0;
  char text[512];
  for (uint64_t point = 1;; ++point) {
    ASSERT_LT(point, 100000u);
    aceb_buffer error{text, sizeof text, 0};
    fault::FailNthAllocationOnThisThread(point);
    const aceb_status status = api().publish(plugin, kEvent.data(), kEvent.size(), &error);
    const bool failed = fault::AllocationFailed();
    fault::FailNthAllocationOnThisThread(0);
    if (status == ACEB_OK) {
      ++accepted;
    } else {
      ASSERT_TRUE(failed);
      EXPECT_EQ(status, ACEB_INTERNAL);
    }
    if (!failed) break;
  }
  // Every accepted event arrives once, numbered 1, 2, 3 ...: a failed publish took no number.
  for (int expected = 1; expected <= accepted; ++expected) {
    EXPECT_EQ(client.ReadJson().at("data").at("sequence").to_number<int>(), expected);
  }
  ExpectServesEvents(plugin);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

TEST_F(LifecycleTest, StatsAndListenUrlSurviveAnAllocationFailureAtEveryPoint) {
  HostLogs logs;
  aceb_plugin* plugin = Create(Entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()}},
                               logs.Host());
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  std::vector<char> text(64 * 1024);
  for (auto call : {api().stats, api().listen_url}) {
    for (uint64_t point = 1;; ++point) {
      ASSERT_LT(point, 100000u);
      aceb_buffer out{text.data(), text.size(), 0};
      fault::FailNthAllocationOnThisThread(point);
      const aceb_status status = call(plugin, &out);
      const bool failed = fault::AllocationFailed();
      fault::FailNthAllocationOnThisThread(0);
      EXPECT_EQ(status, failed ? ACEB_INTERNAL : ACEB_OK);
      if (!failed) break;
    }
  }
  ExpectServesEvents(plugin);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

TEST_F(LifecycleTest, StopAndDestroySurviveAnAllocationFailureAtEveryPoint) {
  const Entries entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()}};
  HostLogs logs;
  for (const bool stop : {true, false}) {
    for (uint64_t point = 1;; ++point) {
      ASSERT_LT(point, 100000u);
      aceb_plugin* plugin = Create(entries, logs.Host());
      ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
      // An open connection, so that there is one to close.
      WsClient client(ListenUrl(plugin), std::nullopt, {{"Authorization", absl::StrCat("Bearer ", kToken)}});
      client.Subscribe("{}");
      struct Outcome {
        aceb_status status;
        bool failed;
      };
      const Outcome outcome = ReturnsOrHangs(stop ? "stop" : "destroy", [&] {
        fault::FailNthAllocationOnThisThread(point);
        const aceb_status status = stop ? api().stop(plugin, 0) : api().destroy(plugin);
        const bool failed = fault::AllocationFailed();
        fault::FailNthAllocationOnThisThread(0);
        return Outcome{status, failed};
      });
      if (stop && outcome.status != ACEB_OK) {
        // A stop that could not begin changed nothing: the plugin still serves.
        ASSERT_TRUE(outcome.failed);
        ExpectServesEvents(plugin);
      }
      // Destroy frees everything whatever happened before (LSan checks), and never takes the process down.
      if (stop) ASSERT_EQ(ReturnsOrHangs("destroy", [&] { return api().destroy(plugin); }), ACEB_OK);
      if (!stop) ASSERT_EQ(outcome.status, ACEB_OK) << "destroy after a fault at allocation " << point;
      if (!outcome.failed) break;
    }
  }
}

// A handler on the plugin's own thread that fails (here: an allocation) loses what it was doing, and
// nothing else: no event is sent twice, no drain is left pending, and new clients get new events.
TEST_F(LifecycleTest, AFaultOnThePluginsThreadCostsNothingElse) {
  HostLogs logs;
  aceb_plugin* plugin = Create(Entries{{"websocket_addr", "127.0.0.1:0"}, {"auth_tokens_file", TokensPath()}},
                               logs.Host());
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  const std::string url = ListenUrl(plugin);
  const WsClient::Headers bearer = {{"Authorization", absl::StrCat("Bearer ", kToken)}};
  for (uint64_t point = 1;; ++point) {
    ASSERT_LT(point, 100000u);
    WsClient before(url, std::nullopt, bearer);
    before.Subscribe("{}");
    // The plugin's thread meets the fault while it delivers this event (or, past its last allocation for
    // it, never).
    fault::FailNthAllocationOnOtherThreads(point);
    ASSERT_EQ(api().publish(plugin, kEvent.data(), kEvent.size(), nullptr), ACEB_OK);
    bool delivered = false;
    try {
      before.ReadJson(std::chrono::seconds(2));
      delivered = true;
    } catch (const std::exception&) {
      // Lost with the failed handler; the fault must have fired.
    }
    const bool failed = fault::AllocationFailed();
    fault::FailNthAllocationOnOtherThreads(0);
    EXPECT_TRUE(delivered || failed) << "event lost without a fault, at allocation " << point;
    // Whatever the fault cost, a new client receives exactly the new events, each once, in order.
    WsClient after(url, std::nullopt, bearer);
    after.Subscribe("{}");
    const uint64_t head = Stat(plugin, "last_sequence");
    for (int i = 0; i < 3; ++i) ASSERT_EQ(api().publish(plugin, kEvent.data(), kEvent.size(), nullptr), ACEB_OK);
    for (uint64_t expected = head + 1; expected <= head + 3; ++expected) {
      ASSERT_EQ(after.ReadJson().at("data").at("sequence").to_number<uint64_t>(), expected)
          << "after a fault at allocation " << point;
    }
    if (!failed) break;
  }
  EXPECT_THAT(logs.lines(), ::testing::Contains(::testing::HasSubstr("internal error on the I/O thread")));
  EXPECT_EQ(api().stop(plugin, 1000), ACEB_OK);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
