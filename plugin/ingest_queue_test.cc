#include "plugin/ingest_queue.h"

#include <thread>

#include "gtest/gtest.h"

namespace armorclaw::eventbus {
namespace {

// As ingest leaves it: room for the frame header, the message still to be completed with the sequence.
std::shared_ptr<Event> NewEvent() {
  auto event = std::make_shared<Event>();
  event->frame.assign(Event::kHeaderRoom, '\0');
  return event;
}

TEST(IngestQueueTest, ClosedUntilOpened) {
  IngestQueue queue(4, [] {});
  EXPECT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kClosed);
  queue.Open();
  EXPECT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  queue.Close();
  EXPECT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kClosed);
}

TEST(IngestQueueTest, ContinuesAfterTheGivenLastSequence) {
  IngestQueue queue(4, [] {}, 41);
  EXPECT_EQ(queue.last_sequence(), 41u);
  queue.Open();
  ASSERT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  std::vector<EventPtr> drained;
  queue.Drain(drained);
  ASSERT_EQ(drained.size(), 1u);
  EXPECT_EQ(drained[0]->sequence, 42u);
}

TEST(IngestQueueTest, NumbersFromOneAndRefusesWhenFull) {
  int wakes = 0;
  IngestQueue queue(2, [&wakes] { ++wakes; });
  queue.Open();
  EXPECT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kFull);
  EXPECT_EQ(wakes, 1);  // One wake until the consumer drains.
  std::vector<EventPtr> drained;
  queue.Drain(drained);
  ASSERT_EQ(drained.size(), 2u);
  EXPECT_EQ(drained[0]->sequence, 1u);
  EXPECT_EQ(drained[1]->sequence, 2u);
  EXPECT_EQ(drained[1]->message(), "2}}");  // The sequence completes the message.
  EXPECT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(wakes, 2);
  EXPECT_EQ(queue.last_sequence(), 3u);
}

TEST(IngestQueueTest, ConcurrentPublishersGetDistinctConsecutiveNumbersInQueueOrder) {
  IngestQueue queue(100000, [] {});
  queue.Open();
  constexpr int kThreads = 4, kEach = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) ASSERT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
    });
  }
  std::vector<EventPtr> drained;
  while (drained.size() < kThreads * kEach) queue.Drain(drained);
  for (auto& thread : threads) thread.join();
  for (size_t i = 0; i < drained.size(); ++i) ASSERT_EQ(drained[i]->sequence, i + 1);
}

}  // namespace
}  // namespace armorclaw::eventbus
