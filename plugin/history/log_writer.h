// The log writer: with the durable log on, the thread between the ingest queue and the I/O thread. It takes
// each batch the publishers queued, hands its records to the kernel (DurableLog::Append), makes them
// durable as the fsync policy says, and only then passes the batch on for dispatch: no client ever holds a
// sequence the log lacks after a process crash (write before deliver). Publish never waits for it (the
// queue is between), and the I/O thread never touches the disk for writing.
//
// A failed append (disk full, an unwritable directory) is warned about once and counted; the log stays off
// for the rest of the run (DurableLog's rule: the next start draws a new epoch) and the batches are passed
// on all the same, so live delivery goes on from memory.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_LOG_WRITER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_LOG_WRITER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

#include "absl/time/time.h"
#include "plugin/config.h"
#include "plugin/counters.h"
#include "plugin/event.h"
#include "plugin/history/durable_log.h"
#include "plugin/host_log.h"
#include "plugin/ingest_queue.h"

namespace armorclaw::eventbus {

class LogWriter {
 public:
  // `log` and `queue` outlive the writer. `ready` is called (on the writer thread) when logged events wait
  // and no Drain is pending; like the queue's wake, it must arrange for Drain to be called soon without
  // blocking. The batches logged meanwhile are taken together, so that the I/O thread dispatches (and
  // writes to each socket) as much at once as it would without the log. At most `max_logged` logged events
  // wait for Drain (the queue's capacity): beyond that the writer takes nothing more from the queue until
  // Drain makes room, so that the queue fills and publish answers busy, as it does without the log, and
  // an I/O thread slower than the publishers never makes the writer hold an unbounded backlog. The same
  // holds while the oldest logged event has waited longer than the queue's age bound (max_ingest_delay).
  LogWriter(DurableLog& log, IngestQueue& queue, LogFsync fsync, absl::Duration fsync_interval, size_t max_logged,
            std::function<void()> ready, HostLog host_log, Counters& counters);

  // Any thread, never blocks for long: events wait in the queue (the queue's wake).
  void Wake();
  // The writer thread's body: returns after Stop, once what was queued before it has been written and
  // passed on. May be called again after it returned (a failed start is retried).
  void Run();
  // Any thread, after the queue was closed: makes Run finish. Run may still be inside a write; a disk that
  // never answers keeps it there (stop then waits for the kernel, as any writer of that disk would).
  void Stop();

  // Consumer side (the I/O thread): moves the logged events, in sequence order, to the end of `out`, as
  // many as `limit` allows. When some are left, `ready` is called again (from this thread) for the rest;
  // returns whether some are.
  bool Drain(std::vector<EventPtr>& out, DrainLimit limit = {});

  // False once an append failed: the log holds nothing after it, so no replay may read from it. Any thread.
  bool healthy() const { return healthy_.load(std::memory_order_acquire); }
  const DurableLog& log() const { return log_; }

 private:
  using Clock = std::chrono::steady_clock;

  // Appends the drained batch (unless the log broke) and hands it to Drain.
  void WriteAndHandOver();
  // Calls ready_ for a drain that was marked pending; if it fails, unmarks it and rethrows.
  void NotifyReady();
  void Sync();
  void RecordLogFigures();
  // How many more events may be logged before Drain takes some; when none, Drain wakes the writer later.
  size_t RoomForLogged();

  DurableLog& log_;
  IngestQueue& queue_;
  const LogFsync fsync_;
  const Clock::duration fsync_interval_;
  const size_t max_logged_;
  const std::function<void()> ready_;
  const HostLog host_log_;
  Counters& counters_;
  std::atomic<bool> healthy_{true};

  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;     // Guarded by mutex_.
  bool stopping_ = false;  // Guarded by mutex_.

  std::mutex logged_mutex_;
  std::vector<EventPtr> logged_;  // Guarded by logged_mutex_: logged, waiting for Drain.
  bool drain_pending_ = false;    // Guarded by logged_mutex_.
  bool waiting_for_room_ = false;  // Guarded by logged_mutex_: the writer found logged_ full.

  // Writer thread only.
  std::vector<EventPtr> batch_;
  std::vector<LogRecordView> records_;
  bool unsynced_ = false;        // Written since the last fsync (the interval policy).
  Clock::time_point sync_due_;   // When unsynced_: the earliest the next fsync may run.
  Clock::time_point last_sync_ = Clock::time_point::min();  // None yet: the first write is synced at once.
  bool sync_failure_warned_ = false;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_LOG_WRITER_H_
