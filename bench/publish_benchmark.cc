// Ingest throughput through the C ABI, as the bridge calls it: publish() of real Matrix events into the
// real .so with no subscribers, on one thread. Reports events/s (items_per_second).
//   publish_benchmark --benchmark_min_time=2
// BM_PublishDurableLog does the same with the durable log on (in $TMPDIR), per fsync policy; publish never
// waits for the disk, so its rate is the ingest's, and "logged_per_s" is the rate at which the log writer
// kept up: every event published, divided by the time until stop had written the last of them.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "host-shim/plugin_loader.h"

namespace {

using armorclaw::host::PluginInstance;
using armorclaw::host::PluginLibrary;

std::vector<std::string> SpecEvents() {
  return {
      R"({"content":{"body":"This is an example text message","format":"org.matrix.custom.html","formatted_body":"<b>This is an example text message</b>","msgtype":"m.text"},"event_id":"$143273582443PhrSn:example.org","origin_server_ts":1432735824653,"room_id":"!jEsUZKDJdhlrceRyVU:example.org","sender":"@example:example.org","type":"m.room.message","unsigned":{"age":1234,"membership":"join"}})",
      R"({"content":{"avatar_url":"mxc://example.org/SEsfnsuifSDFSSEF","displayname":"Alice Margatroid","membership":"join","reason":"Looking for support"},"event_id":"$143273582443PhrSn:example.org","origin_server_ts":1432735824653,"room_id":"!jEsUZKDJdhlrceRyVU:example.org","sender":"@example:example.org","state_key":"@alice:example.org","type":"m.room.member","unsigned":{"age":1234,"membership":"join"}})",
      R"({"content":{"m.relates_to":{"event_id":"$143273582443PhrSn:example.org","key":"👍","rel_type":"m.annotation"}},"event_id":"$143273582443PhrSn:example.org","origin_server_ts":1432735824653,"room_id":"!jEsUZKDJdhlrceRyVU:example.org","sender":"@example:example.org","type":"m.reaction","unsigned":{"age":1234,"membership":"join"}})",
  };
}

void BM_PublishNoSubscribers(benchmark::State& state) {
  auto library = PluginLibrary::Open(ARMORCLAW_EVENTBUS_PLUGIN_PATH);
  if (!library.ok()) return state.SkipWithError(std::string(library.status().message()).c_str());
  const aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  // Scrubbing is part of ingest, so it is measured with it (pii_scrubbing defaults to true).
  auto plugin = PluginInstance::Create(
      *library, host,
      {{"websocket_addr", "127.0.0.1:0"}, {"ingest_queue_events", "10000000"}, {"max_ingest_delay", "0s"}});
  if (!plugin.ok() || !plugin->Start().ok()) return state.SkipWithError("cannot start the plugin");
  const std::vector<std::string> events = SpecEvents();
  size_t i = 0;
  int64_t busy = 0;
  for (auto _ : state) {
    const std::string& event = events[i++ % events.size()];
    if (plugin->Publish(event) == ACEB_BUSY) ++busy;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["busy"] = static_cast<double>(busy);
}
BENCHMARK(BM_PublishNoSubscribers)->UseRealTime();

void BM_PublishDurableLog(benchmark::State& state) {
  static constexpr const char* kPolicies[] = {"always", "interval", "never"};
  const char* policy = kPolicies[state.range(0)];
  state.SetLabel(policy);
  auto library = PluginLibrary::Open(ARMORCLAW_EVENTBUS_PLUGIN_PATH);
  if (!library.ok()) return state.SkipWithError(std::string(library.status().message()).c_str());
  std::string dir = (std::filesystem::temp_directory_path() / "eventbus-publish-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) return state.SkipWithError("mkdtemp failed");
  const aceb_host host{sizeof(aceb_host), 0, nullptr, nullptr};
  auto plugin = PluginInstance::Create(*library, host,
                                       {{"websocket_addr", "127.0.0.1:0"},
                                        {"ingest_queue_events", "10000000"},
                                        {"max_ingest_delay", "0s"},
                                        {"enable_durable_log", "true"},
                                        {"durable_log_dir", dir + "/log"},
                                        {"durable_log_fsync", policy}});
  if (!plugin.ok() || !plugin->Start().ok()) return state.SkipWithError("cannot start the plugin");
  const std::vector<std::string> events = SpecEvents();
  size_t i = 0;
  int64_t busy = 0;
  const auto began = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const std::string& event = events[i++ % events.size()];
    if (plugin->Publish(event) == ACEB_BUSY) ++busy;
  }
  // Stop returns once the writer has written (and, but for "never", synced) what was queued.
  (void)plugin->Stop(0);
  const double logged_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  state.SetItemsProcessed(state.iterations());
  state.counters["busy"] = static_cast<double>(busy);
  state.counters["logged_per_s"] = static_cast<double>(state.iterations() - busy) / logged_seconds;
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_PublishDurableLog)->DenseRange(0, 2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
