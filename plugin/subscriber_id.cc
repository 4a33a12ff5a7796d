#include "plugin/subscriber_id.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace armorclaw::eventbus {

std::string NewSubscriberId() {
  std::array<char, 16> random;
  size_t filled = 0;
  while (filled < random.size()) {
    const ssize_t got = getrandom(random.data() + filled, random.size() - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    // Only a kernel without getrandom fails here; the caller answers server_error.
    if (got < 0) throw std::runtime_error("getrandom failed");
    filled += static_cast<size_t>(got);
  }
  return absl::StrCat("sub-", absl::BytesToHexString(absl::string_view(random.data(), random.size())));
}

}  // namespace armorclaw::eventbus
