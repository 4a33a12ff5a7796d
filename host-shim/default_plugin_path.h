#ifndef ARMORCLAW_HOST_SHIM_DEFAULT_PLUGIN_PATH_H_
#define ARMORCLAW_HOST_SHIM_DEFAULT_PLUGIN_PATH_H_

// Where armorclaw-eventbus-host finds the plugin when no --plugin is given, in a build tree (side by side
// in build/<preset>/bin) and once installed (bin/ and lib/armorclaw/plugins/ under one prefix).

#include <string>
#include <string_view>

namespace armorclaw::host {

inline constexpr std::string_view kPluginFileName = "armorclaw-eventbus.so";

// The installed plugin directory relative to the installed host's directory ("../lib/armorclaw/plugins"),
// from the install layout CMake was given (cmake/Install.cmake). Relative, so a tree installed under any
// prefix, or moved, still works.
std::string_view InstalledPluginDirFromHost();

// The plugin next to `executable_path` if that file exists (a build tree), else the one in the installed
// plugin directory relative to it, lexically normalized so that messages show a plain path.
std::string DefaultPluginPath(std::string_view executable_path);

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_DEFAULT_PLUGIN_PATH_H_
