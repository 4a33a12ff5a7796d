#include "plugin/history/log_writer.h"

#include <algorithm>
#include <cstdint>
#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"

namespace armorclaw::eventbus {

LogWriter::LogWriter(DurableLog& log, IngestQueue& queue, LogFsync fsync, absl::Duration fsync_interval,
                     size_t max_logged, std::function<void()> ready, HostLog host_log, Counters& counters)
    : log_(log),
      queue_(queue),
      fsync_(fsync),
      fsync_interval_(absl::ToChronoNanoseconds(fsync_interval)),
      max_logged_(max_logged),
      ready_(std::move(ready)),
      host_log_(host_log),
      counters_(counters) {
  RecordLogFigures();
}

void LogWriter::Wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  wake_.notify_one();
}

void LogWriter::Stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
}

void LogWriter::Run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto due = [this] { return woken_ || stopping_; };
    if (unsynced_) {
      wake_.wait_until(lock, sync_due_, due);
    } else {
      wake_.wait(lock, due);
    }
    const bool stopping = stopping_;
    woken_ = false;
    lock.unlock();
    try {
      // After stop was asked, the queue is closed: this drain takes the last of what was published, room or
      // not (the queue bounded it).
      const size_t room = stopping ? SIZE_MAX : RoomForLogged();
      if (room > 0) queue_.Drain(batch_, DrainLimit{.events = room});
      if (!batch_.empty()) WriteAndHandOver();
      // A graceful stop makes the tail durable too; "never" leaves it to the kernel even then.
      if (unsynced_ && (stopping || Clock::now() >= sync_due_)) Sync();
    } catch (const std::exception& error) {
      // Out of memory, say: the batch is lost to clients (the history starts again after the gap); the
      // writer goes on.
      batch_.clear();
      host_log_.Error(absl::StrCat("internal error on the durable log's thread: ", error.what()));
    }
    lock.lock();
    if (stopping) {
      stopping_ = false;  // So that Run may serve a later start.
      return;
    }
  }
}

void LogWriter::WriteAndHandOver() {
  if (healthy()) {
    records_.clear();
    records_.reserve(batch_.size());
    for (const EventPtr& event : batch_) {
      records_.push_back(LogRecordView{.offset = event->sequence,
                                       .timestamp_ns = event->received_ns,
                                       .type = event->type,
                                       .payload = event->payload()});
    }
    if (absl::Status status = log_.Append(records_); !status.ok()) {
      // Released before the warning, so that a replay on the I/O thread stops reading the log at once.
      healthy_.store(false, std::memory_order_release);
      Increment(counters_.log_write_errors);
      host_log_.Warn(absl::StrCat("durable log: ", status.message(),
                                  "; the log is off until the next start (which begins a new epoch), "
                                  "live events go on from memory"));
      unsynced_ = false;
    } else {
      RecordLogFigures();
      if (fsync_ == LogFsync::kAlways) {
        Sync();
      } else if (fsync_ == LogFsync::kInterval && !unsynced_) {
        unsynced_ = true;
        sync_due_ = std::max(Clock::now(), last_sync_ + fsync_interval_);
      }
    }
  }
  bool notify = false;
  {
    std::lock_guard lock(logged_mutex_);
    MoveEventsTo(batch_, logged_);
    notify = !std::exchange(drain_pending_, true);
  }
  if (notify) NotifyReady();
}

void LogWriter::NotifyReady() {
  try {
    ready_();
  } catch (...) {
    // Nobody will drain: the next batch must notify again.
    std::lock_guard lock(logged_mutex_);
    drain_pending_ = false;
    throw;
  }
}

size_t LogWriter::RoomForLogged() {
  std::lock_guard lock(logged_mutex_);
  // The queue's age bound holds here too: while the oldest logged event waits too long, the writer takes
  // nothing, so that the queue's own oldest event ages and publish is refused there.
  const bool behind = !logged_.empty() && queue_.WaitedTooLong(*logged_.front(), Clock::now());
  const size_t room = !behind && logged_.size() < max_logged_ ? max_logged_ - logged_.size() : 0;
  waiting_for_room_ = room == 0;
  return room;
}

bool LogWriter::Drain(std::vector<EventPtr>& out, DrainLimit limit) {
  bool more = false;
  bool writer_waits = false;
  {
    std::lock_guard lock(logged_mutex_);
    // Still pending when events are left: no batch notifies a second drain while this one asks for the next.
    more = drain_pending_ = MoveSliceTo(logged_, limit, out);
    writer_waits = std::exchange(waiting_for_room_, false);
  }
  if (writer_waits) Wake();
  if (!more) return false;
  try {
    NotifyReady();
  } catch (...) {
    // The slice taken is dispatched all the same; the rest goes with the writer's next batch.
  }
  return true;
}

void LogWriter::Sync() {
  unsynced_ = false;
  last_sync_ = Clock::now();
  if (!healthy()) return;
  if (absl::Status status = log_.Sync(); !status.ok()) {
    // What the kernel holds may not reach the disk; the records are still readable, so the log stays on.
    Increment(counters_.log_write_errors);
    if (!std::exchange(sync_failure_warned_, true)) {
      host_log_.Warn(absl::StrCat("durable log: fsync failed: ", status.message(),
                                  " (warned once; log_write_errors counts every failure)"));
    }
    return;
  }
  Increment(counters_.log_fsyncs);
}

void LogWriter::RecordLogFigures() {
  counters_.log_bytes.store(log_.bytes(), std::memory_order_relaxed);
  counters_.log_segments.store(log_.segments(), std::memory_order_relaxed);
  counters_.log_earliest_sequence.store(log_.first_offset(), std::memory_order_relaxed);
}

}  // namespace armorclaw::eventbus
