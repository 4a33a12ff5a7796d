#ifndef ARMORCLAW_HOST_SHIM_LINE_SPLITTER_H_
#define ARMORCLAW_HOST_SHIM_LINE_SPLITTER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace armorclaw::host {

// One line of newline-delimited input, without its "\n" or "\r\n".
struct Line {
  uint64_t number = 0;    // 1-based, counting every line including skipped ones.
  std::string_view text;  // Valid only during the callback; empty when too_long.
  bool too_long = false;  // The line exceeded the limit and was discarded.
};

// Splits a byte stream that arrives in arbitrary chunks into lines. Lines made only of whitespace
// are skipped (numbers still count them). A line longer than the limit is reported once with
// too_long set and discarded, so one runaway line cannot exhaust memory.
class LineSplitter {
 public:
  // Well above the 1 MiB lines the host must handle; events that big are the plugin's to judge.
  static constexpr size_t kDefaultMaxLineBytes = size_t{16} << 20;

  // Returns false to stop: the rest of the chunk is dropped.
  using LineCallback = absl::FunctionRef<bool(const Line&)>;

  explicit LineSplitter(size_t max_line_bytes = kDefaultMaxLineBytes)
      : max_line_bytes_(max_line_bytes) {}

  // Emits every line that `chunk` completes. Returns false if a callback did.
  bool Feed(std::string_view chunk, LineCallback on_line);

  // At end of input: emits a last line that had no newline. Returns false if the callback did.
  bool Finish(LineCallback on_line);

 private:
  bool Emit(std::string_view text, LineCallback on_line);
  void Append(std::string_view piece);

  size_t max_line_bytes_;
  uint64_t next_number_ = 1;
  std::string partial_;
  bool overflowed_ = false;  // The current line passed the limit; drop it up to its newline.
};

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_LINE_SPLITTER_H_
