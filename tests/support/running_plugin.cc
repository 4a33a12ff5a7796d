#include "tests/support/running_plugin.h"

#include <fstream>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "boost/json/parse.hpp"

namespace armorclaw::eventbus::testing {
namespace {

template <typename T>
T ValueOrThrow(absl::StatusOr<T> result) {
  if (!result.ok()) throw std::runtime_error(result.status().ToString());
  return *std::move(result);
}

host::ConfigEntries WithTestDefaults(const host::ConfigEntries& config) {
  host::ConfigEntries entries = {{"websocket_addr", "127.0.0.1:0"}, {"ping_interval", "0s"}};
  entries.insert(entries.end(), config.begin(), config.end());
  return entries;
}

}  // namespace

std::string PluginPath() { return ARMORCLAW_EVENTBUS_PLUGIN_PATH; }

std::string TestDataPath(std::string_view name) { return absl::StrCat(ARMORCLAW_EVENTBUS_TEST_DATA_DIR, "/", std::string(name)); }

std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

aceb_host LogCapture::Host() {
  aceb_host host{};
  host.struct_size = sizeof host;
  host.host_context = this;
  host.log = &LogCapture::Log;
  return host;
}

void LogCapture::Log(void* context, int32_t, aceb_string message) {
  auto* self = static_cast<LogCapture*>(context);
  std::lock_guard lock(self->mutex_);
  self->lines_.emplace_back(message.data, message.size);
}

std::vector<std::string> LogCapture::lines() const {
  std::lock_guard lock(mutex_);
  return lines_;
}

RunningPlugin::RunningPlugin(const host::ConfigEntries& config)
    : library_(ValueOrThrow(host::PluginLibrary::Open(PluginPath()))),
      instance_(ValueOrThrow(host::PluginInstance::Create(library_, logs_.Host(), WithTestDefaults(config)))) {
  if (absl::Status started = instance_.Start(); !started.ok()) throw std::runtime_error(started.ToString());
  url_ = ValueOrThrow(instance_.ListenUrl());
}

absl::Status RunningPlugin::Reconfigure(const host::ConfigEntries& config) {
  return instance_.Reconfigure(WithTestDefaults(config));
}

void RunningPlugin::Publish(std::string_view event_json) {
  std::string error;
  aceb_status status;
  while ((status = instance_.Publish(event_json, &error)) == ACEB_BUSY) std::this_thread::yield();
  if (status != ACEB_OK) {
    throw std::runtime_error(absl::StrCat("publish: ", std::string(host::StatusName(status)), ": ", error));
  }
}

int RunningPlugin::PublishUntilSlowConsumerCut(int after) {
  const std::string padding(8192, 'x');
  int published = 0;
  auto publish_next = [&] {
    ++published;
    Publish(absl::StrCat(R"({"type":"m.room.message","room_id":"!a:example.org","sender":"@a:example.org",)",
                         R"("event_id":"$)", published, R"(","content":{"body":")", padding, R"("}})"));
  };
  while (Stat("slow_consumers_disconnected") == 0) {
    if (published == 20000) throw std::runtime_error("no slow consumer cut after 20000 events of 8 KiB");
    publish_next();
  }
  for (int i = 0; i < after; ++i) publish_next();
  return published;
}

uint64_t RunningPlugin::Stat(std::string_view name) {
  const boost::json::value stats = boost::json::parse(ValueOrThrow(instance_.Stats()));
  return stats.at(name).to_number<uint64_t>();
}

void RunningPlugin::AwaitStat(std::string_view name, uint64_t value, std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  uint64_t now = 0;
  while ((now = Stat(name)) != value) {
    if (std::chrono::steady_clock::now() > until) {
      throw std::runtime_error(absl::StrCat("stat ", std::string(name), " is ", now, ", expected ", value));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace armorclaw::eventbus::testing
