#include "plugin/history/retained_events.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

using ::testing::ElementsAre;

EventPtr MakeEvent(uint64_t sequence, size_t frame_bytes = 100) {
  auto event = std::make_shared<Event>();
  event->sequence = sequence;
  event->frame = std::string(frame_bytes, 'x');
  return event;
}

// An event whose message compresses to about half: digits that repeat little.
EventPtr MakeCompressibleEvent(uint64_t sequence) {
  auto event = std::make_shared<Event>();
  event->sequence = sequence;
  event->frame = std::string(Event::kHeaderRoom, ' ');
  for (uint64_t i = 0; i < 200; ++i) absl::StrAppend(&event->frame, (i * 7919 + sequence) % 10007, ",");
  return event;
}

// What Session::Enqueue does for a receiver that negotiated `window_bits`.
void Deliver(RetainedEvents& history, const EventPtr& event, int window_bits, MessageDeflater& deflater) {
  const size_t before = event->compressed_frames.bytes();
  event->compressed_frames.Wire(event->message(), event->wire(), window_bits, deflater);
  history.CompressedFramesGrew(*event, event->compressed_frames.bytes() - before);
}

std::vector<uint64_t> SequencesAfter(const RetainedEvents& history, uint64_t after) {
  std::vector<uint64_t> sequences;
  for (const EventPtr& event : history.After(after)) sequences.push_back(event->sequence);
  return sequences;
}

TEST(RetainedEventsTest, KeepsTheLastMaxEventsOldestDroppedFirst) {
  RetainedEvents history(3, 1 << 20);
  for (uint64_t sequence = 1; sequence <= 5; ++sequence) history.Append(MakeEvent(sequence));
  EXPECT_EQ(history.size(), 3u);
  EXPECT_EQ(history.bytes(), 300u);
  EXPECT_EQ(history.earliest(5), 3u);
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(3, 4, 5));
}

TEST(RetainedEventsTest, NewBoundsTrimAtOnceAndHoldAfterwards) {
  RetainedEvents history(10, 1 << 20);
  for (uint64_t sequence = 1; sequence <= 6; ++sequence) history.Append(MakeEvent(sequence));
  history.SetBounds(4, 250);  // The byte bound is the tighter one: two 100-byte frames.
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(5, 6));
  EXPECT_EQ(history.bytes(), 200u);
  history.SetBounds(3, 1 << 20);
  for (uint64_t sequence = 7; sequence <= 9; ++sequence) history.Append(MakeEvent(sequence));
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(7, 8, 9));
}

TEST(RetainedEventsTest, ByteBoundDropsOldestUntilTheFramesFit) {
  RetainedEvents history(100, 250);
  history.Append(MakeEvent(1, 100));
  history.Append(MakeEvent(2, 100));
  EXPECT_EQ(history.bytes(), 200u);
  history.Append(MakeEvent(3, 120));  // 320 bytes: the oldest goes.
  EXPECT_EQ(history.bytes(), 220u);
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(2, 3));
  history.Append(MakeEvent(4, 240));  // Only the newest fits.
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(4));
  EXPECT_EQ(history.bytes(), 240u);
}

TEST(RetainedEventsTest, AnEventLargerThanTheBoundLeavesTheHistoryEmpty) {
  RetainedEvents history(100, 250);
  history.Append(MakeEvent(1, 100));
  history.Append(MakeEvent(2, 300));
  EXPECT_EQ(history.size(), 0u);
  EXPECT_EQ(history.bytes(), 0u);
  EXPECT_EQ(history.earliest(2), 3u);
}

// An event lost before it reached the history (a failure on the I/O thread) must not be replayed around:
// the history starts again after the gap, so a resume from before it is told too_old.
TEST(RetainedEventsTest, AGapInTheSequenceStartsTheHistoryAgain) {
  RetainedEvents history(100, 1 << 20);
  history.Append(MakeEvent(1));
  history.Append(MakeEvent(2));
  history.Append(MakeEvent(4));
  EXPECT_EQ(history.earliest(4), 4u);
  EXPECT_EQ(history.bytes(), 100u);
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(4));
}

TEST(RetainedEventsTest, ZeroMaxEventsKeepsNothing) {
  RetainedEvents history(0, 1 << 20);
  history.Append(MakeEvent(1));
  EXPECT_EQ(history.size(), 0u);
  EXPECT_EQ(history.earliest(1), 2u);
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre());
}

TEST(RetainedEventsTest, EarliestOfAnEmptyHistoryIsTheNextSequence) {
  const RetainedEvents history(10, 1000);
  EXPECT_EQ(history.earliest(0), 1u);
  EXPECT_EQ(history.earliest(41), 42u);
}

TEST(RetainedEventsTest, AfterReturnsTheEventsAboveTheCursorInOrder) {
  RetainedEvents history(10, 1 << 20);
  for (uint64_t sequence = 11; sequence <= 15; ++sequence) history.Append(MakeEvent(sequence));
  EXPECT_THAT(SequencesAfter(history, 10), ElementsAre(11, 12, 13, 14, 15));
  EXPECT_THAT(SequencesAfter(history, 13), ElementsAre(14, 15));
  EXPECT_THAT(SequencesAfter(history, 15), ElementsAre());
  EXPECT_THAT(SequencesAfter(history, 3), ElementsAre(11, 12, 13, 14, 15));
}

// Compressed frames are built at delivery, after the event was appended: they count against the byte bound
// from then on, and leave with the event.
TEST(RetainedEventsTest, CompressedFramesCountAgainstTheByteBoundWhenBuilt) {
  MessageDeflater deflater;
  const size_t frame_bytes = MakeCompressibleEvent(1)->frame.size();
  const size_t bound = 3 * frame_bytes + 10;
  RetainedEvents history(100, bound);
  const auto total_of_retained = [&] {
    size_t total = 0;
    for (const EventPtr& event : history.After(0)) total += RetainedEvents::BytesOf(*event);
    return total;
  };
  std::vector<EventPtr> events;
  for (uint64_t sequence = 1; sequence <= 3; ++sequence) {
    events.push_back(MakeCompressibleEvent(sequence));
    history.Append(events.back());
  }
  ASSERT_EQ(history.bytes(), 3 * frame_bytes);

  Deliver(history, events[2], 15, deflater);
  const size_t compressed = events[2]->compressed_frames.bytes();
  ASSERT_GT(compressed, 10u);
  ASSERT_LT(compressed, frame_bytes);
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(2, 3)) << "the oldest goes to make room";
  EXPECT_EQ(history.bytes(), 2 * frame_bytes + compressed);
  Deliver(history, events[2], 15, deflater);  // Already built: nothing more.
  EXPECT_EQ(history.bytes(), 2 * frame_bytes + compressed);

  // Frames of an event no longer retained, or of a copy rebuilt from the durable log, are not counted.
  Deliver(history, events[0], 15, deflater);
  const EventPtr rebuilt = MakeCompressibleEvent(2);
  Deliver(history, rebuilt, 15, deflater);
  EXPECT_EQ(history.bytes(), 2 * frame_bytes + compressed);

  // Every window size in use adds a copy; the bound holds, and the count is what the events hold.
  for (int window_bits = kMinWindowBits; window_bits <= kMaxWindowBits; ++window_bits) {
    Deliver(history, events[1], window_bits, deflater);
    EXPECT_LE(history.bytes(), bound);
    EXPECT_EQ(history.bytes(), total_of_retained());
  }
  for (uint64_t sequence = 4; sequence <= 6; ++sequence) {
    events.push_back(MakeCompressibleEvent(sequence));
    history.Append(events.back());
    Deliver(history, events.back(), 12, deflater);
    EXPECT_LE(history.bytes(), bound);
    EXPECT_EQ(history.bytes(), total_of_retained());
  }
  EXPECT_THAT(SequencesAfter(history, 0), ElementsAre(5, 6));
}

}  // namespace
}  // namespace armorclaw::eventbus
