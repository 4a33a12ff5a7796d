// The durable event log: the dispatched events as segment files in the format of the bridge's own
// `pkg/eventlog`, so that its `events.replay` / `events.stream` RPC serves our files unchanged.
//
//   DIR/%016d.log   one segment, named by the first offset it holds (decimal, zero-padded to 16 digits);
//                   records back to back: 4 bytes little-endian payload length, 4 bytes little-endian
//                   CRC-32 (IEEE, zlib's crc32) of the payload, then the payload, a JSON object
//                   {"offset":N,"timestamp":NS,"type":"T","payload":EVENT}, offset = our sequence.
//   DIR/epoch       the epoch (subscribe's "since") naming the unbroken history the segments hold.
//
// The epoch is kept across restarts and changes only when records were lost: a torn or corrupt tail cut
// at recovery, segments without an epoch file (a write failed, so the files may lack events clients saw),
// or no segments at all (a wiped or new log: numbering starts again at 1).
//
// Threads: Open, Append and Sync from one thread (the log writer); Read and the accessors from any thread,
// concurrently with them (Read opens the segments itself and reads only records at or below `to`, which
// the caller knows Append has completed).
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_DURABLE_LOG_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_DURABLE_LOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace armorclaw::eventbus {

struct DurableLogOptions {
  std::string dir;  // Created (one level) if missing.
  // A segment is closed and the next begun before a record would take it past this many bytes (a record
  // larger than it gets a segment of its own).
  uint64_t max_segment_bytes = uint64_t{64} << 20;
  // 0: every segment is kept. Otherwise the oldest whole segments are deleted while the segments total more
  // than this; the one being written is never deleted.
  uint64_t retention_bytes = 0;
};

// One record to append; the views must stay valid for the call.
struct LogRecordView {
  uint64_t offset = 0;
  int64_t timestamp_ns = 0;  // Unix time in nanoseconds (when publish accepted the event).
  std::string_view type;     // Written as a JSON string.
  std::string_view payload;  // The event's JSON text as clients receive it, written verbatim.
};

// One record read back. For a record this log wrote, `payload` is byte for byte the text appended.
struct LogRecord {
  uint64_t offset = 0;
  int64_t timestamp_ns = 0;
  std::string type;
  std::string payload;
};

// What Open found and did.
struct LogRecovery {
  uint64_t truncated_bytes = 0;  // Cut from the end of the last segment: a torn or corrupt tail.
  bool epoch_changed = false;    // The epoch was drawn anew (see the top of this file for when).
};

class DurableLog {
 public:
  // Creates the directory if missing, scans the last segment and truncates it after its last good record,
  // then reads or draws the epoch (writing it durably). Fails with an error naming the directory or file.
  static absl::StatusOr<std::unique_ptr<DurableLog>> Open(const DurableLogOptions& options);
  ~DurableLog();

  const std::string& epoch() const;
  const LogRecovery& recovery() const;
  // The oldest and newest offsets held (both 0 when empty). Safe from any thread.
  uint64_t first_offset() const;
  uint64_t last_offset() const;
  uint64_t bytes() const;    // Of every segment.
  size_t segments() const;

  // Hands the records to the kernel (one write per segment touched), rotating and applying retention.
  // `records` carry consecutive offsets starting at last_offset() + 1. On a failure (disk full, say) the
  // log is broken for good: the epoch file is removed, so that the next Open draws a new epoch, and every
  // later Append fails at once with the first error.
  absl::Status Append(std::span<const LogRecordView> records);
  // fdatasync of the segment being written (and of the directory after a rotation).
  absl::Status Sync();

  // Calls `visit` for each record with from <= offset <= to, in order, until it returns false: the records
  // after that one are not read from disk at all (a caller that has what it needs pays for no more). Fails
  // on a CRC mismatch, a malformed record or a missing segment met before then, naming the file.
  absl::Status Read(uint64_t from, uint64_t to, const std::function<bool(LogRecord&&)>& visit) const;

 private:
  struct State;
  explicit DurableLog(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_DURABLE_LOG_H_
