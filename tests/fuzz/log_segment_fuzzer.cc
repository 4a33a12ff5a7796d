// Any bytes as a segment file of the durable log: as the last segment (raw, and with each line framed as a
// record with a good CRC, so that the JSON and offset checks are reached), Open's recovery keeps a prefix of
// whole records and the log then reads back cleanly and appends; as an older segment (recovery does not
// touch it), Read returns what it can and then an error, never a crash.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "plugin/history/durable_log.h"
#include "plugin/history/log_record.h"

namespace {

namespace fs = std::filesystem;
using armorclaw::eventbus::DurableLog;
using armorclaw::eventbus::DurableLogOptions;
using armorclaw::eventbus::LogRecord;
using armorclaw::eventbus::LogRecordView;

void Check(bool condition) {
  if (!condition) std::abort();
}

// The fuzzer's own directory, on tmpfs where there is one: Open fsyncs, and a disk would slow every run.
const fs::path& WorkDir() {
  static const fs::path dir = [] {
    const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    return base / ("eventbus-log-segment-fuzzer-" + std::to_string(::getpid()));
  }();
  return dir;
}

void WriteFile(const fs::path& path, const uint8_t* data, size_t size) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  Check(out.good());
}

std::unique_ptr<DurableLog> OpenLog() {
  DurableLogOptions options;
  options.dir = WorkDir().string();
  auto log = DurableLog::Open(options);
  Check(log.ok());
  return *std::move(log);
}

// Every offset from first to last is read, in order; true when the read succeeded.
bool ReadsConsecutively(const DurableLog& log, uint64_t first, uint64_t last) {
  uint64_t next = first;
  const absl::Status status = log.Read(first, last, [&](LogRecord&& record) {
    Check(record.offset == next++);
    return true;
  });
  return status.ok() && next == last + 1;
}

void CheckRecoveryAndAppend(size_t size);

void AsLastSegment(const uint8_t* data, size_t size) {
  fs::remove_all(WorkDir());
  fs::create_directories(WorkDir());
  WriteFile(WorkDir() / "0000000000000001.log", data, size);
  CheckRecoveryAndAppend(size);
}

// The input's lines as record payloads with correct lengths and CRCs: random bytes rarely pass the CRC, so
// this is what reaches the JSON and offset checks of recovery and reading.
void AsFramedLines(const uint8_t* data, size_t size) {
  std::string segment;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = std::min(text.find('\n', start), text.size());
    armorclaw::eventbus::AppendLogFrame(text.substr(start, end - start), segment);
    start = end + 1;
  }
  fs::remove_all(WorkDir());
  fs::create_directories(WorkDir());
  WriteFile(WorkDir() / "0000000000000001.log", reinterpret_cast<const uint8_t*>(segment.data()), segment.size());
  CheckRecoveryAndAppend(segment.size());
}

void CheckRecoveryAndAppend(size_t size) {
  std::unique_ptr<DurableLog> log = OpenLog();
  // What recovery kept is whole, consecutive records: they read back, and the log appends after them.
  if (log->segments() > 0) Check(ReadsConsecutively(*log, log->first_offset(), log->last_offset()));
  Check(log->recovery().truncated_bytes <= size);
  const uint64_t next = log->last_offset() + 1;
  const LogRecordView record{next, 1, "m.room.message", R"({"body":"after recovery"})"};
  Check(log->Append(std::span(&record, 1)).ok());
  uint64_t read = 0;
  Check(log->Read(next, next, [&](LogRecord&& back) {
              Check(back.payload == record.payload);
              ++read;
              return true;
            }).ok());
  Check(read == 1);
}

void AsOlderSegment(const uint8_t* data, size_t size) {
  fs::remove_all(WorkDir());
  fs::create_directories(WorkDir());
  WriteFile(WorkDir() / "0000000000000001.log", data, size);
  // A valid last segment after it, so that recovery leaves the fuzzed one alone.
  constexpr uint64_t kLastOffset = 100000;
  std::string last_segment;
  armorclaw::eventbus::EncodeLogRecord({kLastOffset, 1, "t", "{}"}, last_segment);
  WriteFile(WorkDir() / "0000000000100000.log", reinterpret_cast<const uint8_t*>(last_segment.data()),
            last_segment.size());
  std::unique_ptr<DurableLog> log = OpenLog();
  Check(log->last_offset() == kLastOffset && log->recovery().truncated_bytes == 0);
  // The fuzzed segment cannot hold offsets 1 to 99999: the read fails, after visiting a consecutive run.
  uint64_t next = 1;
  const absl::Status status = log->Read(1, kLastOffset, [&](LogRecord&& record) {
    Check(record.offset == next++);
    return true;
  });
  Check(!status.ok());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  AsLastSegment(data, size);
  AsFramedLines(data, size);
  AsOlderSegment(data, size);
  fs::remove_all(WorkDir());  // Nothing left behind when libFuzzer ends the process (it runs no atexit).
  return 0;
}
