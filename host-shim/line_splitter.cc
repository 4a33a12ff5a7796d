#include "host-shim/line_splitter.h"

#include "absl/strings/ascii.h"
#include "common/string_view_compat.h"

namespace armorclaw::host {

bool LineSplitter::Feed(std::string_view chunk, LineCallback on_line) {
  while (!chunk.empty()) {
    const size_t newline = chunk.find('\n');
    if (newline == std::string_view::npos) {
      Append(chunk);
      return true;
    }
    const std::string_view piece = chunk.substr(0, newline);
    chunk.remove_prefix(newline + 1);
    bool keep_going;
    if (partial_.empty() && !overflowed_ && piece.size() <= max_line_bytes_) {
      keep_going = Emit(piece, on_line);  // The common case: the line is whole within the chunk.
    } else {
      Append(piece);
      keep_going = Emit(partial_, on_line);
    }
    partial_.clear();
    overflowed_ = false;
    if (!keep_going) return false;
  }
  return true;
}

bool LineSplitter::Finish(LineCallback on_line) {
  if (partial_.empty() && !overflowed_) return true;
  const bool keep_going = Emit(partial_, on_line);
  partial_.clear();
  overflowed_ = false;
  return keep_going;
}

void LineSplitter::Append(std::string_view piece) {
  if (overflowed_) return;
  if (partial_.size() + piece.size() > max_line_bytes_) {
    overflowed_ = true;
    partial_.clear();
    partial_.shrink_to_fit();  // Give the memory back now, not at the next long line.
    return;
  }
  partial_.append(piece);
}

bool LineSplitter::Emit(std::string_view text, LineCallback on_line) {
  const uint64_t number = next_number_++;
  if (overflowed_) return on_line(Line{number, {}, true});
  if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
  if (absl::StripAsciiWhitespace(ToAbsl(text)).empty()) return true;
  return on_line(Line{number, text, false});
}

}  // namespace armorclaw::host
