// One record of the durable log, in the bridge's `pkg/eventlog` framing (see durable_log.h):
//   4 bytes little-endian payload length, 4 bytes little-endian CRC-32 (zlib) of the payload, the payload:
//   {"offset":N,"timestamp":NS,"type":"T","payload":EVENT}
// Encoding and decoding only; files are durable_log.cc's and segment_reader.cc's business.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_LOG_RECORD_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_LOG_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "plugin/history/durable_log.h"

namespace armorclaw::eventbus {

inline constexpr size_t kLogFrameHeaderBytes = 8;

// Appends the framed record to `out`. The payload is written verbatim (it is the caller's JSON text).
void EncodeLogRecord(const LogRecordView& record, std::string& out);

// The frame found at the start of some bytes: its JSON text is not parsed (see ParseLogRecordJson).
struct LogFrame {
  enum class Outcome {
    kComplete,  // `json` and `size` are set.
    kTorn,      // The bytes end inside the frame: more may follow (a write in progress) or it was cut.
    kCorrupt,   // The CRC does not match: `problem` says so.
  };
  Outcome outcome = Outcome::kTorn;
  size_t size = 0;        // Header and payload, when complete.
  uint32_t length = 0;    // The payload length the header claims (set unless fewer than 8 bytes).
  std::string_view json;  // Into the bytes given.
  std::string problem;
};
LogFrame SplitLogFrame(std::string_view bytes);

// The record a frame's JSON text holds. For a record in our member order (EncodeLogRecord's) the payload
// is the exact text between `"payload":` and the final `}`; for another writer's order it is Boost.JSON's
// serialization of the parsed payload. Fails on malformed JSON or a missing or mistyped member.
absl::StatusOr<LogRecord> ParseLogRecordJson(std::string_view json);

// The two above: complete, torn, or corrupt (a bad CRC or bad JSON, `problem` set).
struct DecodedLogRecord {
  LogFrame::Outcome outcome = LogFrame::Outcome::kTorn;
  size_t size = 0;
  LogRecord record;
  std::string problem;
};
DecodedLogRecord DecodeLogRecord(std::string_view bytes);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_LOG_RECORD_H_
