#ifndef ARMORCLAW_HOST_SHIM_CONFIG_ENTRIES_H_
#define ARMORCLAW_HOST_SHIM_CONFIG_ENTRIES_H_

#include <string>
#include <utility>
#include <vector>

namespace armorclaw::host {

// The `[eventbus]` configuration as the plugin receives it: key and value as plain text, in the
// order they are handed over. Kept apart from the loader so that the configuration code needs no
// dlopen.
using ConfigEntries = std::vector<std::pair<std::string, std::string>>;

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_CONFIG_ENTRIES_H_
