// Which web pages may open the event stream (allowed_origins). Browsers send the page's origin with a
// WebSocket upgrade and, unlike for fetch, do not enforce CORS on it: without this check any page a user
// visits could connect with whatever the browser sends along.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_ORIGIN_POLICY_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_ORIGIN_POLICY_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace armorclaw::eventbus {

class OriginPolicy {
 public:
  // allowed_origins not configured: every origin is allowed.
  OriginPolicy() = default;

  // `json` is the allowed_origins value as the host passes a TOML array: JSON array text of origins
  // such as ["https://dash.example.org", "http://localhost:3000"]. An empty array refuses every browser.
  // InvalidArgument names the first bad entry and why; it has no "invalid value" prefix, which is the
  // config parser's.
  static absl::StatusOr<OriginPolicy> Parse(std::string_view json);

  // `origin` is the request's Origin header, empty when there is none: non-browser clients send none
  // and are allowed. Scheme and host compare case-insensitively and a default port (http 80, https 443)
  // equals none; anything else must match an entry exactly.
  bool Allows(std::string_view origin) const;

 private:
  explicit OriginPolicy(std::vector<std::string> allowed) : allowed_(std::move(allowed)) {}

  std::optional<std::vector<std::string>> allowed_;  // Normalized, sorted; nullopt: all.
};

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_SECURITY_ORIGIN_POLICY_H_
