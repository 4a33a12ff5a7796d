#include "plugin/history/resume.h"

#include <memory>
#include <string>
#include <vector>

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

}  // namespace
}  // namespace armorclaw::eventbus
