#include "plugin/history/segment_reader.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace armorclaw::eventbus {
namespace {

constexpr uint64_t kReadChunkBytes = uint64_t{1} << 20;

}  // namespace

absl::Status SegmentReader::Fill(uint64_t wanted) {
  const uint64_t file_left = size_ - position_;
  wanted = std::min(wanted, file_left);
  if (end_ - begin_ >= wanted) return absl::OkStatus();
  // Unread bytes to the front, then room for a whole chunk (or the one large record asked for).
  buffer_.erase(0, begin_);
  end_ -= begin_;
  begin_ = 0;
  const uint64_t capacity = std::min(std::max(wanted, kReadChunkBytes), file_left);
  if (buffer_.size() < capacity) buffer_.resize(capacity);
  while (end_ < wanted) {
    const uint64_t at = position_ + end_;
    const size_t room = static_cast<size_t>(std::min<uint64_t>(buffer_.size() - end_, size_ - at));
    const ssize_t got = ::pread(fd_, buffer_.data() + end_, room, static_cast<off_t>(at));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return absl::ErrnoToStatus(errno, "cannot read");
    if (got == 0) {
      size_ = at;  // The file shrank under us: what is left is torn.
      break;
    }
    end_ += static_cast<size_t>(got);
  }
  return absl::OkStatus();
}

absl::StatusOr<LogFrame> SegmentReader::Next() {
  if (absl::Status filled = Fill(kLogFrameHeaderBytes); !filled.ok()) return filled;
  LogFrame frame = SplitLogFrame(Buffered());
  if (frame.outcome == LogFrame::Outcome::kTorn && end_ - begin_ >= kLogFrameHeaderBytes) {
    if (absl::Status filled = Fill(kLogFrameHeaderBytes + uint64_t{frame.length}); !filled.ok()) return filled;
    frame = SplitLogFrame(Buffered());
  }
  if (frame.outcome == LogFrame::Outcome::kComplete) {
    begin_ += frame.size;
    position_ += frame.size;
  }
  return frame;
}

}  // namespace armorclaw::eventbus
