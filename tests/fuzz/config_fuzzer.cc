// Any configuration the host can hand over: each line "key=value" becomes one entry. Validation accepts
// or refuses with a message; it never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "plugin/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  armorclaw::eventbus::ConfigEntries entries;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    const size_t equals = line.find('=');
    entries.emplace_back(line.substr(0, equals), equals == std::string_view::npos ? "" : line.substr(equals + 1));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
  }
  (void)armorclaw::eventbus::ParseConfig(entries, [](std::string_view) {});
  return 0;
}
