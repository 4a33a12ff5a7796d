#ifndef ARMORCLAW_HOST_SHIM_PUBLISH_RETRY_H_
#define ARMORCLAW_HOST_SHIM_PUBLISH_RETRY_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "armorclaw/eventbus.h"
#include "host-shim/shutdown_signal.h"

namespace armorclaw::host {

// PluginInstance::Publish, or a stand-in in tests.
using PublishFn = std::function<aceb_status(std::string_view event_json, std::string* error)>;

// Publishes one event. ACEB_BUSY means the plugin's queue is full, not that the event is bad, so
// the same event is offered again after a short, growing pause and is never dropped. Returns the
// first other status (with *error set by `publish`), or nullopt when `shutdown` came first.
std::optional<aceb_status> PublishRetryingBusy(const PublishFn& publish,
                                               std::string_view event_json,
                                               const ShutdownSignal& shutdown, std::string* error);

}  // namespace armorclaw::host

#endif  // ARMORCLAW_HOST_SHIM_PUBLISH_RETRY_H_
