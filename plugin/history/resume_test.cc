#include "plugin/history/resume.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kEpoch[] = "0123456789abcdef0123456789abcdef";

// Sequences 11..20, alternating between two rooms (odd: !a, even: !b).
RetainedEvents Ten() {
  RetainedEvents history(10, 1 << 20);
  for (uint64_t sequence = 11; sequence <= 20; ++sequence) {
    auto event = std::make_shared<Event>();
    event->sequence = sequence;
    event->room_id = sequence % 2 == 1 ? "!a" : "!b";
    event->frame = "frame";
    history.Append(std::move(event));
  }
  return history;
}

Filter RoomA() {
  Filter filter;
  filter.room_id = "!a";
  return filter;
}

std::vector<uint64_t> Sequences(const std::vector<EventPtr>& events) {
  std::vector<uint64_t> sequences;
  for (const EventPtr& event : events) sequences.push_back(event->sequence);
  return sequences;
}

TEST(PlanResumeTest, InRangeReplaysTheMatchingEventsAfterTheCursor) {
  const RetainedEvents history = Ten();
  std::vector<EventPtr> replay;
  const ResumeOutcome outcome = PlanResume(history, {kEpoch, 20}, {kEpoch, 14}, RoomA(), 100, replay);
  EXPECT_TRUE(outcome.recovered);
  EXPECT_EQ(outcome.replayed, 3u);
  EXPECT_EQ(outcome.earliest, 11u);
  EXPECT_THAT(Sequences(replay), ElementsAre(15, 17, 19));
}

TEST(PlanResumeTest, TheEdgesOfTheRangeRecover) {
  const RetainedEvents history = Ten();
  std::vector<EventPtr> replay;
  EXPECT_TRUE(PlanResume(history, {kEpoch, 20}, {kEpoch, 10}, Filter{}, 100, replay).recovered);
  EXPECT_EQ(replay.size(), 10u);
  replay.clear();
  const ResumeOutcome at_head = PlanResume(history, {kEpoch, 20}, {kEpoch, 20}, Filter{}, 100, replay);
  EXPECT_TRUE(at_head.recovered);
  EXPECT_EQ(at_head.replayed, 0u);
}

TEST(PlanResumeTest, EachRefusalReplaysNothingAndSaysWhy) {
  const RetainedEvents history = Ten();
  struct Case {
    StreamPosition since;
    size_t max_replay;
    std::string_view reason;
  };
  for (const Case& c : {Case{{kEpoch, 9}, 100, resume_reason::kTooOld},
                        Case{{"another-epoch", 15}, 100, resume_reason::kEpochMismatch},
                        Case{{kEpoch, 21}, 100, resume_reason::kFuture},
                        Case{{kEpoch, 10}, 4, resume_reason::kTooMany}}) {
    SCOPED_TRACE(c.reason);
    std::vector<EventPtr> replay;
    const ResumeOutcome outcome = PlanResume(history, {kEpoch, 20}, c.since, RoomA(), c.max_replay, replay);
    EXPECT_FALSE(outcome.recovered);
    EXPECT_EQ(outcome.reason, c.reason);
    EXPECT_EQ(outcome.replayed, 0u);
    EXPECT_THAT(replay, IsEmpty());
  }
}

TEST(PlanResumeTest, TheLimitCountsMatchingEventsOnly) {
  const RetainedEvents history = Ten();
  std::vector<EventPtr> replay;
  // Ten events retained, five of them in !a: a limit of five is enough.
  EXPECT_TRUE(PlanResume(history, {kEpoch, 20}, {kEpoch, 10}, RoomA(), 5, replay).recovered);
  EXPECT_EQ(replay.size(), 5u);
}

TEST(PlanResumeTest, AnEmptyHistoryRecoversOnlyAClientAtTheHead) {
  const RetainedEvents history(0, 0);
  std::vector<EventPtr> replay;
  const ResumeOutcome at_head = PlanResume(history, {kEpoch, 7}, {kEpoch, 7}, Filter{}, 100, replay);
  EXPECT_TRUE(at_head.recovered);
  EXPECT_EQ(at_head.earliest, 8u);
  EXPECT_EQ(PlanResume(history, {kEpoch, 7}, {kEpoch, 6}, Filter{}, 100, replay).reason, resume_reason::kTooOld);
}

// Sequences 1..20 in a real durable log (rooms as Ten()), of which memory holds 11..20.
class PlanResumeFromDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "eventbus-resume-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    auto log = DurableLog::Open(DurableLogOptions{.dir = dir_});
    ASSERT_TRUE(log.ok()) << log.status();
    log_ = *std::move(log);
    std::vector<std::string> payloads;
    for (uint64_t sequence = 1; sequence <= 20; ++sequence) {
      payloads.push_back(absl::StrCat(R"({"type":"m.room.message","room_id":")", sequence % 2 == 1 ? "!a" : "!b",
                                      R"(","content":{"n":)", sequence, "}}"));
    }
    std::vector<LogRecordView> records;
    for (uint64_t sequence = 1; sequence <= 20; ++sequence) {
      records.push_back({sequence, 1000, "m.room.message", payloads[sequence - 1]});
    }
    ASSERT_TRUE(log_->Append(records).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string dir_;
  std::unique_ptr<DurableLog> log_;
  const RetainedEvents history_ = Ten();
};

TEST_F(PlanResumeFromDiskTest, OlderThanMemoryIsReadFromTheLogThenFromMemory) {
  std::vector<EventPtr> replay;
  DiskReplay disk;
  const ResumeOutcome outcome = PlanResume(history_, {kEpoch, 20}, {kEpoch, 2}, RoomA(), 100, replay, log_.get(), &disk);
  EXPECT_TRUE(outcome.recovered);
  EXPECT_EQ(outcome.earliest, 1u);
  EXPECT_THAT(Sequences(replay), ElementsAre(3, 5, 7, 9, 11, 13, 15, 17, 19));
  EXPECT_EQ(disk.events, 4u);
  EXPECT_TRUE(disk.status.ok());
  EXPECT_EQ(replay[0]->room_id, "!a");
  // Without the log the same cursor is too old.
  replay.clear();
  EXPECT_EQ(PlanResume(history_, {kEpoch, 20}, {kEpoch, 2}, RoomA(), 100, replay).reason, resume_reason::kTooOld);
}

TEST_F(PlanResumeFromDiskTest, TheLimitSpansDiskAndMemory) {
  std::vector<EventPtr> replay;
  DiskReplay disk;
  EXPECT_EQ(PlanResume(history_, {kEpoch, 20}, {kEpoch, 0}, RoomA(), 9, replay, log_.get(), &disk).reason,
            resume_reason::kTooMany);
  EXPECT_THAT(replay, IsEmpty());
  EXPECT_EQ(disk.events, 0u);
  EXPECT_TRUE(PlanResume(history_, {kEpoch, 20}, {kEpoch, 0}, RoomA(), 10, replay, log_.get(), &disk).recovered);
  EXPECT_EQ(replay.size(), 10u);
}

// Record 10 damaged on disk, after the 4th record where a limit of 3 is passed: the answer is too_many,
// known without reading as far as the damage (a read of the whole range would meet it and answer too_old).
TEST_F(PlanResumeFromDiskTest, TooManyIsAnsweredWithoutReadingTheRestOfTheRange) {
  const std::filesystem::path segment = std::filesystem::path(dir_) / "0000000000000001.log";
  std::string bytes;
  {
    std::ifstream in(segment, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const size_t tenth = bytes.find(R"("content":{"n":10})");
  ASSERT_NE(tenth, std::string::npos);
  bytes[tenth + 1] ^= 0x01;  // Its CRC no longer matches.
  std::ofstream(segment, std::ios::binary | std::ios::trunc) << bytes;
  std::vector<EventPtr> replay;
  DiskReplay disk;
  const ResumeOutcome outcome = PlanResume(history_, {kEpoch, 20}, {kEpoch, 0}, Filter{}, 3, replay, log_.get(), &disk);
  EXPECT_EQ(outcome.reason, resume_reason::kTooMany);
  EXPECT_THAT(replay, IsEmpty());
  EXPECT_TRUE(disk.status.ok()) << disk.status;
  // The damage is there: a replay that must read record 10 finds it.
  EXPECT_EQ(PlanResume(history_, {kEpoch, 20}, {kEpoch, 0}, Filter{}, 100, replay, log_.get(), &disk).reason,
            resume_reason::kTooOld);
  EXPECT_EQ(disk.status.code(), absl::StatusCode::kDataLoss);
}

TEST_F(PlanResumeFromDiskTest, ALogThatCannotBeReadAnswersTooOldAndSaysWhy) {
  for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
    if (entry.path().extension() == ".log") std::filesystem::remove(entry.path());
  }
  std::vector<EventPtr> replay;
  DiskReplay disk;
  const ResumeOutcome outcome = PlanResume(history_, {kEpoch, 20}, {kEpoch, 2}, Filter{}, 100, replay, log_.get(), &disk);
  EXPECT_FALSE(outcome.recovered);
  EXPECT_EQ(outcome.reason, resume_reason::kTooOld);
  EXPECT_THAT(replay, IsEmpty());
  EXPECT_FALSE(disk.status.ok());
}

}  // namespace
}  // namespace armorclaw::eventbus
