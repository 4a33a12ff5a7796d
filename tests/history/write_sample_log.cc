// Writes a durable log for read_segments.py to check: write_sample_log DIR COUNT appends offsets 1..COUNT
// through DurableLog, in small segments so that it rotates, with a payload and type derived from the offset
// alone (the reader recomputes them; see sample_record() there).
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "plugin/history/durable_log.h"

namespace {

using armorclaw::eventbus::DurableLog;
using armorclaw::eventbus::DurableLogOptions;
using armorclaw::eventbus::LogRecordView;

int Fail(const std::string& message) {
  std::fprintf(stderr, "write_sample_log: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t count = 0;
  if (argc != 3 || !absl::SimpleAtoi(argv[2], &count)) return Fail("usage: write_sample_log DIR COUNT");
  DurableLogOptions options;
  options.dir = argv[1];
  options.max_segment_bytes = 4096;
  auto log = DurableLog::Open(options);
  if (!log.ok()) return Fail(std::string(log.status().message()));
  const char* types[] = {"m.room.message", "m.reaction", "m.\"quoted\" \xC3\xA9"};
  // Batches of 7, as the log writer hands them over.
  for (uint64_t first = 1; first <= count; first += 7) {
    std::vector<std::string> payloads;
    std::vector<LogRecordView> records;
    const uint64_t last = std::min(first + 6, count);
    for (uint64_t offset = first; offset <= last; ++offset) {
      payloads.push_back(absl::StrCat(R"({"n":)", offset, R"(,"price":1.50,"text":"caf\u00e9 #)", offset, R"("})"));
    }
    for (uint64_t offset = first; offset <= last; ++offset) {
      records.push_back({offset, 1700000000000000000 + static_cast<int64_t>(offset) * 1000, types[offset % 3],
                         payloads[offset - first]});
    }
    if (absl::Status appended = (*log)->Append(records); !appended.ok()) {
      return Fail(std::string(appended.message()));
    }
  }
  if (absl::Status synced = (*log)->Sync(); !synced.ok()) return Fail(std::string(synced.message()));
  std::printf("%llu records in %zu segments\n", static_cast<unsigned long long>(count), (*log)->segments());
  return 0;
}
