// What a resume costs the I/O thread (PlanResume: find, rebuild and filter the events it replays), from the
// history in memory and from the durable log, in events/s; and the durable log's recovery (Open) time for a
// log of a given size. The socket writes of a replay are not included: they are those of live events.
//   replay_benchmark --benchmark_min_time=1
//   replay_benchmark --benchmark_filter=Recovery   (writes a 1 GiB log in $TMPDIR first)
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "benchmark/benchmark.h"
#include "plugin/event_ingest.h"
#include "plugin/history/durable_log.h"
#include "plugin/history/resume.h"
#include "plugin/history/retained_events.h"

namespace armorclaw::eventbus {
namespace {

constexpr char kEpoch[] = "0123456789abcdef0123456789abcdef";
constexpr size_t kEvents = 10000;

// A Matrix message of about 512 bytes, like the fan-out rows of bench/run-benchmarks.sh.
std::string EventText(size_t n) {
  return absl::StrCat(R"({"type":"m.room.message","room_id":"!r:example.org","sender":"@a:example.org","event_id":"$)",
                      n, R"(","content":{"msgtype":"m.text","body":")", std::string(400, 'x'), R"("}})");
}

std::shared_ptr<Event> Sealed(size_t n) {
  auto event = *PrepareEvent(EventText(n), 65536, absl::Now(), nullptr);
  SealEvent(*event, n);
  return event;
}

std::string TempDir() {
  std::string dir = (std::filesystem::temp_directory_path() / "eventbus-replay-bench-XXXXXX").string();
  if (::mkdtemp(dir.data()) == nullptr) return "";
  return dir;
}

// Appends events first..last to `log` in batches of 1000, as the log writer does.
void Fill(DurableLog& log, size_t first, size_t last) {
  for (size_t from = first; from <= last; from += 1000) {
    std::vector<std::shared_ptr<Event>> events;
    std::vector<LogRecordView> records;
    for (size_t n = from; n <= last && n < from + 1000; ++n) events.push_back(Sealed(n));
    for (const auto& event : events) records.push_back({event->sequence, event->received_ns, event->type, event->payload()});
    if (!log.Append(records).ok()) return;
  }
}

void BM_ReplayFromMemory(benchmark::State& state) {
  RetainedEvents history(kEvents, size_t{1} << 30);
  for (size_t n = 1; n <= kEvents; ++n) history.Append(Sealed(n));
  for (auto _ : state) {
    std::vector<EventPtr> replay;
    const ResumeOutcome outcome = PlanResume(history, {kEpoch, kEvents}, {kEpoch, 0}, Filter{}, kEvents, replay);
    if (!outcome.recovered) return state.SkipWithError("not recovered");
    benchmark::DoNotOptimize(replay.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
}
BENCHMARK(BM_ReplayFromMemory)->UseRealTime();

void BM_ReplayFromDisk(benchmark::State& state) {
  const std::string dir = TempDir();
  auto log = DurableLog::Open(DurableLogOptions{.dir = dir + "/log"});
  if (!log.ok()) return state.SkipWithError(std::string(log.status().message()).c_str());
  Fill(**log, 1, kEvents);
  const RetainedEvents history(0, 0);  // Nothing in memory: every event comes from the segments.
  for (auto _ : state) {
    std::vector<EventPtr> replay;
    const ResumeOutcome outcome =
        PlanResume(history, {kEpoch, kEvents}, {kEpoch, 0}, Filter{}, kEvents, replay, log->get());
    if (!outcome.recovered) return state.SkipWithError("not recovered");
    benchmark::DoNotOptimize(replay.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kEvents));
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_ReplayFromDisk)->UseRealTime();

// Open of a log of state.range(0) MiB in 64 MiB segments (recovery scans the last segment only).
void BM_RecoveryOpen(benchmark::State& state) {
  const std::string dir = TempDir();
  const DurableLogOptions options{.dir = dir + "/log"};
  {
    auto log = DurableLog::Open(options);
    if (!log.ok()) return state.SkipWithError(std::string(log.status().message()).c_str());
    const size_t record_bytes = EventText(1).size() + 60;
    Fill(**log, 1, (static_cast<size_t>(state.range(0)) << 20) / record_bytes);
    state.counters["log_bytes"] = static_cast<double>((*log)->bytes());
    state.counters["segments"] = static_cast<double>((*log)->segments());
  }
  for (auto _ : state) {
    auto log = DurableLog::Open(options);
    if (!log.ok()) return state.SkipWithError(std::string(log.status().message()).c_str());
    benchmark::DoNotOptimize((*log)->last_offset());
  }
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RecoveryOpen)->Arg(1024)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace armorclaw::eventbus

BENCHMARK_MAIN();
