// The C ABI's promises, checked against the real .so loaded with dlopen.
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "host-shim/plugin_loader.h"
#include "tests/support/running_plugin.h"
#include "tests/support/ws_client.h"

namespace armorclaw::eventbus::testing {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kEvent = R"({"type":"m.room.message","room_id":"!r:x","sender":"@a:x","content":{}})";

class AbiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto library = host::PluginLibrary::Open(PluginPath());
    ASSERT_TRUE(library.ok()) << library.status();
    library_.emplace(*std::move(library));
  }
  const aceb_api& api() { return library_->api(); }

  aceb_plugin* CreateRaw(const aceb_host& host, const std::vector<aceb_config_entry>& entries = {}) {
    return CreateRaw(&host, entries);
  }
  aceb_plugin* CreateRaw(const aceb_host* host, const std::vector<aceb_config_entry>& entries) {
    aceb_plugin* plugin = nullptr;
    EXPECT_EQ(api().create(host, entries.data(), entries.size(), &plugin, nullptr), ACEB_OK);
    return plugin;
  }

  static aceb_string Str(std::string_view text) { return {text.data(), text.size()}; }

  std::optional<host::PluginLibrary> library_;
};

TEST_F(AbiTest, WrongMajorVersionIsRefused) {
  auto wrong = host::PluginLibrary::Open(PluginPath(), ACEB_ABI_VERSION_MAJOR + 1);
  EXPECT_FALSE(wrong.ok());
  const aceb_negotiation request{sizeof(aceb_negotiation), 0, 0, 0};
  const aceb_api* api = &library_->api();
  EXPECT_EQ(library_->negotiate()(&request, &api), ACEB_VERSION_MISMATCH);
  EXPECT_EQ(api, nullptr);
}

TEST_F(AbiTest, NegotiationChecksItsArguments) {
  const aceb_api* api = nullptr;
  EXPECT_EQ(library_->negotiate()(nullptr, &api), ACEB_INVALID);
  const aceb_negotiation request{sizeof(aceb_negotiation), ACEB_ABI_VERSION_MAJOR, 0, 0};
  EXPECT_EQ(library_->negotiate()(&request, nullptr), ACEB_INVALID);
  const aceb_negotiation truncated{8, ACEB_ABI_VERSION_MAJOR, 0, 0};
  EXPECT_EQ(library_->negotiate()(&truncated, &api), ACEB_INVALID);
  const aceb_negotiation newer_minor{sizeof(aceb_negotiation), ACEB_ABI_VERSION_MAJOR, 99, 0};
  EXPECT_EQ(library_->negotiate()(&newer_minor, &api), ACEB_OK);
  EXPECT_EQ(api->abi_major, ACEB_ABI_VERSION_MAJOR);
}

// A host compiled against an older header (no log field) and one compiled against a newer header
// (fields the plugin does not know) both work.
TEST_F(AbiTest, SmallerAndLargerHostStructsWork) {
  struct OldHost {
    uint32_t struct_size;
    uint32_t reserved;
    void* host_context;
  } old_host{sizeof(OldHost), 0, nullptr};
  aceb_plugin* from_old = CreateRaw(reinterpret_cast<const aceb_host*>(&old_host),
                                    {{Str("websocket_enabled"), Str("false")}, {Str("bogus_key"), Str("1")}});
  ASSERT_NE(from_old, nullptr);
  EXPECT_EQ(api().destroy(from_old), ACEB_OK);

  struct NewHost {
    aceb_host base;
    void* future_callback;
    uint64_t future_flags;
  } new_host{};
  LogCapture logs;
  new_host.base = logs.Host();
  new_host.base.struct_size = sizeof(NewHost);
  new_host.future_flags = ~uint64_t{0};
  aceb_plugin* from_new = CreateRaw(new_host.base, {{Str("bogus_key"), Str("1")}});
  ASSERT_NE(from_new, nullptr);
  EXPECT_THAT(logs.lines(), ::testing::Contains(HasSubstr("unknown configuration key \"bogus_key\"")));
  EXPECT_EQ(api().destroy(from_new), ACEB_OK);
}

TEST_F(AbiTest, NullArgumentsReturnInvalid) {
  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  aceb_plugin* plugin = nullptr;
  char text[256];
  aceb_buffer error{text, sizeof text, 0};
  EXPECT_EQ(api().create(nullptr, nullptr, 0, &plugin, &error), ACEB_INVALID);
  EXPECT_EQ(api().create(&host, nullptr, 0, nullptr, &error), ACEB_INVALID);
  EXPECT_EQ(api().create(&host, nullptr, 3, &plugin, &error), ACEB_INVALID);
  EXPECT_EQ(plugin, nullptr);
  EXPECT_EQ(api().start(nullptr, &error), ACEB_INVALID);
  EXPECT_EQ(api().publish(nullptr, kEvent.data(), kEvent.size(), &error), ACEB_INVALID);
  EXPECT_EQ(api().stats(nullptr, &error), ACEB_INVALID);
  EXPECT_EQ(api().listen_url(nullptr, &error), ACEB_INVALID);
  EXPECT_EQ(api().stop(nullptr, 0), ACEB_INVALID);
  EXPECT_EQ(api().destroy(nullptr), ACEB_INVALID);

  plugin = CreateRaw(host, {{Str("websocket_enabled"), Str("false")}});
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(api().publish(plugin, nullptr, 5, &error), ACEB_INVALID);
  EXPECT_EQ(api().stats(plugin, nullptr), ACEB_INVALID);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

TEST_F(AbiTest, LifecycleMisuseReturnsStatusesAndCrashesNothing) {
  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  aceb_plugin* never_started = CreateRaw(host);
  ASSERT_NE(never_started, nullptr);
  EXPECT_EQ(api().stop(never_started, 0), ACEB_BAD_STATE);
  EXPECT_EQ(api().publish(never_started, kEvent.data(), kEvent.size(), nullptr), ACEB_BAD_STATE);
  EXPECT_EQ(api().destroy(never_started), ACEB_OK);  // Destroy without start.

  aceb_plugin* plugin = CreateRaw(host, {{Str("websocket_addr"), Str("127.0.0.1:0")}});
  ASSERT_NE(plugin, nullptr);
  char text[256];
  aceb_buffer error{text, sizeof text, 0};
  ASSERT_EQ(api().start(plugin, &error), ACEB_OK);
  EXPECT_EQ(api().start(plugin, &error), ACEB_BAD_STATE);
  EXPECT_EQ(api().publish(plugin, kEvent.data(), kEvent.size(), nullptr), ACEB_OK);
  EXPECT_EQ(api().stop(plugin, 100), ACEB_OK);
  EXPECT_EQ(api().stop(plugin, 100), ACEB_BAD_STATE);  // Stop twice.
  EXPECT_EQ(api().publish(plugin, kEvent.data(), kEvent.size(), &error), ACEB_BAD_STATE);
  EXPECT_EQ(api().start(plugin, &error), ACEB_BAD_STATE);  // No restart after stop.
  aceb_buffer url{text, sizeof text, 0};
  EXPECT_EQ(api().listen_url(plugin, &url), ACEB_BAD_STATE);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

TEST_F(AbiTest, DestroyStopsARunningPlugin) {
  RunningPlugin* running = new RunningPlugin();
  WsClient client(running->url());
  client.Subscribe("{}");
  delete running;
  EXPECT_THROW(client.Read(std::chrono::seconds(5)), std::exception);
}

TEST_F(AbiTest, BadConfigValueNamesTheKey) {
  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  const std::vector<aceb_config_entry> entries = {{Str("inactivity_timeout"), Str("soon")}};
  aceb_plugin* plugin = nullptr;
  char text[256];
  aceb_buffer error{text, sizeof text, 0};
  EXPECT_EQ(api().create(&host, entries.data(), entries.size(), &plugin, &error), ACEB_CONFIG_ERROR);
  EXPECT_EQ(plugin, nullptr);
  EXPECT_EQ(std::string(text, error.size),
            "invalid value \"soon\" for inactivity_timeout: expected a duration such as \"30s\" or \"5m\" "
            "from 0 to 168h");
}

TEST_F(AbiTest, ErrorTextIsTruncatedToTheBufferAndReportsItsFullSize) {
  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  const std::vector<aceb_config_entry> entries = {{Str("max_subscribers"), Str("x")}};
  aceb_plugin* plugin = nullptr;
  char text[8];
  aceb_buffer error{text, sizeof text, 0};
  EXPECT_EQ(api().create(&host, entries.data(), entries.size(), &plugin, &error), ACEB_CONFIG_ERROR);
  EXPECT_GT(error.size, sizeof text);
  EXPECT_EQ(std::string(text, sizeof text), "invalid ");
}

TEST_F(AbiTest, BindFailureIsAnErrorNotAnExit) {
  RunningPlugin first;
  const std::string taken = first.url().substr(5, first.url().rfind('/') - 5);  // "127.0.0.1:PORT"
  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  aceb_plugin* second = CreateRaw(host, {{Str("websocket_addr"), Str(taken)}});
  ASSERT_NE(second, nullptr);
  char text[256];
  aceb_buffer error{text, sizeof text, 0};
  EXPECT_EQ(api().start(second, &error), ACEB_IO_ERROR);
  EXPECT_THAT(std::string(text, std::min(error.size, sizeof text)),
              HasSubstr("cannot listen on " + taken + " (websocket_addr)"));
  EXPECT_EQ(api().destroy(second), ACEB_OK);
}

TEST_F(AbiTest, StatsReportsTheSizeNeededAndCounts) {
  RunningPlugin plugin;
  plugin.Publish(kEvent);
  aceb_buffer probe{nullptr, 0, 0};
  EXPECT_EQ(api().stats(plugin.instance().handle(), &probe), ACEB_BUFFER_TOO_SMALL);
  EXPECT_GT(probe.size, 0u);
  auto stats = plugin.instance().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_THAT(*stats, HasSubstr("\"events_published\":1"));
  EXPECT_THAT(*stats, HasSubstr("\"last_sequence\":1"));
}

// The names the bridge's JSON-RPC `eventbus.get_stats` answers with, so that it can pass our stats on unchanged.
TEST_F(AbiTest, StatsCarryTheFieldsOfTheBridgesGetStats) {
  RunningPlugin plugin(host::ConfigEntries{{"max_subscribers", "7"}});
  auto stats = plugin.instance().Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_THAT(*stats, HasSubstr("\"active_subscribers\":0"));
  EXPECT_THAT(*stats, HasSubstr("\"max_subscribers\":7"));
  EXPECT_THAT(*stats, HasSubstr("\"websocket_enabled\":true"));

  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  aceb_plugin* quiet = CreateRaw(host, {{Str("websocket_enabled"), Str("false")}});
  ASSERT_NE(quiet, nullptr);
  char text[4096];
  aceb_buffer out{text, sizeof text, 0};
  ASSERT_EQ(api().stats(quiet, &out), ACEB_OK);
  const std::string quiet_stats(text, out.size);
  EXPECT_THAT(quiet_stats, HasSubstr("\"websocket_enabled\":false"));
  EXPECT_THAT(quiet_stats, HasSubstr("\"max_subscribers\":100"));
  EXPECT_EQ(api().destroy(quiet), ACEB_OK);
}

TEST_F(AbiTest, DisabledWebsocketStartsAndServesNothing) {
  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  aceb_plugin* raw = CreateRaw(host, {{Str("websocket_enabled"), Str("false")}});
  ASSERT_NE(raw, nullptr);
  EXPECT_EQ(api().start(raw, nullptr), ACEB_OK);
  char text[128];
  aceb_buffer url{text, sizeof text, 0};
  EXPECT_EQ(api().listen_url(raw, &url), ACEB_BAD_STATE);
  EXPECT_EQ(api().publish(raw, kEvent.data(), kEvent.size(), nullptr), ACEB_OK);
  EXPECT_EQ(api().stop(raw, 0), ACEB_OK);
  EXPECT_EQ(api().destroy(raw), ACEB_OK);
}

TEST_F(AbiTest, PublishIsInvalidWithAReasonForMalformedEvents) {
  RunningPlugin plugin;
  std::string error;
  EXPECT_EQ(plugin.instance().Publish("not json", &error), ACEB_INVALID);
  EXPECT_THAT(error, HasSubstr("not valid JSON"));
  EXPECT_EQ(plugin.instance().Publish(R"({"content":{}})", &error), ACEB_INVALID);
  EXPECT_EQ(error, "event has no \"type\" string");
}

TEST_F(AbiTest, FullIngestQueueReturnsBusy) {
  aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  // The I/O thread drains concurrently, so a one-slot queue is full only now and then: publish until it is.
  aceb_plugin* plugin = CreateRaw(host, {{Str("websocket_enabled"), Str("false")}, {Str("ingest_queue_events"), Str("1")}});
  ASSERT_NE(plugin, nullptr);
  ASSERT_EQ(api().start(plugin, nullptr), ACEB_OK);
  bool saw_busy = false;
  for (int i = 0; i < 1'000'000 && !saw_busy; ++i) {
    saw_busy = api().publish(plugin, kEvent.data(), kEvent.size(), nullptr) == ACEB_BUSY;
  }
  EXPECT_TRUE(saw_busy);
  EXPECT_EQ(api().destroy(plugin), ACEB_OK);
}

}  // namespace
}  // namespace armorclaw::eventbus::testing
