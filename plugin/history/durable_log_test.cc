#include "plugin/history/durable_log.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "plugin/history/log_record.h"

namespace armorclaw::eventbus {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A payload deterministic by offset, with number formats a re-serialization would change.
std::string PayloadOf(uint64_t offset) {
  return absl::StrCat(R"({"n":)", offset, R"(,"price":1.50,"big":1e3,"text":"caf\u00e9 \"q\""})");
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void WriteFile(const fs::path& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

class DurableLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eventbus-durable-log-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    options_.dir = (root_ / "log").string();
  }
  void TearDown() override { fs::remove_all(root_); }

  std::unique_ptr<DurableLog> Open() {
    absl::StatusOr<std::unique_ptr<DurableLog>> log = DurableLog::Open(options_);
    EXPECT_TRUE(log.ok()) << log.status();
    return log.ok() ? *std::move(log) : nullptr;
  }

  // Appends offsets [from, to] in one call; type "t.N" so each record differs in every field.
  static absl::Status Append(DurableLog& log, uint64_t from, uint64_t to, std::string_view type = "m.room.message") {
    std::vector<std::string> payloads;
    for (uint64_t offset = from; offset <= to; ++offset) payloads.push_back(PayloadOf(offset));
    std::vector<LogRecordView> records;
    for (uint64_t offset = from; offset <= to; ++offset) {
      records.push_back({offset, static_cast<int64_t>(offset) * 1000, type, payloads[offset - from]});
    }
    return log.Append(records);
  }

  // A log holding offsets 1..last, synced and closed; its epoch.
  std::string WriteLogAndClose(uint64_t last) {
    auto log = Open();
    if (log == nullptr) return "";
    EXPECT_TRUE(Append(*log, 1, last).ok());
    EXPECT_TRUE(log->Sync().ok());
    return log->epoch();
  }

  // The records from..to, or only the first `limit` of them (the visitor stops the read).
  static std::vector<LogRecord> Read(const DurableLog& log, uint64_t from, uint64_t to, size_t limit = SIZE_MAX) {
    std::vector<LogRecord> records;
    const absl::Status status = log.Read(from, to, [&](LogRecord&& record) {
      records.push_back(record);
      return records.size() < limit;
    });
    EXPECT_TRUE(status.ok()) << status;
    return records;
  }

  // Every record from..to is there, in order, as appended.
  static void ExpectReadsBack(const DurableLog& log, uint64_t from, uint64_t to) {
    const std::vector<LogRecord> records = Read(log, from, to);
    ASSERT_EQ(records.size(), to - from + 1);
    for (uint64_t offset = from; offset <= to; ++offset) {
      const LogRecord& record = records[offset - from];
      EXPECT_EQ(record.offset, offset);
      EXPECT_EQ(record.timestamp_ns, static_cast<int64_t>(offset) * 1000);
      EXPECT_EQ(record.payload, PayloadOf(offset));
    }
  }

  std::vector<std::string> SegmentNames() const {
    std::vector<std::string> names;
    for (const fs::directory_entry& entry : fs::directory_iterator(options_.dir)) {
      if (entry.path().extension() == ".log") names.push_back(entry.path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  fs::path SegmentPath(uint64_t first_offset) const {
    return fs::path(options_.dir) / absl::StrFormat("%016u.log", first_offset);
  }
  fs::path EpochPath() const { return fs::path(options_.dir) / "epoch"; }

  fs::path root_;
  DurableLogOptions options_;
};

TEST_F(DurableLogTest, AMissingDirectoryIsCreatedWithANewEpoch) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(fs::status(options_.dir).permissions(), fs::perms(0750));
  EXPECT_EQ(log->epoch().size(), 32u);
  EXPECT_TRUE(log->recovery().epoch_changed);
  EXPECT_EQ(log->recovery().truncated_bytes, 0u);
  EXPECT_EQ(log->first_offset(), 0u);
  EXPECT_EQ(log->last_offset(), 0u);
  EXPECT_EQ(log->segments(), 0u);
  EXPECT_EQ(ReadFile(EpochPath()), log->epoch() + "\n");
  EXPECT_TRUE(SegmentNames().empty());
}

TEST_F(DurableLogTest, RecordsReadBackByteForByteInRanges) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  const std::string type = "m.\"odd\" type \xC3\xA9\xF0\x9F\x98\x80";
  ASSERT_TRUE(Append(*log, 1, 4, type).ok());
  ASSERT_TRUE(Append(*log, 5, 10).ok());
  EXPECT_EQ(log->first_offset(), 1u);
  EXPECT_EQ(log->last_offset(), 10u);
  EXPECT_THAT(SegmentNames(), ElementsAre("0000000000000001.log"));
  EXPECT_EQ(log->bytes(), fs::file_size(SegmentPath(1)));
  ExpectReadsBack(*log, 1, 10);
  EXPECT_EQ(Read(*log, 1, 1)[0].type, type);
  ExpectReadsBack(*log, 4, 7);
  // A visitor that stops after two, and a range past the end (only what was appended).
  std::vector<LogRecord> limited = Read(*log, 3, 10, 2);
  ASSERT_EQ(limited.size(), 2u);
  EXPECT_EQ(limited[1].offset, 4u);
  EXPECT_EQ(Read(*log, 9, 100).size(), 2u);
}

TEST_F(DurableLogTest, AppendRefusesOffsetsThatDoNotContinueTheLog) {
  auto log = Open();
  ASSERT_NE(log, nullptr);
  const absl::Status status = Append(*log, 2, 3);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("record offset 2 where 1 was due"));
  // Refusing a wrong call does not break the log.
  EXPECT_TRUE(Append(*log, 1, 3).ok());
}

TEST_F(DurableLogTest, ReopenAfterACleanCloseKeepsTheEpochAndContinues) {
  const std::string epoch = WriteLogAndClose(5);
  auto log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->epoch(), epoch);
  EXPECT_FALSE(log->recovery().epoch_changed);
  EXPECT_EQ(log->last_offset(), 5u);
  ASSERT_TRUE(Append(*log, 6, 8).ok());
  ExpectReadsBack(*log, 1, 8);
}

TEST_F(DurableLogTest, SegmentsWithoutAnEpochFileGetANewEpoch) {
  const std::string epoch = WriteLogAndClose(3);
  fs::remove(EpochPath());
  auto log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_NE(log->epoch(), epoch);
  EXPECT_TRUE(log->recovery().epoch_changed);
  EXPECT_EQ(log->last_offset(), 3u);
  EXPECT_EQ(ReadFile(EpochPath()), log->epoch() + "\n");
}

TEST_F(DurableLogTest, AWipedLogStartsAgainWithANewEpoch) {
  const std::string epoch = WriteLogAndClose(3);
  fs::remove(SegmentPath(1));
  auto log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_NE(log->epoch(), epoch);
  EXPECT_EQ(log->last_offset(), 0u);
}

TEST_F(DurableLogTest, FilesThatAreNotSegmentsAreIgnored) {
  fs::create_directories(options_.dir);
  for (const char* name :
       {"notes.txt", "abc.log", "12x.log", ".log", "0000000000000001.log.bak", "01.log", "-000000000000001.log"}) {
    WriteFile(fs::path(options_.dir) / name, "garbage");
  }
  auto log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->segments(), 0u);
  ASSERT_TRUE(Append(*log, 1, 2).ok());
  ExpectReadsBack(*log, 1, 2);
}

// The last record cut at every byte inside it: the log opens, the sequence continues after the record
// before, and the epoch changes (a record was lost).
TEST_F(DurableLogTest, RecoveryCutsATornLastRecordAtEveryByte) {
  constexpr uint64_t kRecords = 5;
  std::string epoch;
  uint64_t last_record_start = 0;
  {
    auto log = Open();
    ASSERT_NE(log, nullptr);
    epoch = log->epoch();
    ASSERT_TRUE(Append(*log, 1, kRecords - 1).ok());
    last_record_start = log->bytes();
    ASSERT_TRUE(Append(*log, kRecords, kRecords).ok());
  }
  const std::string whole = ReadFile(SegmentPath(1));
  ASSERT_GT(whole.size(), last_record_start + 8);
  for (uint64_t cut = last_record_start + 1; cut < whole.size(); ++cut) {
    SCOPED_TRACE(absl::StrCat("cut at byte ", cut));
    WriteFile(SegmentPath(1), std::string_view(whole).substr(0, cut));
    WriteFile(EpochPath(), epoch + "\n");
    auto log = Open();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->last_offset(), kRecords - 1);
    EXPECT_EQ(log->recovery().truncated_bytes, cut - last_record_start);
    EXPECT_TRUE(log->recovery().epoch_changed);
    EXPECT_NE(log->epoch(), epoch);
    EXPECT_EQ(fs::file_size(SegmentPath(1)), last_record_start);
  }
  // Cut exactly between two records: nothing detectably lost, so the epoch stays.
  WriteFile(SegmentPath(1), std::string_view(whole).substr(0, last_record_start));
  WriteFile(EpochPath(), epoch + "\n");
  auto log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_offset(), kRecords - 1);
  EXPECT_EQ(log->recovery().truncated_bytes, 0u);
  EXPECT_FALSE(log->recovery().epoch_changed);
  EXPECT_EQ(log->epoch(), epoch);
}

// A flipped byte cuts the segment from the record holding it; appends then continue after the cut.
TEST_F(DurableLogTest, RecoveryCutsFromAFlippedByteAndAppendsContinue) {
  struct Case {
    uint64_t damaged_offset;
  };
  for (const Case& test : {Case{5}, Case{3}}) {
    SCOPED_TRACE(absl::StrCat("byte flipped in record ", test.damaged_offset));
    fs::remove_all(options_.dir);
    std::string epoch;
    uint64_t damaged_start = 0;
    uint64_t damaged_end = 0;
    {
      auto log = Open();
      ASSERT_NE(log, nullptr);
      epoch = log->epoch();
      ASSERT_TRUE(Append(*log, 1, test.damaged_offset - 1).ok());
      damaged_start = log->bytes();
      ASSERT_TRUE(Append(*log, test.damaged_offset, test.damaged_offset).ok());
      damaged_end = log->bytes();
      if (test.damaged_offset < 5) ASSERT_TRUE(Append(*log, test.damaged_offset + 1, 5).ok());
    }
    std::string bytes = ReadFile(SegmentPath(1));
    const uint64_t size = bytes.size();
    bytes[(damaged_start + damaged_end) / 2] ^= 0x01;
    WriteFile(SegmentPath(1), bytes);
    auto log = Open();
    ASSERT_NE(log, nullptr);
    EXPECT_EQ(log->last_offset(), test.damaged_offset - 1);
    EXPECT_EQ(log->recovery().truncated_bytes, size - damaged_start);
    EXPECT_TRUE(log->recovery().epoch_changed);
    EXPECT_NE(log->epoch(), epoch);
    ASSERT_TRUE(Append(*log, test.damaged_offset, 8).ok());
    ExpectReadsBack(*log, 1, 8);
  }
}

// Record 3 damaged behind the log's back (recovery runs only at Open): Read delivers 1 and 2, then fails
// naming the file, the byte and what is wrong.
TEST_F(DurableLogTest, ReadFailsOnADamagedRecordNamingTheFileAndByte) {
  struct Case {
    const char* what;
    std::function<void(std::string& segment, uint64_t third)> damage;
  };
  const Case cases[] = {
      {"CRC mismatch", [](std::string& segment, uint64_t third) { segment[third + 20] ^= 0x01; }},
      {"record has no \"payload\"",
       [](std::string& segment, uint64_t third) {
         segment.resize(third);
         AppendLogFrame(R"({"offset":3,"timestamp":1,"type":"t"})", segment);
       }},
  };
  for (const Case& test : cases) {
    SCOPED_TRACE(test.what);
    fs::remove_all(options_.dir);
    auto log = Open();
    ASSERT_NE(log, nullptr);
    ASSERT_TRUE(Append(*log, 1, 2).ok());
    const uint64_t third = log->bytes();
    ASSERT_TRUE(Append(*log, 3, 4).ok());
    std::string segment = ReadFile(SegmentPath(1));
    test.damage(segment, third);
    WriteFile(SegmentPath(1), segment);
    std::vector<uint64_t> seen;
    const absl::Status status = log->Read(1, 4, [&](LogRecord&& record) {
      seen.push_back(record.offset);
      return true;
    });
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("durable log \"", SegmentPath(1).string(),
                                                         "\": record at byte ", third)));
    EXPECT_THAT(status.message(), HasSubstr(test.what));
    EXPECT_THAT(seen, ElementsAre(1, 2));
  }
}

// A visitor that returns false ends the read there: what lies after it is not read, so damage there (a
// corrupt record in the same segment, a segment gone) does not fail it.
TEST_F(DurableLogTest, ReadStopsAtTheVisitorsFalseAndReadsNothingAfter) {
  options_.max_segment_bytes = 400;  // Three records a segment: 1-3, 4-6, 7-9.
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(Append(*log, 1, 9).ok());
  ASSERT_TRUE(log->Sync().ok());
  std::string segment = ReadFile(SegmentPath(4));
  const size_t record_bytes = segment.size() / 3;
  segment[record_bytes + record_bytes / 2] ^= 0x01;  // Record 5's CRC no longer matches.
  WriteFile(SegmentPath(4), segment);
  fs::remove(SegmentPath(7));
  std::vector<uint64_t> seen;
  const absl::Status stopped = log->Read(2, 9, [&](LogRecord&& record) {
    seen.push_back(record.offset);
    return record.offset < 4;
  });
  EXPECT_TRUE(stopped.ok()) << stopped;
  EXPECT_THAT(seen, ElementsAre(2, 3, 4));
  // The damage is there for a read that goes on.
  seen.clear();
  const absl::Status damaged = log->Read(2, 9, [&](LogRecord&& record) {
    seen.push_back(record.offset);
    return true;
  });
  EXPECT_EQ(damaged.code(), absl::StatusCode::kDataLoss) << damaged;
  EXPECT_THAT(damaged.message(), HasSubstr(SegmentPath(4).string()));
  EXPECT_THAT(seen, ElementsAre(2, 3, 4));
}

TEST_F(DurableLogTest, SegmentsRotateBeforeARecordWouldPassTheLimit) {
  options_.max_segment_bytes = 400;  // A record here is about 130 bytes: three fit.
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(Append(*log, 1, 1).ok());
  const uint64_t record_bytes = log->bytes();
  ASSERT_EQ(options_.max_segment_bytes / record_bytes, 3u);
  ASSERT_TRUE(Append(*log, 2, 2).ok());
  ASSERT_TRUE(Append(*log, 3, 10).ok());  // One call across rotations.
  EXPECT_THAT(SegmentNames(), ElementsAre("0000000000000001.log", "0000000000000004.log",
                                          "0000000000000007.log", "0000000000000010.log"));
  EXPECT_EQ(log->segments(), 4u);
  for (uint64_t first : {1, 4, 7}) EXPECT_EQ(fs::file_size(SegmentPath(first)), 3 * record_bytes);
  ExpectReadsBack(*log, 1, 10);
  ExpectReadsBack(*log, 5, 8);

  // A record larger than the limit gets a segment of its own.
  const std::string big_payload = absl::StrCat(R"({"blob":")", std::string(1000, 'b'), R"("})");
  const LogRecordView big{11, 11000, "m.big", big_payload};
  ASSERT_TRUE(log->Append(std::span(&big, 1)).ok());
  ASSERT_TRUE(Append(*log, 12, 12).ok());
  EXPECT_THAT(SegmentNames(), ElementsAre("0000000000000001.log", "0000000000000004.log",
                                          "0000000000000007.log", "0000000000000010.log",
                                          "0000000000000011.log", "0000000000000012.log"));
  EXPECT_EQ(Read(*log, 11, 11)[0].payload, big_payload);
  ExpectReadsBack(*log, 12, 12);
  // Reopened, the last segment is recovered and the sequence continues.
  log.reset();
  log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_EQ(log->last_offset(), 12u);
  EXPECT_FALSE(log->recovery().epoch_changed);
  ExpectReadsBack(*log, 1, 10);
}

TEST_F(DurableLogTest, RetentionDeletesOnlyWholeOldestSegments) {
  options_.max_segment_bytes = 400;
  options_.retention_bytes = 1000;
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(Append(*log, 1, 20).ok());
  // Segments of three records (~390 bytes): while they total more than 1000 the oldest goes.
  EXPECT_THAT(SegmentNames(), ElementsAre("0000000000000016.log", "0000000000000019.log"));
  EXPECT_EQ(log->first_offset(), 16u);
  EXPECT_EQ(log->bytes(), fs::file_size(SegmentPath(16)) + fs::file_size(SegmentPath(19)));
  ExpectReadsBack(*log, 16, 20);
  const absl::Status gone = log->Read(1, 20, [](LogRecord&&) { return true; });
  EXPECT_EQ(gone.code(), absl::StatusCode::kNotFound) << gone;
  EXPECT_THAT(gone.message(), HasSubstr("offset 1 is no longer held (oldest 16)"));

  // The segment being written is never deleted, however small the budget.
  log.reset();
  options_.retention_bytes = 1;
  log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_THAT(SegmentNames(), ElementsAre("0000000000000019.log"));
  ASSERT_TRUE(Append(*log, 21, 22).ok());
  EXPECT_THAT(SegmentNames(), ElementsAre("0000000000000022.log"));
  EXPECT_EQ(log->first_offset(), 22u);
  ExpectReadsBack(*log, 22, 22);
}

TEST_F(DurableLogTest, ReadOfASegmentDeletedUnderItFailsNotFound) {
  options_.max_segment_bytes = 400;
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(Append(*log, 1, 9).ok());
  ASSERT_TRUE(log->Sync().ok());
  fs::remove(SegmentPath(4));  // As retention would between a Read's look at the list and its open.
  const absl::Status status = log->Read(5, 9, [](LogRecord&&) { return true; });
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr(SegmentPath(4).string()));
  ExpectReadsBack(*log, 7, 9);
}

TEST_F(DurableLogTest, AnEpochFileThatHoldsNoEpochIsReplaced) {
  WriteLogAndClose(2);
  WriteFile(EpochPath(), "not an epoch!\n");
  auto log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(log->recovery().epoch_changed);
  EXPECT_EQ(ReadFile(EpochPath()), log->epoch() + "\n");
}

TEST_F(DurableLogTest, ADirectoryThatCannotBeCreatedFailsOpenNamingIt) {
  WriteFile(root_ / "file", "not a directory");
  options_.dir = (root_ / "file" / "log").string();
  const absl::StatusOr<std::unique_ptr<DurableLog>> log = DurableLog::Open(options_);
  ASSERT_FALSE(log.ok());
  EXPECT_EQ(log.status().message(),
            absl::StrCat("durable_log_dir \"", options_.dir, "\": cannot create: Not a directory"));
}

// A write that fails (here: past RLIMIT_FSIZE, as a full disk would) breaks the log for good and removes
// the epoch file, so the next Open draws a new epoch. Run in a child: the limit is per process.
TEST_F(DurableLogTest, AFailedWriteBreaksTheLogAndRemovesTheEpoch) {
  std::string epoch;
  {
    auto log = Open();
    ASSERT_NE(log, nullptr);
    epoch = log->epoch();
  }
  auto log = Open();
  ASSERT_NE(log, nullptr);
  ASSERT_TRUE(Append(*log, 1, 3).ok());
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // Exit codes say which expectation failed (no gtest in the child).
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{log->bytes() + 50, log->bytes() + 50};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    const absl::Status failed = Append(*log, 4, 6);
    if (failed.ok()) ::_exit(11);
    if (failed.message().find("cannot write: File too large") == absl::string_view::npos) ::_exit(12);
    if (::access(EpochPath().c_str(), F_OK) == 0) ::_exit(13);
    const absl::Status later = Append(*log, 4, 4);  // Would fit, but the log is broken.
    if (later != failed) ::_exit(14);
    if (log->Sync() != failed) ::_exit(15);
    ::_exit(0);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  ASSERT_EQ(WEXITSTATUS(wait_status), 0);
  EXPECT_FALSE(fs::exists(EpochPath()));

  log.reset();
  log = Open();
  ASSERT_NE(log, nullptr);
  EXPECT_NE(log->epoch(), epoch);
  EXPECT_TRUE(log->recovery().epoch_changed);
  EXPECT_EQ(log->recovery().truncated_bytes, 50u);  // What of record 4 the kernel took before the limit.
  EXPECT_EQ(log->last_offset(), 3u);
  ExpectReadsBack(*log, 1, 3);
}

// Read from one thread while another appends, rotates and deletes: each Read sees a consecutive run of
// intact records, or NotFound when retention took its start (label "threaded": TSan runs it).
class DurableLogThreadedTest : public DurableLogTest {};

TEST_F(DurableLogThreadedTest, ReadsWhileAnotherThreadAppends) {
  for (const uint64_t retention_bytes : {uint64_t{0}, uint64_t{20000}}) {
    SCOPED_TRACE(absl::StrCat("retention_bytes ", retention_bytes));
    fs::remove_all(options_.dir);
    options_.max_segment_bytes = 4096;
    options_.retention_bytes = retention_bytes;
    auto log = Open();
    ASSERT_NE(log, nullptr);
    constexpr uint64_t kRecords = 3000;
    std::atomic<bool> done{false};
    std::thread writer([&] {
      for (uint64_t offset = 1; offset <= kRecords; offset += 7) {
        const absl::Status appended = Append(*log, offset, std::min(offset + 6, kRecords));
        if (!appended.ok()) {
          ADD_FAILURE() << appended;
          break;
        }
      }
      done = true;
    });
    size_t good_reads = 0;  // Until the writer is done, and at least one that succeeded.
    while (!done || good_reads == 0) {
      // Offsets start at 1; first_offset() is 0 until the first segment exists.
      const uint64_t first = std::max<uint64_t>(log->first_offset(), 1);
      const uint64_t last = log->last_offset();
      if (last == 0) continue;
      std::vector<uint64_t> offsets;
      const absl::Status status = log->Read(first, last, [&](LogRecord&& record) {
        if (record.payload != PayloadOf(record.offset)) ADD_FAILURE() << "payload of " << record.offset;
        offsets.push_back(record.offset);
        return true;
      });
      if (status.code() == absl::StatusCode::kNotFound && retention_bytes > 0) continue;
      ASSERT_TRUE(status.ok()) << status;
      ASSERT_EQ(offsets.size(), last - first + 1);
      for (size_t i = 0; i < offsets.size(); ++i) ASSERT_EQ(offsets[i], first + i);
      ++good_reads;
    }
    writer.join();
    ExpectReadsBack(*log, log->first_offset(), kRecords);
  }
}

}  // namespace
}  // namespace armorclaw::eventbus
