#include "host-shim/plugin_loader.h"

#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::host {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Optional;
using ::testing::StartsWith;

constexpr char kFakePlugin[] = FAKE_PLUGIN_PATH;

struct LogRecorder {
  std::mutex mutex;
  std::vector<std::pair<int32_t, std::string>> lines;

  static void Log(void* context, int32_t level, aceb_string message) {
    auto* self = static_cast<LogRecorder*>(context);
    std::lock_guard<std::mutex> lock(self->mutex);
    self->lines.emplace_back(level, std::string(message.data, message.size));
  }
};

aceb_host HostFor(LogRecorder* recorder) {
  return aceb_host{sizeof(aceb_host), 0, recorder, &LogRecorder::Log};
}

PluginLibrary OpenFake() {
  absl::StatusOr<PluginLibrary> library = PluginLibrary::Open(kFakePlugin);
  EXPECT_TRUE(library.ok()) << library.status();
  return *std::move(library);
}

PluginInstance StartedFake(const PluginLibrary& library, const ConfigEntries& config = {}) {
  LogRecorder unused;
  absl::StatusOr<PluginInstance> instance =
      PluginInstance::Create(library, HostFor(&unused), config);
  EXPECT_TRUE(instance.ok()) << instance.status();
  EXPECT_TRUE(instance->Start().ok());
  return *std::move(instance);
}

TEST(StatusNameTest, NamesEveryCode) {
  EXPECT_EQ(StatusName(ACEB_OK), "ACEB_OK");
  EXPECT_EQ(StatusName(ACEB_BUSY), "ACEB_BUSY");
  EXPECT_EQ(StatusName(ACEB_INVALID), "ACEB_INVALID");
  EXPECT_EQ(StatusName(ACEB_BAD_STATE), "ACEB_BAD_STATE");
  EXPECT_EQ(StatusName(ACEB_BUFFER_TOO_SMALL), "ACEB_BUFFER_TOO_SMALL");
  EXPECT_EQ(StatusName(ACEB_CONFIG_ERROR), "ACEB_CONFIG_ERROR");
  EXPECT_EQ(StatusName(ACEB_IO_ERROR), "ACEB_IO_ERROR");
  EXPECT_EQ(StatusName(ACEB_VERSION_MISMATCH), "ACEB_VERSION_MISMATCH");
  EXPECT_EQ(StatusName(ACEB_INTERNAL), "ACEB_INTERNAL");
  EXPECT_EQ(StatusName(1234), "ACEB_<unknown>");
}

TEST(FromAcebStatusTest, MapsCodesAndKeepsTheRawStatus) {
  EXPECT_TRUE(FromAcebStatus(ACEB_OK, "ignored").ok());
  const absl::Status config = FromAcebStatus(ACEB_CONFIG_ERROR, "max_subscribers: \"-1\"");
  EXPECT_EQ(config.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.message(), "max_subscribers: \"-1\"");
  EXPECT_THAT(AcebStatusOf(config), Optional(ACEB_CONFIG_ERROR));
  EXPECT_THAT(AcebStatusOf(FromAcebStatus(ACEB_INVALID, "")), Optional(ACEB_INVALID));
  EXPECT_EQ(FromAcebStatus(ACEB_IO_ERROR, "").code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(FromAcebStatus(ACEB_BAD_STATE, "").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FromAcebStatus(ACEB_BUSY, "").code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(FromAcebStatus(ACEB_INTERNAL, "").code(), absl::StatusCode::kInternal);
  EXPECT_EQ(FromAcebStatus(77, "").code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(AcebStatusOf(absl::InternalError("not from a plugin")), std::nullopt);
}

TEST(PluginLibraryTest, MissingFileNamesThePath) {
  const absl::StatusOr<PluginLibrary> library = PluginLibrary::Open("/nonexistent/eventbus.so");
  EXPECT_EQ(library.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(library.status().message(), HasSubstr("/nonexistent/eventbus.so"));
}

TEST(PluginLibraryTest, LibraryWithoutEntrySymbolIsRefused) {
  const absl::StatusOr<PluginLibrary> library = PluginLibrary::Open("libm.so.6");
  EXPECT_EQ(library.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(library.status().message(), HasSubstr(ACEB_ENTRY_SYMBOL));
  EXPECT_THAT(library.status().message(), HasSubstr("libm.so.6"));
}

TEST(PluginLibraryTest, OtherMajorVersionIsRefused) {
  const absl::StatusOr<PluginLibrary> library =
      PluginLibrary::Open(kFakePlugin, ACEB_ABI_VERSION_MAJOR + 1, 0);
  EXPECT_EQ(library.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(AcebStatusOf(library.status()), Optional(ACEB_VERSION_MISMATCH));
  EXPECT_THAT(library.status().message(), HasSubstr(kFakePlugin));
}

TEST(PluginLibraryTest, NegotiatesAndExposesTheTable) {
  const PluginLibrary library = OpenFake();
  // The fake is an ABI 1.0 plugin: its table ends after destroy.
  EXPECT_EQ(library.api().struct_size, offsetof(aceb_api, reconfigure));
  EXPECT_EQ(library.api().abi_major, ACEB_ABI_VERSION_MAJOR);
  EXPECT_EQ(library.path(), kFakePlugin);
  const aceb_api* api = nullptr;
  EXPECT_EQ(library.negotiate()(nullptr, &api), ACEB_INVALID);
}

TEST(PluginInstanceTest, ConfigErrorCarriesThePluginsText) {
  const PluginLibrary library = OpenFake();
  LogRecorder log;
  const absl::StatusOr<PluginInstance> instance = PluginInstance::Create(
      library, HostFor(&log), {{"fail_create", "websocket_addr: \"nowhere\" is not host:port"}});
  EXPECT_EQ(instance.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(instance.status().message(), "websocket_addr: \"nowhere\" is not host:port");
  EXPECT_THAT(AcebStatusOf(instance.status()), Optional(ACEB_CONFIG_ERROR));
}

TEST(PluginInstanceTest, HandsOverHostCallbacks) {
  const PluginLibrary library = OpenFake();
  LogRecorder log;
  const absl::StatusOr<PluginInstance> instance =
      PluginInstance::Create(library, HostFor(&log), {{"log", "hello from create"}});
  ASSERT_TRUE(instance.ok()) << instance.status();
  EXPECT_THAT(log.lines, ElementsAre(std::make_pair(ACEB_LOG_INFO, "hello from create")));
}

TEST(PluginInstanceTest, StartFailureBecomesUnavailable) {
  const PluginLibrary library = OpenFake();
  LogRecorder log;
  absl::StatusOr<PluginInstance> instance = PluginInstance::Create(
      library, HostFor(&log), {{"fail_start", "cannot bind 0.0.0.0:8444: address in use"}});
  ASSERT_TRUE(instance.ok()) << instance.status();
  const absl::Status started = instance->Start();
  EXPECT_EQ(started.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(started.message(), "cannot bind 0.0.0.0:8444: address in use");
}

TEST(PluginInstanceTest, Lifecycle) {
  const PluginLibrary library = OpenFake();
  PluginInstance instance = StartedFake(library);
  const absl::StatusOr<std::string> url = instance.ListenUrl();
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(*url, "ws://127.0.0.1:1/events");

  std::string error = "stale";
  EXPECT_EQ(instance.Publish(R"({"type":"m.room.message"})", &error), ACEB_OK);
  EXPECT_EQ(error, "");
  EXPECT_EQ(instance.Publish("nonsense", &error), ACEB_INVALID);
  EXPECT_EQ(error, "not a JSON object");
  EXPECT_EQ(instance.Publish("busy"), ACEB_BUSY);

  EXPECT_TRUE(instance.Stop(100).ok());
  const absl::Status again = instance.Stop(100);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(AcebStatusOf(again), Optional(ACEB_BAD_STATE));
  EXPECT_EQ(instance.Publish("{}"), ACEB_BAD_STATE);
}

TEST(PluginInstanceTest, LongErrorIsTruncatedAndSaysSo) {
  const PluginLibrary library = OpenFake();
  PluginInstance instance = StartedFake(library);
  std::string error;
  EXPECT_EQ(instance.Publish("long-error", &error), ACEB_INVALID);
  EXPECT_THAT(error, StartsWith("xxxx"));
  EXPECT_THAT(error, HasSubstr("[truncated: "));
  EXPECT_LT(error.size(), 10000u);
}

TEST(PluginInstanceTest, StatsGrowsItsBuffer) {
  const PluginLibrary library = OpenFake();
  PluginInstance instance = StartedFake(library, {{"stats_bytes", "100000"}});
  ASSERT_EQ(instance.Publish("{}"), ACEB_OK);
  const absl::StatusOr<std::string> stats = instance.Stats();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->size(), 100000u);
  EXPECT_THAT(*stats, StartsWith(R"({"published":1,)"));
  EXPECT_THAT(*stats, EndsWith("\"}"));
}

TEST(PluginInstanceTest, ListenUrlWhenDisabledIsBadState) {
  const PluginLibrary library = OpenFake();
  const PluginInstance instance = StartedFake(library, {{"websocket_enabled", "false"}});
  const absl::StatusOr<std::string> url = instance.ListenUrl();
  EXPECT_THAT(AcebStatusOf(url.status()), Optional(ACEB_BAD_STATE));
}

TEST(PluginInstanceTest, ShortTableWithoutDestroyIsRefused) {
  absl::StatusOr<PluginLibrary> library = PluginLibrary::Open(kFakePlugin, 1, 99);
  ASSERT_TRUE(library.ok()) << library.status();
  EXPECT_LT(library->api().struct_size, sizeof(aceb_api));
  EXPECT_EQ(library->api().stats, nullptr);
  LogRecorder log;
  const absl::StatusOr<PluginInstance> instance =
      PluginInstance::Create(*library, HostFor(&log), {});
  EXPECT_EQ(instance.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(instance.status().message(), HasSubstr("destroy"));
}

TEST(PluginInstanceTest, AnAbi10PluginIsNeverAskedToReconfigure) {
  const PluginLibrary library = OpenFake();
  LogRecorder log;
  absl::StatusOr<PluginInstance> instance = PluginInstance::Create(library, HostFor(&log), {});
  ASSERT_TRUE(instance.ok()) << instance.status();
  ASSERT_TRUE(instance->Start().ok());
  const absl::Status reconfigured = instance->Reconfigure({{"max_connections", "5"}});
  EXPECT_EQ(reconfigured.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(reconfigured.message(), HasSubstr("reconfigure"));
  // The fake's table holds a reconfigure beyond its struct_size, which would log if called.
  std::lock_guard<std::mutex> lock(log.mutex);
  for (const auto& [level, line] : log.lines) EXPECT_NE(line, "reconfigure called");
  // The rest of the instance works as before.
  EXPECT_EQ(instance->Publish("{}"), ACEB_OK);
}

TEST(PluginInstanceTest, InstanceKeepsTheLibraryLoadedAndMoves) {
  std::optional<PluginLibrary> library(OpenFake());
  PluginInstance first = StartedFake(*library);
  library.reset();  // The instance still owns the mapping.
  aceb_plugin* const handle = first.handle();
  PluginInstance second = std::move(first);
  EXPECT_EQ(first.handle(), nullptr);  // NOLINT(bugprone-use-after-move): documented state.
  EXPECT_EQ(second.handle(), handle);
  EXPECT_EQ(second.Publish("{}"), ACEB_OK);
  EXPECT_TRUE(second.Stop(0).ok());
}

}  // namespace
}  // namespace armorclaw::host
