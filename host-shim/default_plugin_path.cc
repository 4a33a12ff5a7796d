#include "host-shim/default_plugin_path.h"

#include <filesystem>
#include <system_error>

#ifndef ARMORCLAW_EVENTBUS_PLUGIN_DIR_FROM_HOST
#error "ARMORCLAW_EVENTBUS_PLUGIN_DIR_FROM_HOST is set by cmake/Install.cmake"
#endif

namespace armorclaw::host {

std::string_view InstalledPluginDirFromHost() { return ARMORCLAW_EVENTBUS_PLUGIN_DIR_FROM_HOST; }

std::string DefaultPluginPath(std::string_view executable_path) {
  const std::filesystem::path host_dir = std::filesystem::path(executable_path).parent_path();
  const std::filesystem::path beside = host_dir / kPluginFileName;
  std::error_code error;
  if (std::filesystem::exists(beside, error)) return beside.string();
  return (host_dir / InstalledPluginDirFromHost() / kPluginFileName).lexically_normal().string();
}

}  // namespace armorclaw::host
