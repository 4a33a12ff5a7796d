// The bounded hand-over from publishing threads to the I/O thread. Numbering happens here, under the same
// lock that orders the queue, so sequence order is delivery order.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_INGEST_QUEUE_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_INGEST_QUEUE_H_

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "plugin/event.h"

namespace armorclaw::eventbus {

// Moves every event of `from`, in order, to the end of `out`, leaving `from` empty; swaps when `out` is
// empty, so that the two vectors trade their capacity instead of copying. For the hand-overs of batches.
void MoveEventsTo(std::vector<EventPtr>& from, std::vector<EventPtr>& out);

// How much one drain may take: the I/O thread dispatches published events in slices of this size, so that
// one pass neither holds the thread long nor builds huge per-connection batches (docs/design.md).
struct DrainLimit {
  size_t events = SIZE_MAX;
  size_t bytes = SIZE_MAX;  // Of the events' frames; the first event is taken whatever its size.
};

// Moves the first events of `from`, in order, to the end of `out`, as many as `limit` allows (at least one
// when `from` is not empty). Returns whether events are left in `from`.
bool MoveSliceTo(std::vector<EventPtr>& from, DrainLimit limit, std::vector<EventPtr>& out);

class IngestQueue {
 public:
  // kBehind: the oldest waiting event was accepted more than max_delay() before this one (the consumer is
  // behind); like kFull, the event is not taken.
  enum class PushResult { kAccepted, kFull, kBehind, kClosed };

  // `wake` is called (from a publishing thread, outside the lock) when events wait and no drain is
  // pending; it must arrange for Drain to be called soon, without blocking. The first event pushed gets
  // `last_sequence` + 1 (a durable log continues its numbering across restarts).
  IngestQueue(size_t capacity, std::function<void()> wake, uint64_t last_sequence = 0);

  // Thread-safe, never waits for the consumer. On kAccepted the event carries the next sequence number.
  PushResult Push(std::shared_ptr<Event> event);

  // Consumer side: moves the waiting events, in sequence order, to the end of `out`, as many as `limit`
  // allows. When some are left, the drain stays pending and `wake` is called again (from this thread), so
  // that the consumer comes back for the rest after whatever else it has to do; returns whether some are.
  bool Drain(std::vector<EventPtr>& out, DrainLimit limit = {});

  // The age bound (max_ingest_delay): a push is refused while the oldest event waiting here was accepted
  // more than this before it, so that under sustained overload an accepted event waits about this long at
  // most, instead of behind a full queue. Zero turns it off. Any thread; starts at zero.
  void set_max_delay(std::chrono::nanoseconds max_delay);
  std::chrono::nanoseconds max_delay() const;
  // Whether `oldest`, still waiting at `now`, waited longer than the bound. Any thread (the log writer
  // applies the same bound to what it logged).
  bool WaitedTooLong(const Event& oldest, std::chrono::steady_clock::time_point now) const;

  // Push refuses with kClosed until Open and after Close.
  void Open();
  void Close();

  uint64_t last_sequence() const;
  size_t depth() const;

 private:
  // Calls wake_ for a drain that was marked pending; if it fails, unmarks it so that the next push tries.
  void Wake();

  const size_t capacity_;
  const std::function<void()> wake_;
  std::atomic<int64_t> max_delay_ns_{0};
  mutable std::mutex mutex_;
  std::vector<EventPtr> waiting_;
  uint64_t last_sequence_ = 0;
  bool open_ = false;
  bool drain_pending_ = false;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_INGEST_QUEUE_H_
