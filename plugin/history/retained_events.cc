#include "plugin/history/retained_events.h"

#include <algorithm>
#include <utility>

namespace armorclaw::eventbus {

RetainedEvents::RetainedEvents(size_t max_events, size_t max_bytes)
    : max_events_(max_events), max_bytes_(max_bytes) {}

void RetainedEvents::Append(EventPtr event) {
  if (max_events_ == 0) return;
  // The history is one unbroken run of sequence numbers, so that a replay from it is never partial: after a
  // gap (an event lost to a failure before it got here), what came before cannot be resumed across.
  if (!events_.empty() && event->sequence != events_.back()->sequence + 1) {
    events_.clear();
    bytes_ = 0;
  }
  const size_t bytes = BytesOf(*event);
  events_.push_back(std::move(event));
  bytes_ += bytes;
  // An event larger than max_bytes on its own leaves nothing behind, itself included: the history then
  // starts after it, which "earliest" tells a resuming client.
  Trim();
}

void RetainedEvents::SetBounds(size_t max_events, size_t max_bytes) {
  max_events_ = max_events;
  max_bytes_ = max_bytes;
  Trim();
}

void RetainedEvents::CompressedFramesGrew(const Event& event, size_t added) {
  if (events_.empty() || event.sequence < events_.front()->sequence || event.sequence > events_.back()->sequence) {
    return;
  }
  // One unbroken run of sequences (Append): the event's place is its distance from the oldest. The same
  // sequence may be another Event, rebuilt from the durable log for a replay.
  if (events_[event.sequence - events_.front()->sequence].get() != &event) return;
  bytes_ += added;
  Trim();
}

void RetainedEvents::Trim() {
  while (!events_.empty() && (events_.size() > max_events_ || bytes_ > max_bytes_)) {
    bytes_ -= BytesOf(*events_.front());
    events_.pop_front();
  }
}

uint64_t RetainedEvents::earliest(uint64_t head) const {
  return events_.empty() ? head + 1 : events_.front()->sequence;
}

RetainedEvents::Range RetainedEvents::After(uint64_t after) const {
  const auto first = std::upper_bound(events_.begin(), events_.end(), after,
                                      [](uint64_t sequence, const EventPtr& event) { return sequence < event->sequence; });
  return {first, events_.end()};
}

}  // namespace armorclaw::eventbus
