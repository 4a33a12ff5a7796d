#include "plugin/ingest_queue.h"

#include <cstdint>
#include <iterator>
#include <utility>

#include "plugin/event_ingest.h"

namespace armorclaw::eventbus {

IngestQueue::IngestQueue(size_t capacity, std::function<void()> wake, uint64_t last_sequence)
    : capacity_(capacity), wake_(std::move(wake)), last_sequence_(last_sequence) {}

IngestQueue::PushResult IngestQueue::Push(std::shared_ptr<Event> event) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (!open_) return PushResult::kClosed;
    if (waiting_.size() >= capacity_) return PushResult::kFull;
    if (!waiting_.empty() && WaitedTooLong(*waiting_.front(), event->accepted)) return PushResult::kBehind;
    // What can fail (allocating) comes before the number is taken, so that a failed push leaves no gap.
    waiting_.reserve(waiting_.size() + 1);
    SealEvent(*event, last_sequence_ + 1);
    ++last_sequence_;
    waiting_.push_back(std::move(event));
    wake = !std::exchange(drain_pending_, true);
  }
  if (wake) Wake();
  return PushResult::kAccepted;
}

void IngestQueue::set_max_delay(std::chrono::nanoseconds max_delay) {
  max_delay_ns_.store(max_delay.count(), std::memory_order_relaxed);
}

std::chrono::nanoseconds IngestQueue::max_delay() const {
  return std::chrono::nanoseconds(max_delay_ns_.load(std::memory_order_relaxed));
}

bool IngestQueue::WaitedTooLong(const Event& oldest, std::chrono::steady_clock::time_point now) const {
  const std::chrono::nanoseconds limit = max_delay();
  return limit.count() > 0 && now - oldest.accepted > limit;
}

void IngestQueue::Wake() {
  try {
    wake_();
  } catch (...) {
    // Events are queued but no drain is: the next push must try again, or the queue would fill up with
    // nobody draining it.
    std::lock_guard lock(mutex_);
    drain_pending_ = false;
  }
}

bool IngestQueue::Drain(std::vector<EventPtr>& out, DrainLimit limit) {
  bool more = false;
  {
    std::lock_guard lock(mutex_);
    // Still pending when events are left: no push wakes a second drain while this one asks for the next.
    more = drain_pending_ = MoveSliceTo(waiting_, limit, out);
  }
  if (more) Wake();
  return more;
}

bool MoveSliceTo(std::vector<EventPtr>& from, DrainLimit limit, std::vector<EventPtr>& out) {
  size_t count = 0;
  size_t bytes = 0;
  while (count < from.size() && count < limit.events) {
    bytes += from[count]->frame.size();
    if (count > 0 && bytes > limit.bytes) break;
    ++count;
  }
  if (count == from.size()) {
    MoveEventsTo(from, out);
    return false;
  }
  // The rest moves to the front: linear in what is left, once per slice (cheap beside dispatching a slice).
  out.insert(out.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.begin() + count));
  from.erase(from.begin(), from.begin() + count);
  return true;
}

void MoveEventsTo(std::vector<EventPtr>& from, std::vector<EventPtr>& out) {
  if (out.empty()) {
    out.swap(from);
  } else {
    out.insert(out.end(), std::make_move_iterator(from.begin()), std::make_move_iterator(from.end()));
    from.clear();
  }
}

void IngestQueue::Open() {
  std::lock_guard lock(mutex_);
  open_ = true;
}

void IngestQueue::Close() {
  std::lock_guard lock(mutex_);
  open_ = false;
}

uint64_t IngestQueue::last_sequence() const {
  std::lock_guard lock(mutex_);
  return last_sequence_;
}

size_t IngestQueue::depth() const {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace armorclaw::eventbus
