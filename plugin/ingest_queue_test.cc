#include "plugin/ingest_queue.h"

#include <chrono>
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

std::shared_ptr<Event> AcceptedAt(std::chrono::steady_clock::time_point accepted) {
  auto event = NewEvent();
  event->accepted = accepted;
  return event;
}

TEST(IngestQueueTest, RefusesWhileTheOldestWaitingEventWaitedLongerThanTheMaxDelay) {
  IngestQueue queue(100, [] {});
  queue.Open();
  queue.set_max_delay(std::chrono::milliseconds(500));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(queue.Push(AcceptedAt(start)), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(queue.Push(AcceptedAt(start + std::chrono::milliseconds(500))), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(queue.Push(AcceptedAt(start + std::chrono::milliseconds(501))), IngestQueue::PushResult::kBehind);
  EXPECT_EQ(queue.last_sequence(), 2u);  // A refused event takes no number.
  EXPECT_EQ(queue.depth(), 2u);
  // Once the consumer took the oldest, the next oldest decides.
  std::vector<EventPtr> drained;
  queue.Drain(drained, DrainLimit{.events = 1});
  EXPECT_EQ(queue.Push(AcceptedAt(start + std::chrono::milliseconds(1000))), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(queue.Push(AcceptedAt(start + std::chrono::milliseconds(1001))), IngestQueue::PushResult::kBehind);
  // Zero turns the bound off; an empty queue accepts whatever the bound.
  queue.set_max_delay(std::chrono::nanoseconds(0));
  EXPECT_EQ(queue.Push(AcceptedAt(start + std::chrono::hours(1))), IngestQueue::PushResult::kAccepted);
  queue.set_max_delay(std::chrono::milliseconds(1));
  queue.Drain(drained);
  EXPECT_EQ(queue.Push(AcceptedAt(start + std::chrono::hours(2))), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(queue.last_sequence(), 5u);
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

TEST(IngestQueueTest, DrainTakesAtMostTheLimitInOrderAndWakesOnceForTheRest) {
  int wakes = 0;
  IngestQueue queue(100, [&wakes] { ++wakes; });
  queue.Open();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(wakes, 1);
  std::vector<EventPtr> drained;
  queue.Drain(drained, DrainLimit{.events = 2});
  ASSERT_EQ(drained.size(), 2u);
  EXPECT_EQ(wakes, 2);  // Events are left: the drain asks for the next one itself.
  // The drain is still pending: a push does not wake a second one.
  ASSERT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(wakes, 2);
  queue.Drain(drained, DrainLimit{.events = 2});
  queue.Drain(drained, DrainLimit{.events = 2});
  ASSERT_EQ(drained.size(), 6u);
  EXPECT_EQ(wakes, 3);  // None after the last slice, which emptied the queue.
  for (size_t i = 0; i < drained.size(); ++i) EXPECT_EQ(drained[i]->sequence, i + 1);
  EXPECT_EQ(queue.depth(), 0u);
  ASSERT_EQ(queue.Push(NewEvent()), IngestQueue::PushResult::kAccepted);
  EXPECT_EQ(wakes, 4);  // Nothing pending any more: the next push wakes.
}

TEST(IngestQueueTest, DrainStopsAtTheByteLimitButAlwaysTakesOneEvent) {
  IngestQueue queue(100, [] {});
  queue.Open();
  for (size_t size : {1000, 1000, 3000, 500}) {
    auto event = NewEvent();
    event->frame.append(size, 'x');
    ASSERT_EQ(queue.Push(std::move(event)), IngestQueue::PushResult::kAccepted);
  }
  std::vector<EventPtr> drained;
  queue.Drain(drained, DrainLimit{.bytes = 2500});  // The first two (a little over 1000 bytes each).
  ASSERT_EQ(drained.size(), 2u);
  queue.Drain(drained, DrainLimit{.bytes = 10});  // Larger than the limit alone: taken all the same.
  ASSERT_EQ(drained.size(), 3u);
  EXPECT_EQ(drained[2]->sequence, 3u);
  queue.Drain(drained, DrainLimit{.bytes = 10});
  ASSERT_EQ(drained.size(), 4u);
  EXPECT_EQ(queue.depth(), 0u);
}

}  // namespace
}  // namespace armorclaw::eventbus
