// The last events the I/O thread dispatched, kept so that a client that reconnects can be sent what it
// missed (subscribe's "since"). Bounded by a count and by bytes; the oldest go first. It holds the very
// EventPtr built for live delivery, so a retained event costs its frame once, not twice. I/O thread only.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RETAINED_EVENTS_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RETAINED_EVENTS_H_

#include <cstddef>
#include <cstdint>
#include <deque>

#include "plugin/event.h"

namespace armorclaw::eventbus {

class RetainedEvents {
 public:
  // At most `max_events` events (0: nothing is kept) whose frames total at most `max_bytes`.
  RetainedEvents(size_t max_events, size_t max_bytes);

  // `event` is the newest: its sequence is above every retained one. When it does not follow the newest
  // retained one, the history starts again with it.
  void Append(EventPtr event);
  // New bounds (a reconfiguration): the oldest events go until the retained ones are within them.
  void SetBounds(size_t max_events, size_t max_bytes);
  // `event`'s compressed frames grew by `added` bytes (Session::Enqueue built one for a receiver's window
  // size): counted if the event is retained, and the oldest go while over the bounds. Nothing if it is not
  // (it left the history already, or it is a copy rebuilt from the durable log).
  void CompressedFramesGrew(const Event& event, size_t added);

  // The oldest retained sequence; with nothing retained, the one after `head` (the next to come), so
  // that "everything after earliest - 1" always names what is here.
  uint64_t earliest(uint64_t head) const;
  // The retained events whose sequence is above `after`, oldest first.
  // (A plain begin/end pair: clang 14, which builds the fuzzers, cannot compile libstdc++ 12's
  // std::ranges::subrange.)
  struct Range {
    std::deque<EventPtr>::const_iterator first, last;
    std::deque<EventPtr>::const_iterator begin() const { return first; }
    std::deque<EventPtr>::const_iterator end() const { return last; }
  };
  Range After(uint64_t after) const;

  size_t size() const { return events_.size(); }
  size_t bytes() const { return bytes_; }

  // What an event counts against max_bytes: its frames, plain and compressed, the bulk of what it holds.
  // The compressed ones are built on the I/O thread at the event's first delivery to a receiver of each
  // window size, usually after Append counted the event: CompressedFramesGrew counts them as they come.
  // (Counted rather than dropped from retained events: a frame may still be queued to a socket by
  // reference, and a replay to compressing clients would then deflate each event again.)
  static size_t BytesOf(const Event& event) { return event.frame.size() + event.compressed_frames.bytes(); }

 private:
  // Drops the oldest events until the rest are within the bounds.
  void Trim();

  size_t max_events_;
  size_t max_bytes_;
  std::deque<EventPtr> events_;
  size_t bytes_ = 0;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_RETAINED_EVENTS_H_
