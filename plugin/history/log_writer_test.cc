#include "plugin/history/log_writer.h"

#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "plugin/event_ingest.h"

namespace armorclaw::eventbus {
namespace {

namespace fs = std::filesystem;

// The real log in a temporary directory, the real queue, and the writer on its own thread; what it passes
// on is recorded together with what the log held at that moment.
class LogWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "eventbus-log-writer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto log = DurableLog::Open(DurableLogOptions{.dir = dir_.string()});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }
  void TearDown() override {
    if (thread_.joinable()) Finish();
    fs::remove_all(dir_);
  }

  void StartWriter(LogFsync fsync, absl::Duration interval) {
    writer_ = std::make_unique<LogWriter>(
        *log_, queue_, fsync, interval, 100000,
        [this] {
          // As the I/O thread would, a little later: takes what was logged.
          std::vector<EventPtr> batch;
          writer_->Drain(batch);
          std::lock_guard lock(mutex_);
          // Write before deliver: every record of the batch is in the log when it is passed on.
          logged_when_delivered_.push_back(log_->last_offset() >= batch.back()->sequence);
          for (const EventPtr& event : batch) delivered_.push_back(event);
        },
        HostLog(), counters_);
    thread_ = std::thread([this] { writer_->Run(); });
    queue_.Open();
  }

  void Publish(int count) {
    for (int i = 0; i < count; ++i) {
      auto event = PrepareEvent(absl::StrCat(R"({"type":"m.room.message","room_id":"!r","content":{"n":)", i, "}}"),
                                65536, absl::Now(), nullptr);
      ASSERT_TRUE(event.ok());
      ASSERT_EQ(queue_.Push(*std::move(event)), IngestQueue::PushResult::kAccepted);
    }
  }

  // As Plugin::Stop: no more publishes, then the writer finishes what was queued.
  void Finish() {
    queue_.Close();
    writer_->Stop();
    thread_.join();
  }

  fs::path dir_;
  std::unique_ptr<DurableLog> log_;
  Counters counters_;
  IngestQueue queue_{100000, [this] { writer_->Wake(); }};
  std::unique_ptr<LogWriter> writer_;
  std::thread thread_;
  std::mutex mutex_;
  std::vector<EventPtr> delivered_;
  std::vector<bool> logged_when_delivered_;
};

TEST_F(LogWriterTest, EveryEventIsLoggedBeforeItIsPassedOnAndStopFinishesTheQueue) {
  StartWriter(LogFsync::kNever, absl::Seconds(1));
  Publish(5000);
  Finish();
  ASSERT_EQ(delivered_.size(), 5000u);
  for (bool logged : logged_when_delivered_) EXPECT_TRUE(logged);
  std::vector<LogRecord> records;
  ASSERT_TRUE(log_->Read(1, 5000, [&](LogRecord&& record) {
                records.push_back(std::move(record));
                return true;
              }).ok());
  ASSERT_EQ(records.size(), 5000u);
  for (size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(delivered_[i]->sequence, i + 1);
    EXPECT_EQ(records[i].offset, i + 1);
    EXPECT_EQ(records[i].payload, delivered_[i]->payload());
    EXPECT_EQ(records[i].timestamp_ns, delivered_[i]->received_ns);
    EXPECT_EQ(records[i].type, "m.room.message");
  }
  EXPECT_EQ(counters_.log_fsyncs.load(), 0u);  // never: not even at stop.
  EXPECT_EQ(counters_.log_bytes.load(), log_->bytes());
  EXPECT_EQ(counters_.log_segments.load(), 1u);
  EXPECT_EQ(counters_.log_earliest_sequence.load(), 1u);
  EXPECT_TRUE(writer_->healthy());
}

TEST_F(LogWriterTest, AlwaysSyncsEveryBatchBeforePassingItOn) {
  StartWriter(LogFsync::kAlways, absl::Seconds(1));
  Publish(300);
  Finish();
  ASSERT_EQ(delivered_.size(), 300u);
  EXPECT_EQ(counters_.log_fsyncs.load(), logged_when_delivered_.size());  // One per batch.
}

// An interval of an hour: the first write is synced at once (none was for an interval), the rest wait for
// the interval, which never comes during the test, and stop makes the tail durable.
TEST_F(LogWriterTest, IntervalSyncsAtMostOncePerIntervalAndAtStop) {
  StartWriter(LogFsync::kInterval, absl::Hours(1));
  Publish(1);
  // Awaited, so that the next events come in later batches.
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (!delivered_.empty()) break;
    }
    std::this_thread::yield();
  }
  Publish(500);
  Finish();
  ASSERT_EQ(delivered_.size(), 501u);
  ASSERT_GE(logged_when_delivered_.size(), 2u);
  EXPECT_EQ(counters_.log_fsyncs.load(), 2u);
}

// Batches logged while the I/O thread has not drained yet are taken together, with one notification: the
// I/O thread dispatches as much at once as without the log.
TEST(LogWriterCoalescingTest, BatchesWaitingForTheConsumerAreTakenTogether) {
  std::string dir = (fs::temp_directory_path() / "eventbus-log-writer-XXXXXX").string();
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  auto log = DurableLog::Open(DurableLogOptions{.dir = dir});
  ASSERT_TRUE(log.ok()) << log.status();
  Counters counters;
  std::atomic<int> notified{0};
  std::unique_ptr<LogWriter> writer;
  IngestQueue queue(16, [&writer] { writer->Wake(); });
  writer = std::make_unique<LogWriter>(**log, queue, LogFsync::kNever, absl::Seconds(1), 16,
                                       [&notified] { ++notified; }, HostLog(), counters);
  std::thread thread([&writer] { writer->Run(); });
  queue.Open();
  for (uint64_t sequence = 1; sequence <= 3; ++sequence) {
    auto event = PrepareEvent(R"({"type":"t"})", 1024, absl::Now(), nullptr);
    ASSERT_TRUE(event.ok());
    ASSERT_EQ(queue.Push(*std::move(event)), IngestQueue::PushResult::kAccepted);
    while ((*log)->last_offset() < sequence) std::this_thread::yield();  // Logged in a batch of its own.
  }
  std::vector<EventPtr> drained;
  writer->Drain(drained);
  ASSERT_EQ(drained.size(), 3u);
  EXPECT_EQ(drained[2]->sequence, 3u);
  EXPECT_EQ(notified.load(), 1);
  // In slices: the drain that leaves events notifies for the rest itself; a batch logged meanwhile does not.
  for (uint64_t sequence = 4; sequence <= 6; ++sequence) {
    auto event = PrepareEvent(R"({"type":"t"})", 1024, absl::Now(), nullptr);
    ASSERT_TRUE(event.ok());
    ASSERT_EQ(queue.Push(*std::move(event)), IngestQueue::PushResult::kAccepted);
    while ((*log)->last_offset() < sequence) std::this_thread::yield();
  }
  EXPECT_EQ(notified.load(), 2);
  writer->Drain(drained, DrainLimit{.events = 2});
  ASSERT_EQ(drained.size(), 5u);
  EXPECT_EQ(notified.load(), 3);
  writer->Drain(drained, DrainLimit{.events = 2});
  ASSERT_EQ(drained.size(), 6u);
  EXPECT_EQ(notified.load(), 3);  // Nothing left: no notification.
  for (size_t i = 0; i < drained.size(); ++i) EXPECT_EQ(drained[i]->sequence, i + 1);
  queue.Close();
  writer->Stop();
  thread.join();
  fs::remove_all(dir);
}

// A writer whose consumer takes nothing unless the test says so; the fixture records what the log and the
// queue held each time the writer handed a batch over.
class LogWriterBoundTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (fs::temp_directory_path() / "eventbus-log-writer-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir_.data()), nullptr);
    auto log = DurableLog::Open(DurableLogOptions{.dir = dir_});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
  }
  void TearDown() override { fs::remove_all(dir_); }

  void MakeWriter(size_t max_logged) {
    writer_ = std::make_unique<LogWriter>(*log_, queue_, LogFsync::kNever, absl::Seconds(1), max_logged,
                                          [this] {
                                            std::lock_guard lock(mutex_);
                                            at_handover_.emplace_back(log_->last_offset(), queue_.depth());
                                          },
                                          HostLog(), counters_);
  }
  size_t handovers() {
    std::lock_guard lock(mutex_);
    return at_handover_.size();
  }
  std::pair<uint64_t, size_t> handover(size_t i) {
    std::lock_guard lock(mutex_);
    return at_handover_.at(i);
  }

  std::string dir_;
  std::unique_ptr<DurableLog> log_;
  Counters counters_;
  std::mutex mutex_;
  std::vector<std::pair<uint64_t, size_t>> at_handover_;  // Guarded by mutex_.
  IngestQueue queue_{16, [this] { writer_->Wake(); }};
  std::unique_ptr<LogWriter> writer_;  // Last, so that it goes first.
};

// An I/O thread slower than the publishers: the writer keeps at most max_logged events waiting for it and
// leaves the rest in the queue, which fills and answers busy, instead of holding an unbounded backlog.
TEST_F(LogWriterBoundTest, TakesNoMoreFromTheQueueThanTheConsumerHasRoomFor) {
  MakeWriter(3);
  queue_.Open();
  for (int i = 0; i < 10; ++i) {
    auto event = PrepareEvent(R"({"type":"t"})", 1024, absl::Now(), nullptr);
    ASSERT_TRUE(event.ok());
    ASSERT_EQ(queue_.Push(*std::move(event)), IngestQueue::PushResult::kAccepted);
  }
  std::thread thread([this] { writer_->Run(); });
  while (handovers() < 1) std::this_thread::yield();
  std::vector<EventPtr> drained;
  writer_->Drain(drained);  // Room for three more: the writer takes them.
  ASSERT_EQ(drained.size(), 3u);
  while (handovers() < 2) std::this_thread::yield();
  writer_->Drain(drained);
  ASSERT_EQ(drained.size(), 6u);
  while (handovers() < 3) std::this_thread::yield();
  // Three logged, seven left in the queue; then six and four; then nine and one.
  EXPECT_EQ(handover(0), std::make_pair(uint64_t{3}, size_t{7}));
  EXPECT_EQ(handover(1), std::make_pair(uint64_t{6}, size_t{4}));
  EXPECT_EQ(handover(2), std::make_pair(uint64_t{9}, size_t{1}));
  // Stop takes the last of the queue whatever the room: nothing published is left behind.
  queue_.Close();
  writer_->Stop();
  thread.join();
  writer_->Drain(drained);
  ASSERT_EQ(drained.size(), 10u);
  for (size_t i = 0; i < drained.size(); ++i) EXPECT_EQ(drained[i]->sequence, i + 1);
  }

// The queue's age bound (max_ingest_delay) holds for what the writer logged: while the oldest logged event
// waits too long for the consumer, the writer takes nothing more, so that the queue's oldest ages and
// publish is refused there.
TEST_F(LogWriterBoundTest, TakesNothingWhileTheOldestLoggedEventWaitedLongerThanTheQueuesBound) {
  queue_.set_max_delay(std::chrono::seconds(1));
  MakeWriter(16);
  const auto push_accepted_at = [this](std::chrono::steady_clock::time_point accepted) {
    auto event = PrepareEvent(R"({"type":"t"})", 1024, absl::Now(), nullptr);
    (*event)->accepted = accepted;
    return queue_.Push(*std::move(event));
  };
  const auto an_hour_ago = std::chrono::steady_clock::now() - std::chrono::hours(1);
  queue_.Open();
  ASSERT_EQ(push_accepted_at(an_hour_ago), IngestQueue::PushResult::kAccepted);
  std::thread thread([this] { writer_->Run(); });
  while (handovers() < 1) std::this_thread::yield();
  // The first event, logged an hour after it was accepted, is not taken by the consumer: the writer leaves
  // the second in the queue, which then refuses a third.
  ASSERT_EQ(push_accepted_at(an_hour_ago), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(push_accepted_at(std::chrono::steady_clock::now()), IngestQueue::PushResult::kBehind);
  EXPECT_EQ(queue_.depth(), 1u);
  std::vector<EventPtr> drained;
  writer_->Drain(drained);
  ASSERT_EQ(drained.size(), 1u);
  while (handovers() < 2) std::this_thread::yield();
  EXPECT_EQ(handover(1), std::make_pair(uint64_t{2}, size_t{0}));
  queue_.Close();
  writer_->Stop();
  thread.join();
  writer_->Drain(drained);
  ASSERT_EQ(drained.size(), 2u);
  EXPECT_EQ(drained[1]->sequence, 2u);
  }

// A write that fails (past RLIMIT_FSIZE, as on a full disk) turns the log off, once, and every event is
// still passed on. In a child process: the limit is per process. Exit codes say which check failed.
TEST_F(LogWriterTest, AFailedWriteIsCountedOnceAndDeliveryGoesOn) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    const rlimit limit{2000, 2000};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    StartWriter(LogFsync::kAlways, absl::Seconds(1));
    Publish(200);
    Finish();
    if (delivered_.size() != 200) ::_exit(11);
    for (size_t i = 0; i < delivered_.size(); ++i) {
      if (delivered_[i]->sequence != i + 1) ::_exit(12);
    }
    if (writer_->healthy()) ::_exit(13);
    if (counters_.log_write_errors.load() != 1) ::_exit(14);
    if (log_->last_offset() >= 200) ::_exit(15);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace armorclaw::eventbus
