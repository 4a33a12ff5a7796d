// Debian 12 builds Abseil in C++14 mode, so absl::string_view is Abseil's own type rather than an alias
// of std::string_view; these convert at the seams.
#ifndef ARMORCLAW_COMMON_STRING_VIEW_COMPAT_H_
#define ARMORCLAW_COMMON_STRING_VIEW_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace armorclaw {

inline absl::string_view ToAbsl(std::string_view text) { return absl::string_view(text.data(), text.size()); }
inline std::string_view ToStd(absl::string_view text) { return std::string_view(text.data(), text.size()); }

}  // namespace armorclaw

#endif  // ARMORCLAW_COMMON_STRING_VIEW_COMPAT_H_
