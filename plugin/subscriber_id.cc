#include "plugin/subscriber_id.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <stdexcept>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace armorclaw::eventbus {
namespace {

// 128 bits as 32 hex digits.
std::string RandomHex() {
  std::array<char, 16> random;
  size_t filled = 0;
  while (filled < random.size()) {
    const ssize_t got = getrandom(random.data() + filled, random.size() - filled, 0);
    if (got < 0 && errno == EINTR) continue;
    // Only a kernel without getrandom fails here; the caller reports it (server_error, or a failed create).
    if (got < 0) throw std::runtime_error("getrandom failed");
    filled += static_cast<size_t>(got);
  }
  return absl::BytesToHexString(absl::string_view(random.data(), random.size()));
}

}  // namespace

std::string NewSubscriberId() { return absl::StrCat("sub-", RandomHex()); }

std::string NewEpoch() { return RandomHex(); }

}  // namespace armorclaw::eventbus
