#include "plugin/console/console_page.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/string_view_compat.h"
#include "openssl/sha.h"
#include "plugin/console/console_html.h"
#include "plugin/protocol.h"

namespace armorclaw::eventbus {
namespace {

namespace http = boost::beast::http;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kText = "text/plain; charset=utf-8";

// The CSP source that admits the page's one inline `tag` element (<script> or <style>, written without
// attributes) and no other: 'sha256-' and the base64 of its text's SHA-256 (CSP Level 2 hash sources).
std::string InlineElementHash(std::string_view page, std::string_view tag) {
  const std::string open = absl::StrCat("<", ToAbsl(tag), ">");
  const std::string close = absl::StrCat("</", ToAbsl(tag), ">");
  const size_t begin = page.find(open);
  const size_t end = begin == std::string_view::npos ? begin : page.find(close, begin);
  if (end == std::string_view::npos) return "'none'";
  const std::string_view text = page.substr(begin + open.size(), end - begin - open.size());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return absl::StrCat("'sha256-", absl::Base64Escape(absl::string_view(reinterpret_cast<const char*>(digest),
                                                                       sizeof digest)), "'");
}

// Only the page's own script and style run, nothing else loads, and it may connect to its own origin only
// (the WebSocket and the counters): markup that ever slipped into the page could neither run nor send.
const std::string& PagePolicy() {
  static const std::string policy = absl::StrCat(
      "default-src 'none'; script-src ", InlineElementHash(ConsoleHtml(), "script"), "; style-src ",
      InlineElementHash(ConsoleHtml(), "style"),
      "; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
  return policy;
}

// console.html's stand-in for websocket_path, in an attribute value.
constexpr std::string_view kPathPlaceholder = "__WEBSOCKET_PATH__";

HttpAnswer Page(std::string_view websocket_path) {
  // websocket_path has no blank, '?' or '#' (config.cc), but may hold anything else an attribute must not.
  const std::string escaped = absl::StrReplaceAll(
      ToAbsl(websocket_path), {{"&", "&amp;"}, {"\"", "&quot;"}, {"'", "&#39;"}, {"<", "&lt;"}, {">", "&gt;"}});
  return {http::status::ok,
          "text/html; charset=utf-8",
          absl::StrReplaceAll(ToAbsl(ConsoleHtml()), {{ToAbsl(kPathPlaceholder), escaped}}),
          {{"Content-Security-Policy", PagePolicy()},
           {"Cache-Control", "no-store"},
           // The page URL may carry ?access_token=: it must not travel further in a Referer.
           {"Referrer-Policy", "no-referrer"},
           {"X-Content-Type-Options", "nosniff"}}};
}

HttpAnswer Stats(const http::request<http::empty_body>& request, const Authenticator* authenticator,
                 const OriginPolicy& allowed_origins, const std::function<std::string()>& stats_json,
                 absl::Time now) {
  // As for the WebSocket: a page from another origin is refused before its token is looked at.
  if (!allowed_origins.Allows(request[http::field::origin])) {
    // The WebSocket path's text: the same refusal for the same reason.
    return HttpAnswer{http::status::forbidden, kText, "Forbidden: this Origin is not in allowed_origins\n", {}};
  }
  if (authenticator != nullptr) {
    const std::string token = Authenticator::ExtractToken(request[http::field::authorization], request.target());
    if (auto identity = authenticator->Authenticate(token, now); !identity.ok()) {
      // The body a refused WebSocket client receives as its one message, for the page to show alike.
      return HttpAnswer{http::status::unauthorized,
                        kJson,
                        ErrorMessage(error_code::kUnauthorized, ToStd(identity.status().message())),
                        {{"WWW-Authenticate", R"(Bearer realm="armorclaw-eventbus")"},
                         {"Cache-Control", "no-store"}}};
    }
  }
  return {http::status::ok, kJson, stats_json(), {{"Cache-Control", "no-store"}}};
}

}  // namespace

std::optional<HttpAnswer> AnswerConsole(std::string_view path, const http::request<http::empty_body>& request,
                                        std::string_view websocket_path, const Authenticator* authenticator,
                                        const OriginPolicy& allowed_origins,
                                        const std::function<std::string()>& stats_json, absl::Time now) {
  if (path != kConsolePagePath && path != kConsoleStatsPath) return std::nullopt;
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return HttpAnswer{http::status::method_not_allowed, kText, "Method Not Allowed: the console answers GET and HEAD\n",
                      {{"Allow", "GET, HEAD"}}};
  }
  if (path == kConsolePagePath) return Page(websocket_path);
  return Stats(request, authenticator, allowed_origins, stats_json, now);
}

}  // namespace armorclaw::eventbus
