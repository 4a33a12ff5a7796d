// Reads the frames of one segment file in order, in large preads rather than one read per record, so that
// recovery and replay from disk stream through a file instead of paying a system call per event.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_SEGMENT_READER_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_SEGMENT_READER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "plugin/history/log_record.h"

namespace armorclaw::eventbus {

class SegmentReader {
 public:
  // Reads [0, size) of `fd` (not owned; `size` from fstat, so a record half-written later is not chased).
  SegmentReader(int fd, uint64_t size) : fd_(fd), size_(size) {}

  uint64_t position() const { return position_; }  // File offset of the next frame.
  bool AtEnd() const { return position_ == size_; }

  // The next frame (its `json` valid until the next call); a complete one is consumed. Torn: the file ends
  // inside it. Fails only when pread does (the message names no file: the caller knows it).
  absl::StatusOr<LogFrame> Next();

 private:
  // Makes at least `wanted` unread bytes buffered, or all the file has left.
  absl::Status Fill(uint64_t wanted);
  std::string_view Buffered() const { return std::string_view(buffer_).substr(begin_, end_ - begin_); }

  int fd_;
  uint64_t size_;
  uint64_t position_ = 0;  // Of buffer_[begin_] in the file.
  std::string buffer_;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_HISTORY_SEGMENT_READER_H_
