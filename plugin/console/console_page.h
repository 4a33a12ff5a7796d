// The console (console_enabled): on the clients' listener, beside the WebSocket path, a plain HTTP GET of
// "/" gets one self-contained HTML page (console.html, compiled into the plugin) and a GET of
// "/console/stats" the stats JSON for the page's counters. The page holds no data: it is served to anyone
// who reaches the port, and everything it shows it gets like any client, over the WebSocket with a token.
// The counters are refused without a token the Authenticator accepts (when authentication is on), and to
// a browser page whose Origin is outside allowed_origins.
//
// Core of the answer only: no socket here. The session (plugin/net/session.cc) writes what this returns.
#ifndef ARMORCLAW_EVENTBUS_PLUGIN_CONSOLE_CONSOLE_PAGE_H_
#define ARMORCLAW_EVENTBUS_PLUGIN_CONSOLE_CONSOLE_PAGE_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "boost/beast/http/empty_body.hpp"
#include "boost/beast/http/message.hpp"
#include "boost/beast/http/status.hpp"
#include "plugin/security/auth.h"
#include "plugin/security/origin_policy.h"

namespace armorclaw::eventbus {

inline constexpr std::string_view kConsolePagePath = "/";
inline constexpr std::string_view kConsoleStatsPath = "/console/stats";

// An HTTP answer that ends the connection: status, Content-Type, the headers beyond those, and the body
// (left out for HEAD by whoever writes it).
struct HttpAnswer {
  boost::beast::http::status status;
  std::string_view content_type;
  std::string body;
  std::vector<std::pair<std::string_view, std::string>> headers;  // Name, value.
};

// What the console serves the request whose target has the path `path`; nullopt when the path is not
// the console's. GET and HEAD only (405 otherwise). The page connects to `websocket_path`.
// `authenticator` null: authentication is off. `stats_json` is called only for an admitted request for
// the counters.
std::optional<HttpAnswer> AnswerConsole(std::string_view path,
                                        const boost::beast::http::request<boost::beast::http::empty_body>& request,
                                        std::string_view websocket_path, const Authenticator* authenticator,
                                        const OriginPolicy& allowed_origins,
                                        const std::function<std::string()>& stats_json, absl::Time now);

}  // namespace armorclaw::eventbus

#endif  // ARMORCLAW_EVENTBUS_PLUGIN_CONSOLE_CONSOLE_PAGE_H_
