#include "plugin/ingest_queue.h"

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
    // What can fail (allocating) comes before the number is taken, so that a failed push leaves no gap.
    waiting_.reserve(waiting_.size() + 1);
    SealEvent(*event, last_sequence_ + 1);
    ++last_sequence_;
    waiting_.push_back(std::move(event));
    wake = !std::exchange(drain_pending_, true);
  }
  if (wake) {
    try {
      wake_();
    } catch (...) {
      // The event is queued but no drain is: the next push must try again, or the queue would fill up
      // with nobody draining it.
      std::lock_guard lock(mutex_);
      drain_pending_ = false;
    }
  }
  return PushResult::kAccepted;
}

void IngestQueue::Drain(std::vector<EventPtr>& out) {
  std::lock_guard lock(mutex_);
  drain_pending_ = false;
  MoveEventsTo(waiting_, out);
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
